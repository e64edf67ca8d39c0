package dev.cairn.client.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.cairn.client.CairnException;
import dev.cairn.client.CairnInputStream;
import dev.cairn.client.ErrorCode;
import dev.cairn.client.FileStatus;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.Extent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads one version of a file: inline extents from the lookup, blocks chunk by chunk from their
 * replicas over the block data protocol ({@link BlockWire}). Every chunk's CRC32C is checked here
 * too; a replica that fails (unreachable, missing block, bad checksum) is left for the next one,
 * resuming at the same chunk.
 *
 * <p>Not thread-safe, like any InputStream.
 */
public final class FileReader extends CairnInputStream {
  // A replica that sends nothing for this long is taken for lost, and the next one is tried.
  private static final int READ_TIMEOUT_MS = 30_000;
  private final Connections nodes;
  private final FileStatus status;
  private final List<Extent> extents;
  private final Map<String, String> addresses;
  private final String path;

  private int extentIndex = -1;
  // The piece being served: a chunk as it arrived, or an inline extent; never copied before the
  // caller's buffer.
  private ByteString chunk = ByteString.EMPTY;
  private int chunkPos;
  // Position inside the current block extent.
  private BlockRef block;
  private int replicaIndex;
  private long blockOffset;
  private BlockReadStream stream;
  // Allocated at the first block: most small files are inline and never need it.
  private byte[] buffer;
  private final List<String> failures = new ArrayList<>();
  private boolean sawCorruption;

  public FileReader(Connections nodes, String path, FileStatus status, List<Extent> extents,
      Map<String, String> addresses) {
    this.nodes = nodes;
    this.path = path;
    this.status = status;
    this.extents = extents;
    this.addresses = addresses;
  }

  @Override
  public FileStatus status() {
    return status;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, buf.length);
    if (len == 0) {
      return 0;
    }
    while (chunkPos >= chunk.size()) {
      if (block != null && blockOffset < block.getLength() && len >= BlockWire.CHUNK_SIZE) {
        // Room for a whole chunk: it goes from the socket straight into the caller's array.
        return readBlockChunk(buf, off);
      }
      if (!advance()) {
        return -1;
      }
    }
    int n = Math.min(len, chunk.size() - chunkPos);
    chunk.copyTo(buf, chunkPos, off, n);
    chunkPos += n;
    return n;
  }

  /** Loads the next piece of content into {@code chunk}; false at the end of the file. */
  private boolean advance() throws IOException {
    if (block != null && blockOffset < block.getLength()) {
      if (buffer == null) {
        buffer = new byte[BlockWire.CHUNK_SIZE];
      }
      // The buffer is filled again only after the caller has taken all of this chunk.
      chunk = UnsafeByteOperations.unsafeWrap(buffer, 0, readBlockChunk(buffer, 0));
      chunkPos = 0;
      return true;
    }
    closeStream();
    block = null;
    extentIndex++;
    if (extentIndex >= extents.size()) {
      return false;
    }
    Extent e = extents.get(extentIndex);
    if (e.hasBlock()) {
      block = e.getBlock();
      blockOffset = 0;
      replicaIndex = preferredReplica(block);
      failures.clear();
      sawCorruption = false;
      chunk = ByteString.EMPTY;
    } else {
      chunk = e.getData();
    }
    chunkPos = 0;
    return true;
  }

  /** Starts with the replica on the node the client talks to, if it holds one. */
  private int preferredReplica(BlockRef b) {
    String current = nodes.currentAddress();
    for (int i = 0; i < b.getReplicasCount(); i++) {
      if (current.equals(addresses.get(b.getReplicas(i)))) {
        return i;
      }
    }
    return 0;
  }

  /**
   * Reads the block's next chunk into {@code into} from {@code offset} (with room for a whole
   * chunk), from the current replica or, if that fails, the next ones; returns its length.
   */
  private int readBlockChunk(byte[] into, int offset) throws IOException {
    if (b().getReplicasCount() == 0) {
      throw new CairnException(ErrorCode.UNAVAILABLE, "block " + Long.toHexString(b().getId())
          + " of " + path + " has no replica left");
    }
    int attempts = 0;
    while (attempts <= 2 * b().getReplicasCount()) {
      String replica = b().getReplicas(Math.floorMod(replicaIndex, b().getReplicasCount()));
      try {
        if (stream == null) {
          String address = addresses.get(replica);
          if (address == null) {
            throw new IOException("no address known for node " + replica);
          }
          stream = BlockReadStream.open(address, b().getId(), blockOffset, READ_TIMEOUT_MS);
        }
        int length = stream.next(into, offset);
        if (length == 0) {
          throw new IOException("replica ended early at offset " + blockOffset);
        }
        if (blockOffset + length > b().getLength()) {
          throw new BlockReadStream.ReplicaException(
              "replica holds more than the block's " + b().getLength() + " bytes", true);
        }
        blockOffset += length;
        return length;
      } catch (IOException e) {
        if (e instanceof BlockReadStream.ReplicaException r && r.corrupt) {
          sawCorruption = true;
        }
        failures.add(replica + ": " + e.getMessage());
        closeStream();
        replicaIndex++;
        attempts++;
      }
    }
    // Only damaged copies were found: say so, rather than suggest a retry might help.
    throw new CairnException(sawCorruption ? ErrorCode.CORRUPT : ErrorCode.UNAVAILABLE,
        "cannot read block "
        + Long.toHexString(b().getId()) + " of " + path + " from any replica: " + failures);
  }

  private BlockRef b() {
    return block;
  }

  private void closeStream() {
    if (stream != null) {
      stream.close();
      stream = null;
    }
  }

  @Override
  public void close() {
    closeStream();
    extentIndex = extents.size();
    block = null;
    chunk = ByteString.EMPTY;
    chunkPos = 0;
  }
}
