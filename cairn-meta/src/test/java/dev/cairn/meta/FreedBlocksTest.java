package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.block;
import static dev.cairn.meta.NamespaceHarness.blockRef;
import static dev.cairn.meta.NamespaceHarness.inline;
import static dev.cairn.meta.NamespaceHarness.ok;
import static dev.cairn.meta.NamespaceHarness.requestId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.proto.BlockRef;
import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.ForgetFreed;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.MetaResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class FreedBlocksTest {

  private NamespaceHarness h = new NamespaceHarness();

  private List<Long> indexedIds() {
    return h.blockMap().getBlockMap().getBlocksList().stream().map(BlockRef::getId).toList();
  }

  @Test
  void aNewNamespaceHasNoFreedBlocks() {
    assertThat(h.freedBlocks()).isEmpty();
    assertThat(h.ns.freedBlockCount()).isZero();
  }

  @Test
  void overwriteFreesTheBlocksItDoesNotReuseWithTheirReplicasAtThatMoment() {
    ok(h.write("/f", block(1, 10, "n1"), block(2, 20, "n1", "n2"), block(3, 30, "n3")));
    // Re-replication moved block 2 before the overwrite: the freed entry must name where it is now.
    ok(h.setReplicas(blockRef(2, 0, "n4", "n5")));
    ok(h.write("/f", block(1, 10), block(4, 40, "n1")));
    assertThat(h.freedBlocks()).containsExactly(blockRef(2, 20, "n4", "n5"), blockRef(3, 30, "n3"));
    assertThat(indexedIds()).containsExactly(1L, 4L);
    assertThat(h.ns.freedBlockCount()).isEqualTo(2);
    h.ns.checkInvariants();
  }

  @Test
  void appendAndCreateFreeNothing() {
    ok(h.write("/f", block(1, 10, "n1")));
    ok(
        h.commit(
            CommitRequest.newBuilder()
                .setPath("/f")
                .setMode(CommitMode.APPEND)
                .addExtents(block(2, 10, "n1"))));
    ok(
        h.commit(
            CommitRequest.newBuilder()
                .setPath("/g")
                .setMode(CommitMode.CREATE_NEW)
                .addExtents(block(3, 10, "n1"))));
    ok(h.append("/f", "inline tail"));
    assertThat(h.freedBlocks()).isEmpty();
    assertThat(indexedIds()).containsExactly(1L, 2L, 3L);
  }

  @Test
  void overwritingWithTheSameBlocksFreesNothing() {
    ok(h.write("/f", block(1, 10, "n1"), block(2, 10, "n2")));
    ok(h.write("/f", block(2, 10), block(1, 10)));
    assertThat(h.freedBlocks()).isEmpty();
    assertThat(indexedIds()).containsExactly(1L, 2L);
  }

  @Test
  void deleteFreesTheFilesBlocks() {
    ok(h.write("/f", block(7, 70, "n1", "n2"), inline("x"), block(5, 50, "n2")));
    ok(h.write("/keep", block(6, 60, "n1")));
    ok(h.delete("/f"));
    // In the file's order, not by id.
    assertThat(h.freedBlocks()).containsExactly(blockRef(7, 70, "n1", "n2"), blockRef(5, 50, "n2"));
    assertThat(indexedIds()).containsExactly(6L);
  }

  @Test
  void recursiveDeleteFreesEveryBlockBelowInPathOrder() {
    ok(h.mkdirs("/d/b/deep"));
    ok(h.mkdir("/d/c"));
    ok(h.write("/d/z", block(1, 1, "n1")));
    ok(h.write("/d/b/deep/f", block(2, 2, "n1"), block(3, 3, "n1")));
    ok(h.write("/d/a", block(4, 4, "n2")));
    ok(h.write("/d/c/f", block(5, 5, "n3")));
    ok(h.put("/d/b/inline", "no blocks"));
    ok(h.write("/outside", block(6, 6, "n1")));
    ok(h.deleteRecursively("/d"));
    // Preorder with children by name: /d/a, /d/b/deep/f, /d/b/inline, /d/c/f, /d/z.
    assertThat(h.freedIds()).containsExactly(4L, 2L, 3L, 5L, 1L);
    assertThat(indexedIds()).containsExactly(6L);
    h.ns.checkInvariants();
  }

  @Test
  void renameAndSetReplicasFreeNothing() {
    ok(h.mkdir("/d"));
    ok(h.write("/d/f", block(1, 10, "n1")));
    ok(h.rename("/d/f", "/g"));
    ok(h.rename("/d", "/e"));
    ok(h.setReplicas(blockRef(1, 0)));
    assertThat(h.freedBlocks()).isEmpty();
  }

  @Test
  void theListIsInLogOrderAcrossCommands() {
    ok(h.write("/a", block(30, 1)));
    ok(h.write("/b", block(10, 1)));
    ok(h.write("/c", block(20, 1)));
    ok(h.delete("/b"));
    ok(h.put("/c", "replaced"));
    ok(h.delete("/a"));
    assertThat(h.freedIds()).containsExactly(10L, 20L, 30L);
  }

  @Test
  void theQueryReturnsTheOldestUpToTheLimit() {
    ok(h.write("/f", block(1, 1), block(2, 2), block(3, 3), block(4, 4)));
    ok(h.delete("/f"));
    assertThat(h.freed(2).getFreedList()).extracting(BlockRef::getId).containsExactly(1L, 2L);
    assertThat(h.freed(1).getFreedList()).extracting(BlockRef::getId).containsExactly(1L);
    assertThat(h.freed(4).getFreedList()).hasSize(4);
    assertThat(h.freed(100).getFreedList()).hasSize(4);
    assertThat(h.freed(0).getFreedList())
        .extracting(BlockRef::getId)
        .containsExactly(1L, 2L, 3L, 4L);
    MetaQueryResult result = h.freed(2);
    assertThat(result.getStatus().getCode()).isEqualTo(ErrorCode.OK);
    assertThat(result.getFreedList()).allSatisfy(b -> assertThat(b.getLength()).isPositive());
  }

  @Test
  void aNegativeLimitIsInvalid() {
    MetaQueryResult result = h.freed(-1);
    assertThat(result.getStatus().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(result.getStatus().getMessage()).contains("negative");
    assertThat(result.getFreedList()).isEmpty();
  }

  @Test
  void forgetFreedRemovesOnlyTheGivenIdsAndKeepsTheOrder() {
    ok(h.write("/f", block(1, 1), block(2, 2), block(3, 3), block(4, 4)));
    ok(h.delete("/f"));
    MetaResult result = ok(h.forgetFreed(3, 1));
    assertThat(result.hasInfo()).isFalse();
    assertThat(h.freedIds()).containsExactly(2L, 4L);
    assertThat(h.ns.freedBlockCount()).isEqualTo(2);
    ok(h.forgetFreed(2, 4));
    assertThat(h.freedIds()).isEmpty();
  }

  @Test
  void forgetFreedIgnoresUnknownAndLiveIds() {
    ok(h.write("/live", block(1, 1)));
    ok(h.write("/gone", block(2, 2)));
    ok(h.delete("/gone"));
    byte[] before = h.snapshot();
    // 1 is in a file, 99 was never seen: neither is touched, and the command still succeeds.
    ok(h.forgetFreed(1, 99));
    ok(h.forgetFreed());
    assertThat(h.snapshot()).isEqualTo(before);
    assertThat(indexedIds()).containsExactly(1L);
    assertThat(h.freedIds()).containsExactly(2L);
    // Forgetting twice is harmless: the second time the id is unknown.
    ok(h.forgetFreed(2));
    ok(h.forgetFreed(2));
    assertThat(h.freedIds()).isEmpty();
  }

  @Test
  void aFreedIdCannotGoBackIntoAFile() {
    ok(h.write("/f", block(1, 10, "n1"), block(2, 10, "n1")));
    ok(h.write("/f", block(1, 10)));
    ok(h.write("/g", block(3, 10)));
    ok(h.delete("/g"));
    assertThat(h.freedIds()).containsExactly(2L, 3L);

    // The file that dropped it cannot take it back, in either mode...
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "block 2 was freed",
        () -> h.write("/f", block(1, 10), block(2, 10)));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "block 2 was freed",
        () ->
            h.commit(
                CommitRequest.newBuilder()
                    .setPath("/f")
                    .setMode(CommitMode.APPEND)
                    .addExtents(block(2, 10))));
    // ...nor can a new file, nor a file recreated at the freed block's old path.
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "extent 1: block 3 was freed",
        () -> h.write("/new", inline("x"), block(3, 10)));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "block 3 was freed",
        () ->
            h.commit(
                CommitRequest.newBuilder()
                    .setPath("/g")
                    .setMode(CommitMode.CREATE_NEW)
                    .addExtents(block(3, 10))));
    assertThat(h.exists("/new")).isFalse();
    assertThat(h.exists("/g")).isFalse();
  }

  @Test
  void aForgottenIdMayBeUsedAgain() {
    ok(h.write("/f", block(1, 10, "n1")));
    ok(h.delete("/f"));
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "freed", () -> h.write("/g", block(1, 10)));
    ok(h.forgetFreed(1));
    ok(h.write("/g", block(1, 5, "n2")));
    assertThat(h.lookup("/g").getInfo().getExtents(0).getBlock()).isEqualTo(blockRef(1, 5, "n2"));
    // Freed again, it is a new entry with what it is now.
    ok(h.delete("/g"));
    assertThat(h.freedBlocks()).containsExactly(blockRef(1, 5, "n2"));
  }

  @Test
  void aFailedCommandFreesNothing() {
    ok(h.write("/f", block(1, 10), block(2, 10)));
    long version = h.info("/f").getVersion();
    // The overwrite would drop block 2, but fails on its expected version, or on a later extent.
    h.assertFails(
        ErrorCode.CONFLICT,
        "expected version",
        () ->
            h.commit(
                CommitRequest.newBuilder()
                    .setPath("/f")
                    .setMode(CommitMode.OVERWRITE)
                    .setHasExpectedVersion(true)
                    .setExpectedVersion(version + 100)
                    .addExtents(block(1, 10))));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "negative length",
        () -> h.write("/f", block(1, 10), block(9, -1)));
    ok(h.mkdirs("/d/e"));
    ok(h.write("/d/e/x", block(3, 10)));
    h.assertFails(ErrorCode.DIRECTORY_NOT_EMPTY, "\"/d\"", () -> h.delete("/d"));
    assertThat(h.freedBlocks()).isEmpty();
    assertThat(indexedIds()).containsExactly(1L, 2L, 3L);
  }

  @Test
  void setReplicasOfAFreedBlockChangesNothing() {
    ok(h.write("/f", block(1, 10, "n1", "n2")));
    ok(h.delete("/f"));
    byte[] before = h.snapshot();
    // A copy that finished after the delete: its replica is an orphan, left to orphan collection.
    ok(h.setReplicas(blockRef(1, 0, "n1", "n2", "n3")));
    assertThat(h.snapshot()).isEqualTo(before);
    assertThat(h.freedBlocks()).containsExactly(blockRef(1, 10, "n1", "n2"));
  }

  @Test
  void aRetriedForgetFreedIsAnsweredFromTheTable() {
    ok(h.write("/f", block(1, 10)));
    ok(h.delete("/f"));
    MetaCommand.Builder forget =
        MetaCommand.newBuilder()
            .setRequestId(requestId("healer", 1))
            .setForgetFreed(ForgetFreed.newBuilder().addBlockIds(1));
    MetaResult first = ok(h.apply(forget.clone()));
    assertThat(h.apply(forget.clone())).isEqualTo(first);
    assertThat(h.freedIds()).isEmpty();
  }

  @Test
  void whenFullTheOldestAreDropped() {
    h = new NamespaceHarness(new MemoryNamespace(3, 1024, 16, 16, 3));
    ok(h.write("/a", block(1, 1), block(2, 2)));
    ok(h.write("/b", block(3, 3), block(4, 4), block(5, 5)));
    ok(h.delete("/a"));
    assertThat(h.freedIds()).containsExactly(1L, 2L);
    // One command that frees more than fit: the list keeps the newest three.
    ok(h.delete("/b"));
    assertThat(h.freedIds()).containsExactly(3L, 4L, 5L);
    assertThat(h.ns.freedBlockCount()).isEqualTo(3);
    h.ns.checkInvariants();
    // A dropped id is no longer protected: orphan collection, not the list, deletes its replicas.
    ok(h.write("/c", block(1, 1)));
    ok(h.forgetFreed(4));
    ok(h.write("/d", block(6, 6)));
    ok(h.delete("/d"));
    assertThat(h.freedIds()).containsExactly(3L, 5L, 6L);
    ok(h.put("/c", "inline"));
    assertThat(h.freedIds()).containsExactly(5L, 6L, 1L);
  }

  @Test
  void theDefaultLimitIsAMillionBlocks() {
    assertThat(FreedBlocks.DEFAULT_LIMIT).isEqualTo(1_000_000);
    FreedBlocks freed = new FreedBlocks(FreedBlocks.DEFAULT_LIMIT);
    String[] replicas = {"n1"};
    for (long id = 1; id <= 1_000_001; id++) {
      freed.add(id, id, replicas);
    }
    assertThat(freed.size()).isEqualTo(1_000_000);
    assertThat(freed.contains(1)).isFalse();
    assertThat(freed.contains(2)).isTrue();
    assertThat(freed.oldest(1).get(0).id()).isEqualTo(2);
    assertThat(freed.contains(1_000_001)).isTrue();
  }

  @Test
  void theNamespacesDefaultIsTheDefaultLimit() throws IOException {
    // A namespace made with the public constructor reads a list of a million and one as the last
    // million: the limit it uses is the default.
    MemoryNamespace roomy = new MemoryNamespace(3, 1024, 16, 16, 1_000_001);
    NamespaceHarness big = new NamespaceHarness(roomy);
    CommitRequest.Builder commit = CommitRequest.newBuilder().setPath("/huge");
    LongStream.rangeClosed(1, 1_000_001).forEach(id -> commit.addExtents(block(id, 1)));
    ok(big.commit(commit));
    ok(big.delete("/huge"));
    assertThat(roomy.freedBlockCount()).isEqualTo(1_000_001);
    MemoryNamespace regular = new MemoryNamespace(3, 1024);
    regular.readSnapshot(new ByteArrayInputStream(big.snapshot()));
    assertThat(regular.freedBlockCount()).isEqualTo(1_000_000);
    NamespaceHarness loaded = new NamespaceHarness(regular);
    assertThat(loaded.freed(1).getFreed(0).getId()).isEqualTo(2);
  }

  @Test
  void addingAFreedIdTwiceIsABug() {
    FreedBlocks freed = new FreedBlocks(4);
    freed.add(1, 1, new String[0]);
    assertThatThrownBy(() -> freed.add(1, 1, new String[0]))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("block 1 was freed twice");
    assertThatThrownBy(() -> new FreedBlocks(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theListSurvivesASnapshotInOrderWithReplicas() throws IOException {
    ok(h.registerNode("n1", "h1:1"));
    ok(h.write("/f", block(5, 50, "n1", "n2"), block(3, 30), block(9, 90, "n2")));
    ok(h.write("/f", block(3, 30)));
    ok(h.write("/g", block(1, 10, "n1")));
    ok(h.delete("/g"));
    NamespaceHarness copy = h.restored();
    assertThat(copy.freedBlocks())
        .containsExactly(blockRef(5, 50, "n1", "n2"), blockRef(9, 90, "n2"), blockRef(1, 10, "n1"));
    assertThat(copy.snapshot()).isEqualTo(h.snapshot());
    copy.ns.checkInvariants();
    // The restored list still guards its ids, and forgets them the same way.
    copy.assertFails(
        ErrorCode.INVALID_ARGUMENT, "block 9 was freed", () -> copy.write("/x", block(9, 90)));
    ok(copy.forgetFreed(9));
    ok(h.forgetFreed(9));
    assertThat(copy.snapshot()).isEqualTo(h.snapshot());
    assertThat(copy.freedIds()).containsExactly(5L, 1L);
  }

  @Test
  void aSnapshotWithABlockBothFreedAndInAFileIsRejected() throws IOException {
    ok(h.write("/f", block(1, 10)));
    NamespaceTree tree = new NamespaceTree(3, 1024, 16);
    FileInode file = new FileInode(NameBytes.encode("f"), 1, 1, 0, 3);
    BlockInfo block = new BlockInfo(1, 10, file, List.of());
    file.setPieces(List.of(block));
    tree.root.link(file);
    tree.fileCount = 1;
    tree.totalBytes = 10;
    tree.blocks.put(1L, block);
    tree.freed.add(1, 10, new String[0]);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SnapshotFormat.write(tree, new RequestTable(4, 4), bytes);
    byte[] before = h.snapshot();
    assertThatThrownBy(() -> h.ns.readSnapshot(new ByteArrayInputStream(bytes.toByteArray())))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("block 1 is both freed and in a file");
    assertThat(h.snapshot()).isEqualTo(before);
  }
}
