package dev.cairn.meta;

import java.util.List;

/**
 * A block referenced by a live file: its id and length, the nodes that hold a replica, and the file
 * that owns it. The same object is a piece of its file and the value in the block index, so a
 * replica change made through the index is what the file's lookup shows.
 *
 * <p>The replication wanted is always the owner's, so it is not stored twice.
 */
final class BlockInfo {

  private static final String[] NO_REPLICAS = new String[0];

  final long id;
  private final long length;
  final FileInode owner;

  /** Node ids, in the order the writer or the last {@code SetReplicas} gave them. */
  String[] replicas;

  BlockInfo(long id, long length, FileInode owner, List<String> replicas) {
    this.id = id;
    this.length = length;
    this.owner = owner;
    setReplicas(replicas);
  }

  long length() {
    return length;
  }

  void setReplicas(List<String> nodeIds) {
    this.replicas = nodeIds.isEmpty() ? NO_REPLICAS : nodeIds.toArray(NO_REPLICAS);
  }
}
