package dev.cairn.client.internal;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.ReadBlockRequest;
import dev.cairn.proto.ReadBlockResponse;
import java.io.Closeable;
import java.io.IOException;
import java.util.zip.CRC32C;

/**
 * One replica's copy of a block, read chunk by chunk over the block data protocol ({@link
 * BlockWire#READ}). Every chunk is checked against its CRC32C before it is handed out.
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

  private final BlockWire.Connection connection;
  private final CRC32C crc = new CRC32C();
  private int lastCrc;
  private boolean ended;

  private BlockReadStream(BlockWire.Connection connection) {
    this.connection = connection;
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
      return new BlockReadStream(c);
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
    if (ended) {
      return 0;
    }
    int length = BlockWire.readChunkLength(connection.in);
    if (length == BlockWire.FAILED) {
      check(BlockWire.readMessage(connection.in, ReadBlockResponse.parser()));
      throw new IOException("replica failed without saying why");
    }
    if (length == BlockWire.END) {
      ended = true;
      return 0;
    }
    lastCrc = BlockWire.readChunkData(connection.in, buffer, length);
    crc.reset();
    crc.update(buffer, 0, length);
    if ((int) crc.getValue() != lastCrc) {
      throw new ReplicaException("a chunk arrived damaged", true);
    }
    return length;
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
