package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.block;
import static dev.cairn.meta.NamespaceHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.MetaResult;
import org.junit.jupiter.api.Test;

class DeleteTest {

  private final NamespaceHarness h = new NamespaceHarness();

  @Test
  void deletesAFileAndForgetsItsBytes() {
    ok(h.put("/f", "hello"));
    MetaResult result = ok(h.delete("/f"));
    assertThat(result.hasInfo()).as("a delete returns no info").isFalse();
    assertThat(h.exists("/f")).isFalse();
    assertThat(h.ns.fileCount()).isZero();
    assertThat(h.ns.totalBytes()).isZero();
    FilesAssert.parentTouched(h, "/");
  }

  @Test
  void deletesAnEmptyDirectory() {
    ok(h.mkdir("/d"));
    ok(h.delete("/d"));
    assertThat(h.exists("/d")).isFalse();
    assertThat(h.ns.directoryCount()).isZero();
  }

  @Test
  void rootCannotBeDeleted() {
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "root", () -> h.delete("/"));
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "root", () -> h.deleteRecursively("/"));
  }

  @Test
  void missingIsNotFound() {
    h.assertFails(ErrorCode.NOT_FOUND, "\"/nope\"", () -> h.delete("/nope"));
    ok(h.put("/f", "x"));
    h.assertFails(ErrorCode.NOT_FOUND, "\"/f/x\"", () -> h.delete("/f/x"));
  }

  @Test
  void nonEmptyDirectoryNeedsRecursive() {
    ok(h.mkdirs("/d/e"));
    ok(h.put("/d/e/f", "x"));
    h.assertFails(ErrorCode.DIRECTORY_NOT_EMPTY, "\"/d\"", () -> h.delete("/d"));
    assertThat(h.exists("/d/e/f")).isTrue();
  }

  @Test
  void recursiveRemovesTheSubtreeAndItsBlocks() {
    ok(h.mkdirs("/d/e/g"));
    ok(h.write("/d/f1", block(1, 10, "n1"), block(2, 10, "n1")));
    ok(h.write("/d/e/f2", block(3, 10, "n1")));
    ok(h.put("/d/e/g/f3", "inline"));
    ok(h.write("/keep", block(4, 7, "n2")));
    ok(h.deleteRecursively("/d"));
    assertThat(h.exists("/d")).isFalse();
    assertThat(h.ns.fileCount()).isEqualTo(1);
    assertThat(h.ns.directoryCount()).isZero();
    assertThat(h.ns.totalBytes()).isEqualTo(7);
    assertThat(h.blockMap().getBlockMap().getBlocksList())
        .extracting(b -> b.getId())
        .containsExactly(4L);
    h.ns.checkInvariants();
  }

  @Test
  void badPathsAreInvalidArgument() {
    for (String path : new String[] {"d", "/d/..", "/d/.", "/d//e", "/d/", "/\u0000", "/\u007f"}) {
      h.assertFails(ErrorCode.INVALID_ARGUMENT, "", () -> h.deleteRecursively(path));
    }
  }
}
