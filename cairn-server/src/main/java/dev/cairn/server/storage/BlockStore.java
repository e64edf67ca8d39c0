package dev.cairn.server.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * The immutable blocks a node holds, each with a CRC32C per chunk. A block becomes visible only
 * once it is complete and fsynced ({@link BlockWriter#commit}); a crash before that leaves nothing
 * behind but a temporary file, which is removed on the next start.
 *
 * <p>Thread-safe. Readers and writers of different blocks do not block each other.
 */
public interface BlockStore extends Closeable {

  /** Bytes of data per checksummed chunk. Every chunk but a block's last is exactly this long. */
  int CHUNK_SIZE = 64 * 1024;

  /** Starts writing a new block. Fails if a block with this id exists already. */
  BlockWriter create(long blockId) throws IOException;

  /** Opens a committed block; {@link java.nio.file.NoSuchFileException} if there is none. */
  BlockReader open(long blockId) throws IOException;

  boolean contains(long blockId);

  /** Every committed block, with its age. */
  List<StoredBlock> list();

  /** Removes a block; true if it was there. */
  boolean delete(long blockId) throws IOException;

  /** Moves a corrupt block aside so it is neither served nor reported, keeping it for analysis. */
  void quarantine(long blockId) throws IOException;

  long blockCount();

  long bytesUsed();

  /** Usable bytes left on the volume. */
  long bytesFree() throws IOException;

  /** A committed block as listed. */
  record StoredBlock(long id, long length, long ageMs) {}

  /** Writes one block, chunk by chunk. Not thread-safe; abort or commit it exactly once. */
  interface BlockWriter extends Closeable {
    /** Appends a chunk, the buffer's remaining bytes, after checking it against its CRC32C. */
    void write(ByteBuffer chunk, int crc32c) throws IOException;

    /** Appends a chunk after checking it against its CRC32C. */
    default void write(byte[] data, int offset, int length, int crc32c) throws IOException {
      write(ByteBuffer.wrap(data, offset, length), crc32c);
    }

    long length();

    /** Fsyncs the block and makes it visible under its id. */
    void commit() throws IOException;

    /** Drops what was written. */
    void abort();

    /** Aborts if neither commit nor abort was called. */
    @Override
    void close();
  }

  /** Reads a committed block chunk by chunk. Not thread-safe. */
  interface BlockReader extends Closeable {
    long length();

    int chunkCount();

    /**
     * Reads chunk {@code index} into {@code buffer} (at least {@link #CHUNK_SIZE} long) and returns
     * its length, after verifying its checksum.
     *
     * @throws CorruptBlockException if the data does not match its checksum
     */
    int readChunk(int index, byte[] buffer) throws IOException;

    /** The stored CRC32C of chunk {@code index}. */
    int chunkCrc(int index);

    /**
     * Sends chunks {@code first} to {@code first + count - 1} to {@code target} as they lie on
     * disk, without reading them into memory (sendfile, on a socket), and so without checking
     * them: the receiver checks each against its {@link #chunkCrc}. Returns the bytes sent.
     */
    long send(int first, int count, WritableByteChannel target) throws IOException;

    /** The length of chunk {@code index}: {@link #CHUNK_SIZE}, less for the last one. */
    default int chunkLength(int index) {
      return (int) Math.min(CHUNK_SIZE, length() - (long) index * CHUNK_SIZE);
    }

    @Override
    void close() throws IOException;
  }
}
