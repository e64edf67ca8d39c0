package dev.cairn.client.internal;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.ReadBlockRequest;
import dev.cairn.proto.ReadBlockResponse;
import java.io.Closeable;
import java.io.IOException;
import java.util.zip.CRC32C;

/**
 * One replica's copy of a block, read over the block data protocol ({@link BlockWire#READ}) and
 * handed out chunk by chunk. Every chunk is checked against its CRC32C before it is handed out; a
 * chunk that fails the check is reported to the node ({@link BlockWire#VERIFY}), which checks its
 * replica and quarantines it if it is damaged.
 *
 * <p>Not thread-safe.
 */
public final class BlockReadStream implements Closeable {
  /** A replica that could not serve the block, or sent a damaged chunk. */
  public static final class ReplicaException extends IOException {
    public final boolean corrupt;

    ReplicaException(String message, boolean corrupt) {
      super(message);
      this.corrupt = corrupt;
    }
  }

  // A node checks a whole block at disk speed; a minute covers the largest blocks on a busy disk.
  private static final int VERIFY_TIMEOUT_MS = 60_000;

  private final BlockWire.Connection connection;
  private final String clientAddress;
  private final long blockId;
  private final CRC32C crc = new CRC32C();
  // The span being read: its chunks' lengths and CRCs, and how many of them were handed out.
  private final int[] lengths = new int[BlockWire.MAX_SPAN];
  private final int[] crcs = new int[BlockWire.MAX_SPAN];
  private int spanSize;
  private int spanNext;
  private int lastCrc;
  private boolean ended;

  private BlockReadStream(BlockWire.Connection connection, String clientAddress, long blockId) {
    this.connection = connection;
    this.clientAddress = clientAddress;
    this.blockId = blockId;
  }

  /**
   * Asks the node at {@code clientAddress} for block {@code blockId} from {@code offset} (a chunk
   * boundary). A node that answers with an error throws {@link ReplicaException}.
   */
  public static BlockReadStream open(String clientAddress, long blockId, long offset,
      int readTimeoutMs) throws IOException {
    BlockWire.Connection c = BlockWire.Connection.open(clientAddress, BlockWire.READ,
        readTimeoutMs);
    try {
      BlockWire.writeMessage(c.out,
          ReadBlockRequest.newBuilder().setBlockId(blockId).setOffset(offset).build());
      c.out.flush();
      check(BlockWire.readMessage(c.in, ReadBlockResponse.parser()));
      return new BlockReadStream(c, clientAddress, blockId);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /**
   * Reads the next chunk into {@code buffer} (at least {@link BlockWire#CHUNK_SIZE} long); its
   * length, or 0 at the end of the block.
   */
  public int next(byte[] buffer) throws IOException {
    return next(buffer, 0);
  }

  /**
   * Reads the next chunk into {@code buffer} from {@code offset} (with room for {@link
   * BlockWire#CHUNK_SIZE} bytes); its length, or 0 at the end of the block. If the chunk is
   * damaged, that room may hold any bytes when this throws.
   */
  public int next(byte[] buffer, int offset) throws IOException {
    if (ended) {
      return 0;
    }
    if (spanNext == spanSize) {
      int count = BlockWire.readSpanHeader(connection.in, lengths, crcs);
      if (count == BlockWire.FAILED) {
        check(BlockWire.readMessage(connection.in, ReadBlockResponse.parser()));
        throw new IOException("replica failed without saying why");
      }
      if (count == BlockWire.END) {
        ended = true;
        return 0;
      }
      spanSize = count;
      spanNext = 0;
    }
    int length = lengths[spanNext];
    lastCrc = crcs[spanNext];
    spanNext++;
    if (offset + length > buffer.length) {
      throw new ReplicaException("replica holds more than the block's length", true);
    }
    connection.in.readFully(buffer, offset, length);
    crc.reset();
    crc.update(buffer, offset, length);
    if ((int) crc.getValue() != lastCrc) {
      reportDamage(clientAddress, blockId);
      throw new ReplicaException("a chunk arrived damaged", true);
    }
    return length;
  }

  /**
   * Asks the node at {@code clientAddress} to check its replica of {@code blockId}, in the
   * background: the reader goes on to another replica meanwhile. The node, not the reader,
   * decides whether the replica is damaged, so bytes damaged on the way cost a check, not a
   * replica.
   */
  static void reportDamage(String clientAddress, long blockId) {
    Thread.ofVirtual().name("cairn-report-damage").start(() -> {
      try {
        verify(clientAddress, blockId, VERIFY_TIMEOUT_MS);
      } catch (IOException | RuntimeException e) {
        // The node's scrubber finds the damage on its next pass anyway.
      }
    });
  }

  /**
   * Asks the node at {@code clientAddress} to check its replica of {@code blockId} ({@link
   * BlockWire#VERIFY}) and waits for its answer: CORRUPT if it found the replica damaged (and
   * quarantined it), OK if the replica is sound.
   */
  public static ReadBlockResponse verify(String clientAddress, long blockId, int timeoutMs)
      throws IOException {
    try (BlockWire.Connection c =
        BlockWire.Connection.open(clientAddress, BlockWire.VERIFY, timeoutMs)) {
      BlockWire.writeMessage(c.out, ReadBlockRequest.newBuilder().setBlockId(blockId).build());
      c.out.flush();
      return BlockWire.readMessage(c.in, ReadBlockResponse.parser());
    }
  }

  /** The CRC32C of the chunk {@link #next} returned last. */
  public int lastCrc() {
    return lastCrc;
  }

  private static void check(ReadBlockResponse r) throws ReplicaException {
    if (r.getStatus().getCode() != ErrorCode.OK) {
      throw new ReplicaException(r.getStatus().getMessage(),
          r.getStatus().getCode() == ErrorCode.CORRUPT);
    }
  }

  @Override
  public void close() {
    connection.close();
  }
}
