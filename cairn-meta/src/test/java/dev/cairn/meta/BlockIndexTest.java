package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.block;
import static dev.cairn.meta.NamespaceHarness.blockRef;
import static dev.cairn.meta.NamespaceHarness.inline;
import static dev.cairn.meta.NamespaceHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.BlockMap;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.NodeAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockIndexTest {

  private final NamespaceHarness h = new NamespaceHarness();

  private List<Long> indexedIds() {
    return h.blockMap().getBlockMap().getBlocksList().stream().map(BlockRef::getId).toList();
  }

  @Test
  void commitIndexesBlocksWithReplicasAndReplication() {
    ok(
        h.commit(
            CommitRequest.newBuilder()
                .setPath("/f")
                .setReplication(2)
                .addExtents(block(20, 100, "n1", "n2"))
                .addExtents(block(10, 50, "n3"))));
    BlockMap map = h.blockMap().getBlockMap();
    assertThat(map.getBlocksList())
        .containsExactly(blockRef(10, 50, "n3"), blockRef(20, 100, "n1", "n2"));
    assertThat(map.getReplicationList()).containsExactly(2, 2);
    assertThat(h.ns.blockCount()).isEqualTo(2);
  }

  @Test
  void overwriteDropsOldBlocksAndKeepsReusedOnes() {
    ok(h.write("/f", block(1, 10, "n1"), block(2, 10, "n1"), block(3, 10, "n1")));
    // The writer rewrote the tail: block 1 stays, 2 and 3 go, 4 is new.
    ok(h.setReplicas(blockRef(1, 0, "n5", "n6")));
    ok(h.write("/f", block(1, 10, "stale-copy"), block(4, 5, "n2")));
    assertThat(indexedIds()).containsExactly(1L, 4L);
    // A reused block keeps the index's replicas, which follow re-replication.
    assertThat(h.lookup("/f").getInfo().getExtents(0).getBlock().getReplicasList())
        .containsExactly("n5", "n6");
    assertThat(h.info("/f").getSize()).isEqualTo(15);
    h.ns.checkInvariants();
  }

  @Test
  void aReusedBlockMustKeepItsLength() {
    ok(h.write("/f", block(1, 10)));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT, "has length 10, not 11", () -> h.write("/f", block(1, 11)));
  }

  @Test
  void overwriteWithInlineDropsAllBlocks() {
    ok(h.write("/f", block(1, 10), block(2, 10)));
    ok(h.put("/f", "small"));
    assertThat(indexedIds()).isEmpty();
    assertThat(h.freedIds()).containsExactly(1L, 2L);
    // Once the server has deleted the replicas and forgotten the ids, another file may use them.
    ok(h.forgetFreed(1));
    ok(h.write("/g", block(1, 3)));
    assertThat(indexedIds()).containsExactly(1L);
  }

  @Test
  void deleteAndRenameMaintainTheIndex() {
    ok(h.mkdir("/d"));
    ok(h.write("/d/a", block(1, 10)));
    ok(h.write("/d/b", block(2, 10)));
    ok(h.rename("/d/a", "/a"));
    assertThat(indexedIds()).containsExactly(1L, 2L);
    // The block still belongs to the renamed file: another file may not take it.
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT, "belongs to \"/a\"", () -> h.write("/x", block(1, 10)));
    ok(h.delete("/a"));
    assertThat(indexedIds()).containsExactly(2L);
    ok(h.deleteRecursively("/d"));
    assertThat(indexedIds()).isEmpty();
    h.ns.checkInvariants();
  }

  @Test
  void setReplicasReplacesTheListAndIgnoresUnknownBlocks() {
    ok(h.write("/f", block(1, 10, "n1", "n2")));
    ok(h.write("/gone", block(2, 10, "n1")));
    ok(h.delete("/gone"));
    byte[] before = h.snapshot();
    ok(h.setReplicas(blockRef(2, 0, "n3"), blockRef(99, 0, "n3")));
    assertThat(h.snapshot()).as("replicas of deleted blocks change nothing").isEqualTo(before);
    long version = h.info("/f").getVersion();
    ok(h.setReplicas(blockRef(1, 0, "n2", "n3")));
    assertThat(h.lookup("/f").getInfo().getExtents(0).getBlock())
        .isEqualTo(blockRef(1, 10, "n2", "n3"));
    assertThat(h.info("/f").getVersion()).as("replicas are not content").isEqualTo(version);
    ok(h.setReplicas(blockRef(1, 0)));
    assertThat(h.blockMap().getBlockMap().getBlocks(0).getReplicasList()).isEmpty();
  }

  @Test
  void lookupNamesTheNodesHoldingItsBlocksInNodeTableOrder() {
    ok(h.registerNode("n1", "h1:1"));
    ok(h.registerNode("n2", "h2:1"));
    ok(h.registerNode("n3", "h3:1"));
    ok(h.write("/f", block(1, 10, "n3", "n1"), inline("tail"), block(2, 10, "unknown")));
    MetaQueryResult lookup = h.lookup("/f");
    assertThat(lookup.getNodesList())
        .containsExactly(
            NodeAddress.newBuilder().setId("n1").setAddress("h1:1").build(),
            NodeAddress.newBuilder().setId("n3").setAddress("h3:1").build());
    assertThat(lookup.getInfo().getExtentsList()).hasSize(3);
  }

  @Test
  void blockMapListsEveryBlockAndEveryNode() {
    ok(h.registerNode("n1", "h1:1"));
    ok(
        h.commit(
            CommitRequest.newBuilder().setPath("/a").setReplication(1).addExtents(block(5, 1))));
    ok(
        h.commit(
            CommitRequest.newBuilder()
                .setPath("/b")
                .setMode(CommitMode.OVERWRITE)
                .addExtents(block(3, 2))));
    BlockMap map = h.blockMap().getBlockMap();
    assertThat(map.getBlocksList()).extracting(BlockRef::getId).containsExactly(3L, 5L);
    assertThat(map.getReplicationList()).containsExactly(NamespaceHarness.DEFAULT_REPLICATION, 1);
    assertThat(map.getNodesList()).extracting(NodeAddress::getId).containsExactly("n1");
  }
}
