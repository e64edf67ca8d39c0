package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.block;
import static dev.cairn.meta.NamespaceHarness.inline;
import static dev.cairn.meta.NamespaceHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.FileInfo;
import dev.cairn.proto.MetaQuery;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.NamespaceSummary;
import java.util.List;
import org.junit.jupiter.api.Test;

class QueryTest {

  private final NamespaceHarness h = new NamespaceHarness();

  @Test
  void statGivesInfoWithoutExtents() {
    ok(h.write("/f", inline("abc"), block(1, 10, "n1")));
    FileInfo info = h.info("/f");
    assertThat(info.getSize()).isEqualTo(13);
    assertThat(info.getExtentsList()).isEmpty();
    assertThat(info.getPath()).isEqualTo("/f");
  }

  @Test
  void statOfMissingIsNotFound() {
    assertThat(h.stat("/nope").getStatus().getCode()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(h.stat("/nope").getStatus().getMessage()).contains("\"/nope\"");
    ok(h.put("/f", "x"));
    // A path through a file does not exist either.
    assertThat(h.stat("/f/g").getStatus().getCode()).isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void lookupGivesExtents() {
    ok(h.write("/f", inline("abc"), block(1, 10, "n1")));
    MetaQueryResult lookup = h.lookup("/f");
    assertThat(lookup.getStatus().getCode()).isEqualTo(ErrorCode.OK);
    assertThat(lookup.getInfo().getExtentsList())
        .containsExactly(inline("abc"), block(1, 10, "n1"));
  }

  @Test
  void lookupOfADirectoryIsIsADirectory() {
    ok(h.mkdir("/d"));
    assertThat(h.lookup("/d").getStatus().getCode()).isEqualTo(ErrorCode.IS_A_DIRECTORY);
    assertThat(h.lookup("/").getStatus().getCode()).isEqualTo(ErrorCode.IS_A_DIRECTORY);
    assertThat(h.lookup("/missing").getStatus().getCode()).isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void listSortsByNameWithFullPathsAndChildCounts() {
    ok(h.mkdir("/d"));
    ok(h.put("/d/zeta", "1"));
    ok(h.mkdir("/d/alpha"));
    ok(h.put("/d/alpha/x", "2"));
    ok(h.put("/d/Mid", "3"));
    MetaQueryResult list = h.list("/d");
    assertThat(list.getEntriesList())
        .extracting(FileInfo::getPath)
        .containsExactly("/d/Mid", "/d/alpha", "/d/zeta");
    FileInfo alpha = list.getEntries(1);
    assertThat(alpha.getDirectory()).isTrue();
    assertThat(alpha.getChildren()).isEqualTo(1);
    assertThat(list.getEntriesList()).allSatisfy(e -> assertThat(e.getExtentsList()).isEmpty());
    assertThat(h.list("/").getEntriesList()).extracting(FileInfo::getPath).containsExactly("/d");
    assertThat(h.list("/d/alpha").getEntriesList())
        .extracting(FileInfo::getPath)
        .containsExactly("/d/alpha/x");
  }

  @Test
  void listSortsNonAsciiNamesAsStringsDoEvenAfterRenamesAndASnapshot() throws Exception {
    // String order puts characters above U+FFFF (the emoji) before U+E000 to U+FFFF (U+FF21
    // and U+E000), unlike UTF-8 byte order; the listing keeps String order.
    List<String> names =
        List.of("\ud83d\ude00", "\uff21", "\ue000", "\u00e9t\u00e9", "e", "\u4e2d", "Z", "z");
    for (String name : names) {
      ok(h.put("/" + name, name));
    }
    assertThat(h.names("/")).isEqualTo(names.stream().sorted().toList());
    assertThat(h.names("/").subList(5, 8)).containsExactly("\ud83d\ude00", "\ue000", "\uff21");
    // A rename moves the entry to its new place in the order.
    ok(h.rename("/e", "/\ufffd"));
    ok(h.rename("/\uff21", "/A"));
    List<String> renamed =
        List.of("\ud83d\ude00", "A", "\ue000", "\u00e9t\u00e9", "\ufffd", "\u4e2d", "Z", "z");
    assertThat(h.names("/")).isEqualTo(renamed.stream().sorted().toList());
    assertThat(h.text("/\ufffd")).isEqualTo("e");
    NamespaceHarness copy = h.restored();
    assertThat(copy.names("/")).isEqualTo(h.names("/"));
    for (String name : renamed) {
      assertThat(copy.info("/" + name).getPath()).isEqualTo("/" + name);
    }
  }

  @Test
  void listOfAFileIsNotADirectory() {
    ok(h.put("/f", "x"));
    assertThat(h.list("/f").getStatus().getCode()).isEqualTo(ErrorCode.NOT_A_DIRECTORY);
  }

  @Test
  void listOfMissingIsNotFound() {
    assertThat(h.list("/nope").getStatus().getCode()).isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void badPathsInQueriesAreInvalidArgument() {
    for (String bad : new String[] {"", "x", "/a/..", "/.", "//", "/a/", "/\u0000", "/a\u0002"}) {
      assertThat(h.stat(bad).getStatus().getCode())
          .as("stat %s", bad)
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(h.lookup(bad).getStatus().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(h.list(bad).getStatus().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
  }

  @Test
  void emptyQueryIsInvalidArgument() {
    MetaQueryResult result = h.ns.query(MetaQuery.getDefaultInstance());
    assertThat(result.getStatus().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void summaryCountsFilesDirectoriesWithoutRootBytesBlocksAndNodes() {
    assertThat(h.summary().getSummary()).isEqualTo(NamespaceSummary.getDefaultInstance());
    ok(h.registerNode("n1", "h:1"));
    ok(h.mkdirs("/a/b"));
    ok(h.write("/a/f", block(1, 100), block(2, 50)));
    ok(h.put("/a/b/g", "12345"));
    NamespaceSummary summary = h.summary().getSummary();
    assertThat(summary.getFiles()).isEqualTo(2);
    assertThat(summary.getDirectories()).isEqualTo(2);
    assertThat(summary.getBytes()).isEqualTo(155);
    assertThat(summary.getBlocks()).isEqualTo(2);
    assertThat(summary.getNodesCount()).isEqualTo(1);
    assertThat(h.ns.fileCount()).isEqualTo(summary.getFiles());
    assertThat(h.ns.directoryCount()).isEqualTo(summary.getDirectories());
    assertThat(h.ns.totalBytes()).isEqualTo(summary.getBytes());
  }

  @Test
  void anEmptyCommandIsInvalidAndChangesNothing() {
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "no operation",
        () -> h.apply(dev.cairn.proto.MetaCommand.newBuilder()));
  }
}
