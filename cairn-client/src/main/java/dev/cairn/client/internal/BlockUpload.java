package dev.cairn.client.internal;

import dev.cairn.client.CairnException;
import dev.cairn.client.ErrorCode;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.WriteBlockHeader;
import dev.cairn.proto.WriteBlockResponse;
import java.io.IOException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * Sends one block to a node over the block data protocol ({@link BlockWire}); the node places its
 * replicas and answers once they have fsynced it. The caller keeps the block's bytes, so that a
 * failed upload is simply sent again to another node under a new block id (the partial copies of
 * the failed try are orphans, collected later).
 */
public final class BlockUpload {
  /** Bytes per checksummed chunk; must match the servers' block store. */
  public static final int CHUNK_SIZE = BlockWire.CHUNK_SIZE;

  private static final int UPLOAD_TIMEOUT_MS = 120_000;

  private BlockUpload() {}

  /**
   * Uploads {@code data[0..length)} as a new block with failover; returns where it is held. The
   * caller must not change {@code data} until this returns.
   */
  public static BlockRef upload(Connections nodes, byte[] data, int length, int replication)
      throws CairnException {
    return nodes.call("write block", (channel, address) -> {
      WriteBlockResponse response;
      try {
        response = send(address, data, length, replication);
      } catch (IOException e) {
        throw new Connections.RetryableException(new CairnException(ErrorCode.UNAVAILABLE,
            "block write to " + address + " failed: " + e.getMessage(), e));
      }
      if (response.getStatus().getCodeValue() != 0) {
        CairnException e = Errors.toException(response.getStatus());
        if (e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.NO_SPACE
            || e.code() == ErrorCode.ALREADY_EXISTS || e.code() == ErrorCode.CORRUPT
            || e.code() == ErrorCode.INTERNAL) {
          // Another node, or another id, may do better.
          throw new Connections.RetryableException(e);
        }
        throw e;
      }
      return response.getBlock();
    });
  }

  /** One try: streams the block to the node at {@code address} and waits for its answer. */
  private static WriteBlockResponse send(String address, byte[] data, int length,
      int replication) throws IOException {
    try (BlockWire.Connection c =
        BlockWire.Connection.open(address, BlockWire.WRITE, UPLOAD_TIMEOUT_MS)) {
      ScheduledFuture<?> deadline = c.deadline(UPLOAD_TIMEOUT_MS);
      try {
        BlockWire.writeMessage(c.out, WriteBlockHeader.newBuilder()
            .setBlockId(newBlockId())
            .setReplication(replication)
            .setForward(true)
            .build());
        CRC32C crc = new CRC32C();
        try {
          for (int off = 0; off < length; off += CHUNK_SIZE) {
            int n = Math.min(CHUNK_SIZE, length - off);
            crc.reset();
            crc.update(data, off, n);
            BlockWire.writeChunk(c.out, data, off, n, (int) crc.getValue());
          }
          c.out.writeInt(BlockWire.END);
          c.out.flush();
        } catch (IOException e) {
          // The node may have refused the block, and said why, before it stopped reading.
          return BlockWire.readMessage(c.in, WriteBlockResponse.parser());
        }
        return BlockWire.readMessage(c.in, WriteBlockResponse.parser());
      } finally {
        deadline.cancel(false);
      }
    }
  }

  /** A random block id: 64 random bits, never 0. A clash is refused by the store and retried. */
  public static long newBlockId() {
    long id;
    do {
      id = ThreadLocalRandom.current().nextLong();
    } while (id == 0);
    return id;
  }
}
