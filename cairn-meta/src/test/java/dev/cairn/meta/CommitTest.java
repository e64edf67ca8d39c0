package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.block;
import static dev.cairn.meta.NamespaceHarness.inline;
import static dev.cairn.meta.NamespaceHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UnsafeByteOperations;
import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Extent;
import dev.cairn.proto.FileInfo;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CommitTest {

  private final NamespaceHarness h = new NamespaceHarness();

  private static CommitRequest.Builder commit(String path, CommitMode mode, Extent... extents) {
    CommitRequest.Builder request = CommitRequest.newBuilder().setPath(path).setMode(mode);
    for (Extent extent : extents) {
      request.addExtents(extent);
    }
    return request;
  }

  @Test
  void createNewMakesAFileStampedWithIndexAndTime() {
    FileInfo info =
        ok(h.commit(commit("/f", CommitMode.CREATE_NEW, inline("hello"), block(7, 100, "n1"))))
            .getInfo();
    assertThat(info.getPath()).isEqualTo("/f");
    assertThat(info.getDirectory()).isFalse();
    assertThat(info.getSize()).isEqualTo(105);
    assertThat(info.getVersion()).isEqualTo(h.index);
    assertThat(info.getFileId()).isEqualTo(h.index);
    assertThat(info.getMtimeMs()).isEqualTo(h.timeMs);
    assertThat(info.getReplication()).isEqualTo(NamespaceHarness.DEFAULT_REPLICATION);
    assertThat(info.getExtentsList()).as("a commit result carries no extents").isEmpty();
    assertThat(h.info("/f")).isEqualTo(info);
    assertThat(h.ns.fileCount()).isEqualTo(1);
    assertThat(h.ns.totalBytes()).isEqualTo(105);
  }

  @Test
  void createNewOnAnExistingPathIsAlreadyExists() {
    ok(h.put("/f", "one"));
    h.assertFails(
        ErrorCode.ALREADY_EXISTS,
        "\"/f\"",
        () -> h.commit(commit("/f", CommitMode.CREATE_NEW, inline("two"))));
    assertThat(h.text("/f")).isEqualTo("one");
  }

  @Test
  void overwriteReplacesContentKeepsIdAndBumpsVersion() {
    FileInfo first = ok(h.put("/f", "one")).getInfo();
    FileInfo second = ok(h.put("/f", "second")).getInfo();
    assertThat(h.text("/f")).isEqualTo("second");
    assertThat(second.getFileId()).isEqualTo(first.getFileId());
    assertThat(second.getVersion()).isEqualTo(h.index).isGreaterThan(first.getVersion());
    assertThat(second.getSize()).isEqualTo(6);
    assertThat(h.ns.totalBytes()).isEqualTo(6);
    assertThat(h.ns.fileCount()).isEqualTo(1);
  }

  @Test
  void appendAddsAtTheEndAndMergesInlineExtents() {
    ok(h.put("/f", "ab"));
    FileInfo info = ok(h.append("/f", "cd")).getInfo();
    ok(h.append("/f", "ef"));
    assertThat(h.text("/f")).isEqualTo("abcdef");
    assertThat(h.lookup("/f").getInfo().getExtentsCount()).isEqualTo(1);
    assertThat(info.getSize()).isEqualTo(4);
    assertThat(h.info("/f").getSize()).isEqualTo(6);
    assertThat(h.info("/f").getVersion()).isEqualTo(h.index);
  }

  @Test
  void appendAfterABlockKeepsTheOrder() {
    ok(h.write("/f", block(1, 10, "n1")));
    ok(h.append("/f", "tail"));
    ok(h.commit(commit("/f", CommitMode.APPEND, block(2, 20, "n2"), inline("x"), inline("y"))));
    var extents = h.lookup("/f").getInfo().getExtentsList();
    assertThat(extents).hasSize(4);
    assertThat(extents.get(0).getBlock().getId()).isEqualTo(1);
    assertThat(extents.get(1).getData().toStringUtf8()).isEqualTo("tail");
    assertThat(extents.get(2).getBlock().getId()).isEqualTo(2);
    assertThat(extents.get(3).getData().toStringUtf8()).isEqualTo("xy");
    assertThat(h.info("/f").getSize()).isEqualTo(10 + 4 + 20 + 2);
  }

  @Test
  void appendToAMissingFileIsNotFound() {
    h.assertFails(ErrorCode.NOT_FOUND, "\"/f\"", () -> h.append("/f", "x"));
  }

  @Test
  void appendKeepsTheFilesReplication() {
    ok(h.commit(commit("/f", CommitMode.CREATE_NEW, block(1, 5)).setReplication(2)));
    ok(h.commit(commit("/f", CommitMode.APPEND, block(2, 5)).setReplication(5)));
    assertThat(h.info("/f").getReplication()).isEqualTo(2);
    assertThat(h.blockMap().getBlockMap().getReplicationList()).containsExactly(2, 2);
  }

  @Test
  void replicationIsTheRequestsOrTheDefault() {
    ok(h.commit(commit("/a", CommitMode.OVERWRITE).setReplication(5)));
    ok(h.commit(commit("/b", CommitMode.OVERWRITE)));
    assertThat(h.info("/a").getReplication()).isEqualTo(5);
    assertThat(h.info("/b").getReplication()).isEqualTo(NamespaceHarness.DEFAULT_REPLICATION);
    // An overwrite that asks for 0 takes the default again.
    ok(h.commit(commit("/a", CommitMode.OVERWRITE)));
    assertThat(h.info("/a").getReplication()).isEqualTo(NamespaceHarness.DEFAULT_REPLICATION);
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "negative",
        () -> h.commit(commit("/c", CommitMode.OVERWRITE).setReplication(-1)));
  }

  @Test
  void emptyCommitMakesAnEmptyFile() {
    FileInfo info = ok(h.commit(commit("/empty", CommitMode.CREATE_NEW, inline("")))).getInfo();
    assertThat(info.getSize()).isZero();
    assertThat(h.lookup("/empty").getInfo().getExtentsList()).isEmpty();
  }

  @Test
  void parentMustExistAndBeADirectory() {
    h.assertFails(ErrorCode.NOT_FOUND, "\"/d\" does not exist", () -> h.put("/d/f", "x"));
    ok(h.put("/file", "x"));
    h.assertFails(ErrorCode.NOT_A_DIRECTORY, "\"/file\" is a file", () -> h.put("/file/f", "x"));
  }

  @Test
  void aDirectoryCannotBeWritten() {
    ok(h.mkdir("/d"));
    h.assertFails(ErrorCode.IS_A_DIRECTORY, "\"/d\"", () -> h.put("/d", "x"));
    h.assertFails(ErrorCode.IS_A_DIRECTORY, "\"/d\"", () -> h.append("/d", "x"));
    h.assertFails(ErrorCode.IS_A_DIRECTORY, "\"/\"", () -> h.put("/", "x"));
    h.assertFails(ErrorCode.ALREADY_EXISTS, "\"/d\"", () -> h.commit(CommitRequest.newBuilder()
        .setPath("/d").setMode(CommitMode.CREATE_NEW)));
  }

  @Test
  void expectedVersionMustMatch() {
    long version = ok(h.put("/f", "one")).getInfo().getVersion();
    h.assertFails(
        ErrorCode.CONFLICT,
        "expected version " + (version + 100),
        () ->
            h.commit(
                commit("/f", CommitMode.OVERWRITE, inline("two"))
                    .setHasExpectedVersion(true)
                    .setExpectedVersion(version + 100)));
    ok(
        h.commit(
            commit("/f", CommitMode.OVERWRITE, inline("two"))
                .setHasExpectedVersion(true)
                .setExpectedVersion(version)));
    assertThat(h.text("/f")).isEqualTo("two");
    // The same expectation is now stale: the first writer wins, the second conflicts.
    h.assertFails(
        ErrorCode.CONFLICT,
        "is at version " + h.index,
        () ->
            h.commit(
                commit("/f", CommitMode.APPEND, inline("three"))
                    .setHasExpectedVersion(true)
                    .setExpectedVersion(version)));
  }

  @Test
  void expectedVersionOnAMissingFileIsAConflict() {
    h.assertFails(
        ErrorCode.CONFLICT,
        "does not exist",
        () ->
            h.commit(
                commit("/f", CommitMode.OVERWRITE, inline("x"))
                    .setHasExpectedVersion(true)
                    .setExpectedVersion(5)));
  }

  @Test
  void expectedVersionZeroMeansMustNotExist() {
    ok(
        h.commit(
            commit("/f", CommitMode.OVERWRITE, inline("x"))
                .setHasExpectedVersion(true)
                .setExpectedVersion(0)));
    h.assertFails(
        ErrorCode.CONFLICT,
        "expected it not to exist",
        () ->
            h.commit(
                commit("/f", CommitMode.OVERWRITE, inline("y"))
                    .setHasExpectedVersion(true)
                    .setExpectedVersion(0)));
  }

  @Test
  void inlineBytesAreLimitedPerFile() {
    byte[] limit = new byte[NamespaceHarness.MAX_INLINE];
    ok(h.commit(commit("/f", CommitMode.OVERWRITE, inline(limit))));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "limit of " + NamespaceHarness.MAX_INLINE,
        () -> h.append("/f", "x"));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "limit of " + NamespaceHarness.MAX_INLINE,
        () ->
            h.commit(
                commit("/g", CommitMode.OVERWRITE, inline(new byte[600]), inline(new byte[600]))));
    // Blocks do not count against the inline limit.
    ok(h.commit(commit("/f", CommitMode.APPEND, block(1, 1 << 30))));
  }

  @Test
  void blockLengthMustNotBeNegative() {
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "negative length", () -> h.write("/f", block(1, -1)));
    ok(h.write("/f", block(1, 0)));
    assertThat(h.info("/f").getSize()).isZero();
  }

  @Test
  void aBlockMayNotAppearTwiceInACommit() {
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "block 1 appears more than once",
        () -> h.write("/f", block(1, 5), block(1, 5)));
  }

  @Test
  void aBlockMayNotBelongToTwoFiles() {
    ok(h.write("/a", block(1, 5, "n1")));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "block 1 already belongs to \"/a\"",
        () -> h.write("/b", block(2, 5), block(1, 5)));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "already belongs",
        () -> h.commit(commit("/a2", CommitMode.CREATE_NEW, block(1, 5))));
  }

  @Test
  void appendMayNotRepeatABlockOfTheFile() {
    ok(h.write("/a", block(1, 5)));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "already part of the file",
        () -> h.commit(commit("/a", CommitMode.APPEND, block(1, 5))));
  }

  @Test
  void anExtentWithBothBlockAndDataIsInvalid() {
    Extent both = block(1, 5).toBuilder().setData(inline("x").getData()).build();
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT, "both a block and inline data", () -> h.write("/f", both));
  }

  @Test
  void sizeOverflowIsInvalid() {
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "overflow",
        () -> h.write("/f", block(1, Long.MAX_VALUE), block(2, 1)));
  }

  @Test
  void unknownModeIsInvalid() {
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "unknown commit mode 42",
        () -> h.commit(CommitRequest.newBuilder().setPath("/f").setModeValue(42)));
  }

  @Test
  void badPathsAreInvalidArgument() {
    for (String path :
        new String[] {"f", "/a/../f", "/./f", "//f", "/f/", "/f\u0000", "/f\u001b"}) {
      h.assertFails(ErrorCode.INVALID_ARGUMENT, "", () -> h.put(path, "x"));
    }
  }

  @Test
  void inlineBytesAreCopiedOutOfTheRequestThatCarriedThem() {
    // A node parses a log entry in place: a file's bytes in the request are a view of the entry,
    // which the namespace must not keep.
    byte[] entry = "..hello..".getBytes(StandardCharsets.UTF_8);
    Extent view = Extent.newBuilder()
        .setData(UnsafeByteOperations.unsafeWrap(entry, 2, 5))
        .build();
    ok(h.write("/f", view));
    Arrays.fill(entry, (byte) 'x');

    assertThat(h.text("/f")).isEqualTo("hello");
  }
}
