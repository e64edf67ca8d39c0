package dev.cairn.client;

import java.util.List;

/**
 * The cluster at a glance, as seen by the node that answered (node health comes from the leader's
 * heartbeat records when there is a leader).
 *
 * @param underReplicatedBlocks blocks with fewer live replicas than their replication factor
 * @param healing what the leader's re-replication has done and has left
 * @param namespaceProblem why the namespace could not be read, or null; when set, the file,
 *     block and replica counts are unknown and read as 0
 */
public record ClusterStatus(
    String leaderId,
    List<NodeState> nodes,
    long files,
    long directories,
    long blocks,
    long underReplicatedBlocks,
    long underReplicatedBytes,
    int defaultReplication,
    Healing healing,
    String namespaceProblem) {

  public ClusterStatus(String leaderId, List<NodeState> nodes, long files, long directories,
      long blocks, long underReplicatedBlocks, long underReplicatedBytes,
      int defaultReplication) {
    this(leaderId, nodes, files, directories, blocks, underReplicatedBlocks, underReplicatedBytes,
        defaultReplication, Healing.NONE, null);
  }

  /**
   * One node.
   *
   * @param state LIVE, SUSPECT or DEAD as the leader sees it from heartbeats (UNKNOWN without a
   *     leader)
   * @param membership ACTIVE, DECOMMISSIONING or DECOMMISSIONED
   * @param lastSeenMsAgo since the last heartbeat; -1 if never seen
   * @param referencedBlocks blocks the namespace lists this node as holding
   */
  public record NodeState(
      String id,
      String address,
      boolean up,
      String raftRole,
      long blocks,
      long bytesUsed,
      long bytesFree,
      long lastSeenMsAgo,
      String error,
      String state,
      String membership,
      boolean full,
      long referencedBlocks,
      long corruptBlocksFound,
      long scrubbedBytes) {

    public NodeState(String id, String address, boolean up, String raftRole, long blocks,
        long bytesUsed, long bytesFree, long lastSeenMsAgo, String error) {
      this(id, address, up, raftRole, blocks, bytesUsed, bytesFree, lastSeenMsAgo, error,
          up ? "LIVE" : "UNKNOWN", "ACTIVE", false, 0, 0, 0);
    }
  }

  /**
   * Re-replication progress.
   *
   * @param rateBytesPerSec copy rate over the last minute
   * @param etaSeconds time left at that rate; -1 if unknown, 0 if nothing is left
   */
  public record Healing(
      long blocksCopied,
      long bytesCopied,
      long rateBytesPerSec,
      long etaSeconds,
      long rateLimitBytesPerSec,
      long blocksTrimmed,
      long blocksDeleted) {
    public static final Healing NONE = new Healing(0, 0, 0, 0, 0, 0, 0);
  }

  /**
   * True when a leader is known, the namespace answered, every active node is up, and no block
   * is under-replicated. Decommissioned nodes do not count.
   */
  public boolean healthy() {
    return leaderId != null
        && !leaderId.isEmpty()
        && namespaceProblem == null
        && nodes.stream().allMatch(n -> n.up() || "DECOMMISSIONED".equals(n.membership()))
        && underReplicatedBlocks == 0;
  }
}
