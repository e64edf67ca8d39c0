package dev.cairn.server.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlockStore} of one file per block under a directory:
 *
 * <pre>
 *   blocks/&lt;last byte of id, hex&gt;/&lt;id, 16 hex digits&gt;.blk   committed blocks
 *   tmp/                                                    blocks being written
 *   corrupt/                                                quarantined blocks
 * </pre>
 *
 * A block file holds the data, then one CRC32C per chunk, then a 20-byte trailer (data length,
 * chunk size, chunk count, magic). A block is written under tmp/, fsynced, renamed into blocks/ and
 * the directory fsynced: the rename is the commit point, so a crash leaves either the whole block
 * or none of it.
 */
public final class FileBlockStore implements BlockStore {
  private static final Logger log = LoggerFactory.getLogger(FileBlockStore.class);
  private static final int MAGIC = 0xCA1B10C5;
  private static final int TRAILER_BYTES = 20;

  private final Path blocksDir;
  private final Path tmpDir;
  private final Path corruptDir;
  private final Clock clock;
  private final Map<Long, Entry> blocks = new ConcurrentHashMap<>();
  private final AtomicLong bytesUsed = new AtomicLong();

  private record Entry(long length, long createdMs) {}

  /** Opens the store under {@code root}, removing temporary files left by a crash. */
  public FileBlockStore(Path root, Clock clock) throws IOException {
    this.blocksDir = root.resolve("blocks");
    this.tmpDir = root.resolve("tmp");
    this.corruptDir = root.resolve("corrupt");
    this.clock = clock;
    Files.createDirectories(blocksDir);
    Files.createDirectories(tmpDir);
    Files.createDirectories(corruptDir);
    int removed = 0;
    try (DirectoryStream<Path> tmp = Files.newDirectoryStream(tmpDir)) {
      for (Path p : tmp) {
        Files.deleteIfExists(p);
        removed++;
      }
    }
    if (removed > 0) {
      log.info("removed {} unfinished block writes left by an earlier run", removed);
    }
    scan();
  }

  private void scan() throws IOException {
    try (DirectoryStream<Path> subdirs = Files.newDirectoryStream(blocksDir)) {
      for (Path sub : subdirs) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(sub, "*.blk")) {
          for (Path f : files) {
            String name = f.getFileName().toString();
            long id = Long.parseUnsignedLong(name.substring(0, name.length() - 4), 16);
            // A block whose trailer cannot be read is still listed, with length 0: a read of it
            // fails its checks, and the read moves to another replica.
            long length = dataLength(f);
            blocks.put(id, new Entry(length, Files.getLastModifiedTime(f).toMillis()));
            bytesUsed.addAndGet(length);
          }
        }
      }
    }
  }

  /** The data length recorded in a block file's trailer, or 0 if the trailer is unreadable. */
  private static long dataLength(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer t = readTrailer(ch);
      return t == null ? 0 : t.getLong(0);
    } catch (IOException e) {
      return 0;
    }
  }

  private static ByteBuffer readTrailer(FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < TRAILER_BYTES) {
      return null;
    }
    ByteBuffer t = ByteBuffer.allocate(TRAILER_BYTES).order(ByteOrder.BIG_ENDIAN);
    readFully(ch, t, size - TRAILER_BYTES);
    t.flip();
    return t.getInt(16) == MAGIC ? t : null;
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file at " + pos);
      }
      pos += n;
    }
  }

  static String fileName(long blockId) {
    return String.format("%016x.blk", blockId);
  }

  private Path pathOf(long blockId) {
    return blocksDir.resolve(String.format("%02x", blockId & 0xff)).resolve(fileName(blockId));
  }

  @Override
  public BlockWriter create(long blockId) throws IOException {
    if (blocks.containsKey(blockId)) {
      throw new FileAlreadyExistsException("block " + Long.toHexString(blockId) + " exists");
    }
    Path tmp =
        tmpDir.resolve(
            fileName(blockId) + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    return new FileWriter(blockId, tmp);
  }

  @Override
  public BlockReader open(long blockId) throws IOException {
    if (!blocks.containsKey(blockId)) {
      throw new NoSuchFileException("block " + Long.toHexString(blockId));
    }
    return new FileReader(blockId, pathOf(blockId));
  }

  @Override
  public boolean contains(long blockId) {
    return blocks.containsKey(blockId);
  }

  @Override
  public List<StoredBlock> list() {
    long now = clock.millis();
    List<StoredBlock> out = new ArrayList<>(blocks.size());
    blocks.forEach((id, e) -> out.add(new StoredBlock(id, e.length, Math.max(0, now - e.createdMs))));
    return out;
  }

  @Override
  public boolean delete(long blockId) throws IOException {
    Entry e = blocks.remove(blockId);
    if (e == null) {
      return false;
    }
    bytesUsed.addAndGet(-e.length);
    Files.deleteIfExists(pathOf(blockId));
    return true;
  }

  @Override
  public void quarantine(long blockId) throws IOException {
    Entry e = blocks.remove(blockId);
    if (e == null) {
      return;
    }
    bytesUsed.addAndGet(-e.length);
    Path target = corruptDir.resolve(fileName(blockId) + "." + clock.millis());
    Files.move(pathOf(blockId), target, StandardCopyOption.ATOMIC_MOVE);
    log.warn("block {} failed its checksum; moved to {}", Long.toHexString(blockId), target);
  }

  @Override
  public long blockCount() {
    return blocks.size();
  }

  @Override
  public long bytesUsed() {
    return bytesUsed.get();
  }

  @Override
  public long bytesFree() throws IOException {
    return Files.getFileStore(blocksDir).getUsableSpace();
  }

  @Override
  public void close() {}

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private final class FileWriter implements BlockWriter {
    private final long blockId;
    private final Path tmp;
    private final FileChannel channel;
    private final CRC32C crc = new CRC32C();
    private int[] crcs = new int[16];
    private int chunks;
    private long length;
    private boolean lastChunkShort;
    private boolean done;

    FileWriter(long blockId, Path tmp) throws IOException {
      this.blockId = blockId;
      this.tmp = tmp;
      this.channel =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    @Override
    public void write(ByteBuffer chunk, int crc32c) throws IOException {
      if (done) {
        throw new IllegalStateException("block writer already finished");
      }
      int len = chunk.remaining();
      if (len > CHUNK_SIZE || len <= 0) {
        throw new IOException("chunk of " + len + " bytes; chunks are 1.." + CHUNK_SIZE);
      }
      // Only the last chunk may be short: chunk i always starts at i * CHUNK_SIZE, which is what
      // lets a reader seek to any chunk without an index.
      if (lastChunkShort) {
        throw new IOException("a short chunk must be the block's last");
      }
      crc.reset();
      crc.update(chunk.duplicate());
      if ((int) crc.getValue() != crc32c) {
        throw new CorruptBlockException(blockId, "chunk " + chunks + " arrived damaged");
      }
      while (chunk.hasRemaining()) {
        channel.write(chunk);
      }
      if (chunks == crcs.length) {
        crcs = Arrays.copyOf(crcs, chunks * 2);
      }
      crcs[chunks++] = crc32c;
      length += len;
      lastChunkShort = len < CHUNK_SIZE;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public void commit() throws IOException {
      if (done) {
        throw new IllegalStateException("block writer already finished");
      }
      done = true;
      try {
        ByteBuffer tail =
            ByteBuffer.allocate(4 * chunks + TRAILER_BYTES).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < chunks; i++) {
          tail.putInt(crcs[i]);
        }
        tail.putLong(length).putInt(CHUNK_SIZE).putInt(chunks).putInt(MAGIC).flip();
        while (tail.hasRemaining()) {
          channel.write(tail);
        }
        channel.force(true);
        channel.close();
        Path target = pathOf(blockId);
        Files.createDirectories(target.getParent());
        if (Files.exists(target)) {
          throw new FileAlreadyExistsException("block " + Long.toHexString(blockId) + " exists");
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(target.getParent());
        blocks.put(blockId, new Entry(length, clock.millis()));
        bytesUsed.addAndGet(length);
      } catch (IOException | RuntimeException e) {
        discard();
        throw e;
      }
    }

    @Override
    public void abort() {
      if (!done) {
        done = true;
        discard();
      }
    }

    private void discard() {
      try {
        channel.close();
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove " + tmp, e);
      }
    }

    @Override
    public void close() {
      abort();
    }
  }

  private static final class FileReader implements BlockReader {
    private static final int WAIT_PIECE = 4096;
    private final long blockId;
    private final FileChannel channel;
    private final long length;
    private final int[] crcs;
    private final CRC32C crc = new CRC32C();

    FileReader(long blockId, Path file) throws IOException {
      this.blockId = blockId;
      this.channel = FileChannel.open(file, StandardOpenOption.READ);
      try {
        ByteBuffer t = readTrailer(channel);
        if (t == null) {
          throw new CorruptBlockException(blockId, "trailer missing or damaged");
        }
        length = t.getLong(0);
        int chunkSize = t.getInt(8);
        int chunks = t.getInt(12);
        long expectedChunks = (length + CHUNK_SIZE - 1) / CHUNK_SIZE;
        if (chunkSize != CHUNK_SIZE
            || chunks != expectedChunks
            || channel.size() != length + 4L * chunks + TRAILER_BYTES) {
          throw new CorruptBlockException(blockId, "layout does not match its trailer");
        }
        ByteBuffer table = ByteBuffer.allocate(4 * chunks).order(ByteOrder.BIG_ENDIAN);
        readFully(channel, table, length);
        table.flip();
        crcs = new int[chunks];
        for (int i = 0; i < chunks; i++) {
          crcs[i] = table.getInt();
        }
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public int chunkCount() {
      return crcs.length;
    }

    @Override
    public int chunkCrc(int index) {
      return crcs[index];
    }

    @Override
    public long send(int first, int count, WritableByteChannel target) throws IOException {
      long start = (long) first * CHUNK_SIZE;
      long end = Math.min(length, (long) (first + count) * CHUNK_SIZE);
      for (long position = start; position < end; ) {
        long n = channel.transferTo(position, end - position, target);
        if (n == 0) {
          // The socket is full. A virtual thread's socket is non-blocking underneath, and
          // sendfile on it does not wait: send a little through the socket's own write, which
          // waits for room, and go on with sendfile once there is some.
          ByteBuffer piece = ByteBuffer.allocate((int) Math.min(WAIT_PIECE, end - position));
          readFully(channel, piece, position);
          piece.flip();
          while (piece.hasRemaining()) {
            n += target.write(piece);
          }
        }
        position += n;
      }
      return end - start;
    }

    @Override
    public int readChunk(int index, byte[] buffer) throws IOException {
      int len = chunkLength(index);
      ByteBuffer buf = ByteBuffer.wrap(buffer, 0, len);
      readFully(channel, buf, (long) index * CHUNK_SIZE);
      crc.reset();
      crc.update(buffer, 0, len);
      if ((int) crc.getValue() != crcs[index]) {
        throw new CorruptBlockException(blockId, "chunk " + index + " failed its checksum");
      }
      return len;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
