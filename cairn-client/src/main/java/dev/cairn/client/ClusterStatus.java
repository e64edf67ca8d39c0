package dev.cairn.client;

import java.util.List;

/** The cluster at a glance, as seen by the node that answered. */
public record ClusterStatus(
    String leaderId,
    List<NodeState> nodes,
    long files,
    long directories,
    long blocks,
    long underReplicatedBlocks,
    long underReplicatedBytes,
    int defaultReplication) {

  /** One node, as probed by the node that answered. */
  public record NodeState(
      String id,
      String address,
      boolean up,
      String raftRole,
      long blocks,
      long bytesUsed,
      long bytesFree,
      long lastSeenMsAgo,
      String error) {}

  /** True when a leader is known and every node answered. */
  public boolean healthy() {
    return leaderId != null
        && !leaderId.isEmpty()
        && nodes.stream().allMatch(NodeState::up)
        && underReplicatedBlocks == 0;
  }
}
