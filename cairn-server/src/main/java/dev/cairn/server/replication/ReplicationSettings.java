package dev.cairn.server.replication;

/**
 * How many replicas a block gets.
 *
 * @param replication replicas wanted per block
 * @param minReplicas a write is acknowledged once this many replicas have fsynced it
 * @param bytesFreeFloor a node with less free space than this refuses new blocks
 */
public record ReplicationSettings(int replication, int minReplicas, long bytesFreeFloor) {}
