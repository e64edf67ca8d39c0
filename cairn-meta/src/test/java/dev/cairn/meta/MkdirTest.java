package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.FileInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MkdirTest {

  private final NamespaceHarness h = new NamespaceHarness();

  @Test
  void rootAlwaysExists() {
    FileInfo root = h.info("/");
    assertThat(root.getDirectory()).isTrue();
    assertThat(root.getPath()).isEqualTo("/");
    assertThat(root.getChildren()).isZero();
    assertThat(root.getFileId()).isZero();
  }

  @Test
  void createsADirectoryStampedWithIndexAndTime() {
    FileInfo info = ok(h.mkdir("/a")).getInfo();
    assertThat(info.getPath()).isEqualTo("/a");
    assertThat(info.getDirectory()).isTrue();
    assertThat(info.getVersion()).isEqualTo(h.index);
    assertThat(info.getFileId()).isEqualTo(h.index);
    assertThat(info.getMtimeMs()).isEqualTo(h.timeMs);
    assertThat(h.info("/a")).isEqualTo(info);
    assertThat(h.info("/").getChildren()).isEqualTo(1);
    assertThat(h.ns.directoryCount()).isEqualTo(1);
  }

  @Test
  void addingAnEntryChangesTheParentsVersionAndMtime() {
    ok(h.mkdir("/a"));
    long before = h.info("/a").getVersion();
    ok(h.mkdir("/a/b"));
    FileInfo parent = h.info("/a");
    assertThat(parent.getVersion()).isEqualTo(h.index).isGreaterThan(before);
    assertThat(parent.getMtimeMs()).isEqualTo(h.timeMs);
    assertThat(parent.getChildren()).isEqualTo(1);
  }

  @Test
  void missingParentIsNotFound() {
    h.assertFails(ErrorCode.NOT_FOUND, "\"/a\" does not exist", () -> h.mkdir("/a/b"));
  }

  @Test
  void mkdirUnderAFileIsNotADirectory() {
    ok(h.put("/f", "x"));
    h.assertFails(ErrorCode.NOT_A_DIRECTORY, "\"/f\" is a file", () -> h.mkdir("/f/d"));
    h.assertFails(ErrorCode.NOT_A_DIRECTORY, "\"/f\" is a file", () -> h.mkdirs("/f/d/e"));
  }

  @Test
  void existingDirectoryIsAlreadyExistsWithoutParents() {
    ok(h.mkdir("/a"));
    h.assertFails(ErrorCode.ALREADY_EXISTS, "\"/a\" already exists", () -> h.mkdir("/a"));
    h.assertFails(ErrorCode.ALREADY_EXISTS, "already exists", () -> h.mkdir("/"));
  }

  @Test
  void existingDirectoryIsOkWithParentsAndChangesNothing() {
    FileInfo created = ok(h.mkdir("/a")).getInfo();
    byte[] before = h.snapshot();
    FileInfo again = ok(h.mkdirs("/a")).getInfo();
    assertThat(again).isEqualTo(created);
    assertThat(h.snapshot()).isEqualTo(before);
    assertThat(ok(h.mkdirs("/")).getInfo().getPath()).isEqualTo("/");
  }

  @Test
  void existingFileIsAlreadyExistsEvenWithParents() {
    ok(h.put("/f", "x"));
    h.assertFails(ErrorCode.ALREADY_EXISTS, "a file exists", () -> h.mkdir("/f"));
    h.assertFails(ErrorCode.ALREADY_EXISTS, "a file exists", () -> h.mkdirs("/f"));
  }

  @Test
  void parentsCreatesEveryMissingAncestor() {
    ok(h.mkdir("/a"));
    FileInfo leaf = ok(h.mkdirs("/a/b/c/d")).getInfo();
    assertThat(leaf.getPath()).isEqualTo("/a/b/c/d");
    assertThat(h.info("/a/b").getDirectory()).isTrue();
    assertThat(h.info("/a/b/c").getFileId()).isEqualTo(h.index);
    assertThat(h.ns.directoryCount()).isEqualTo(4);
    h.ns.checkInvariants();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "a", "a/b", "/a/../b", "/a/./b", "/a//b", "/a/", "/a\u0000b", "/a\u0007b"})
  void badPathsAreInvalidArgument(String path) {
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "", () -> h.mkdirs(path));
  }

  @Test
  void overlongNamesAndPathsAreInvalidArgument() {
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "256 bytes", () -> h.mkdir("/" + "n".repeat(256)));
    String path = ("/" + "n".repeat(254)).repeat(16) + "/" + "x".repeat(16);
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "4097 bytes", () -> h.mkdirs(path));
  }
}
