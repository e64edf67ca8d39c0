package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.block;
import static dev.cairn.meta.NamespaceHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.FileInfo;
import org.junit.jupiter.api.Test;

class RenameTest {

  private final NamespaceHarness h = new NamespaceHarness();

  @Test
  void movesAFileKeepingVersionIdAndContent() {
    ok(h.mkdir("/a"));
    ok(h.mkdir("/b"));
    FileInfo before = ok(h.put("/a/f", "content")).getInfo();
    FileInfo after = ok(h.rename("/a/f", "/b/g")).getInfo();
    assertThat(after.getPath()).isEqualTo("/b/g");
    assertThat(after.getVersion()).isEqualTo(before.getVersion());
    assertThat(after.getFileId()).isEqualTo(before.getFileId());
    assertThat(after.getMtimeMs()).isEqualTo(before.getMtimeMs());
    assertThat(h.text("/b/g")).isEqualTo("content");
    assertThat(h.exists("/a/f")).isFalse();
    FilesAssert.parentTouched(h, "/a");
    FilesAssert.parentTouched(h, "/b");
  }

  @Test
  void movesAWholeDirectory() {
    ok(h.mkdirs("/a/b/c"));
    ok(h.put("/a/b/c/f", "x"));
    ok(h.rename("/a", "/z"));
    assertThat(h.text("/z/b/c/f")).isEqualTo("x");
    assertThat(h.exists("/a")).isFalse();
    assertThat(h.ns.directoryCount()).isEqualTo(3);
    h.ns.checkInvariants();
  }

  @Test
  void anExistingDirectoryTargetReceivesTheEntry() {
    ok(h.mkdir("/dir"));
    ok(h.put("/f", "x"));
    FileInfo moved = ok(h.rename("/f", "/dir")).getInfo();
    assertThat(moved.getPath()).isEqualTo("/dir/f");
    assertThat(h.text("/dir/f")).isEqualTo("x");
    ok(h.mkdir("/other"));
    assertThat(ok(h.rename("/dir/f", "/")).getInfo().getPath()).isEqualTo("/f");
    assertThat(ok(h.rename("/other", "/dir")).getInfo().getPath()).isEqualTo("/dir/other");
  }

  @Test
  void anExistingFinalTargetIsAlreadyExists() {
    ok(h.put("/f", "1"));
    ok(h.put("/g", "2"));
    h.assertFails(ErrorCode.ALREADY_EXISTS, "\"/g\" already exists", () -> h.rename("/f", "/g"));
    ok(h.mkdir("/dir"));
    ok(h.put("/dir/f", "3"));
    h.assertFails(
        ErrorCode.ALREADY_EXISTS, "\"/dir/f\" already exists", () -> h.rename("/f", "/dir"));
  }

  @Test
  void missingSourceIsNotFound() {
    h.assertFails(ErrorCode.NOT_FOUND, "\"/nope\" does not exist", () -> h.rename("/nope", "/x"));
  }

  @Test
  void rootCannotBeRenamed() {
    ok(h.mkdir("/a"));
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "root", () -> h.rename("/", "/a"));
  }

  @Test
  void targetParentMustExistAndBeADirectory() {
    ok(h.put("/f", "x"));
    h.assertFails(ErrorCode.NOT_FOUND, "\"/no\" does not exist", () -> h.rename("/f", "/no/g"));
    ok(h.put("/file", "y"));
    h.assertFails(
        ErrorCode.NOT_A_DIRECTORY, "\"/file\" is a file", () -> h.rename("/f", "/file/g"));
  }

  @Test
  void aDirectoryCannotMoveIntoItselfOrADescendant() {
    ok(h.mkdirs("/a/b/c"));
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "into itself", () -> h.rename("/a", "/a/x"));
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "into itself", () -> h.rename("/a", "/a/b/c"));
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "into itself", () -> h.rename("/a", "/a/b/c/d"));
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "into itself", () -> h.rename("/a/b", "/a/b/c"));
  }

  @Test
  void renameToTheSamePathIsANoOp() {
    ok(h.mkdirs("/a/b"));
    ok(h.put("/f", "x"));
    byte[] before = h.snapshot();
    assertThat(ok(h.rename("/f", "/f")).getInfo().getPath()).isEqualTo("/f");
    assertThat(ok(h.rename("/a", "/a")).getInfo().getPath()).isEqualTo("/a");
    // Moving an entry into the directory that already holds it leaves it where it is.
    assertThat(ok(h.rename("/a/b", "/a")).getInfo().getPath()).isEqualTo("/a/b");
    assertThat(h.snapshot()).isEqualTo(before);
  }

  @Test
  void theMovedPathMustStayWithinTheLengthLimit() {
    String deep = ("/" + "d".repeat(250)).repeat(16);
    ok(h.mkdirs(deep));
    ok(h.put("/" + "f".repeat(200), "x"));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT, "over the limit", () -> h.rename("/" + "f".repeat(200), deep));
  }

  @Test
  void blocksFollowTheFile() {
    ok(h.mkdir("/d"));
    ok(h.write("/d/f", block(9, 100, "n1")));
    ok(h.rename("/d", "/e"));
    assertThat(h.lookup("/e/f").getInfo().getExtents(0).getBlock().getId()).isEqualTo(9);
    assertThat(h.ns.blockCount()).isEqualTo(1);
    ok(h.deleteRecursively("/e"));
    assertThat(h.ns.blockCount()).isZero();
  }

  @Test
  void badPathsAreInvalidArgument() {
    ok(h.put("/f", "x"));
    for (String bad : new String[] {"g", "/g/..", "/./g", "//g", "/g/", "/g\u0000", "/g\u0001"}) {
      h.assertFails(ErrorCode.INVALID_ARGUMENT, "", () -> h.rename("/f", bad));
      h.assertFails(ErrorCode.INVALID_ARGUMENT, "", () -> h.rename(bad, "/f2"));
    }
  }
}
