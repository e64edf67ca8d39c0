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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
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
 *   free/                                                   deleted block files kept for reuse
 * </pre>
 *
 * A block file holds the data, then one CRC32C per chunk, then a 20-byte trailer (data length,
 * chunk size, chunk count, magic). A block is written under tmp/, fsynced, renamed into blocks/ and
 * the directory fsynced: the rename is the commit point, so a crash leaves either the whole block
 * or none of it.
 *
 * <p>A deleted block's file is not unlinked but moved to free/, up to a limit of bytes, and the
 * next block written takes it over: its bytes are overwritten in place and the file is cut to the
 * new block's length before it is fsynced. Unlinking a large file frees its extents, and on a file
 * system mounted with online discard each commit of its journal then waits for the device to trim
 * them; every fsync of the node (its Raft log's too) waits behind that. A file that a reader still
 * has open is unlinked, never reused, so that reader keeps the bytes it opened.
 */
public final class FileBlockStore implements BlockStore {
  private static final Logger log = LoggerFactory.getLogger(FileBlockStore.class);
  private static final int MAGIC = 0xCA1B10C5;
  private static final int TRAILER_BYTES = 20;
  /** The most bytes of deleted block files kept for reuse, unless a store is given its own. */
  public static final long DEFAULT_REUSE_LIMIT_BYTES = 1L << 30;

  private final Path blocksDir;
  private final Path tmpDir;
  private final Path corruptDir;
  private final Path freeDir;
  private final Clock clock;
  private final Map<Long, Entry> blocks = new ConcurrentHashMap<>();
  private final AtomicLong bytesUsed = new AtomicLong();
  /** The most bytes of deleted block files kept in free/ for reuse. */
  private final long reuseLimitBytes;
  /** Guarded by itself: the files in free/, and their bytes. */
  private final Deque<FreeFile> freeFiles = new ArrayDeque<>();
  private long freeBytes;
  /** Guarded by itself: how many readers have each block open. */
  private final Map<Long, Integer> openReaders = new HashMap<>();

  private record Entry(long length, long createdMs) {}

  private record FreeFile(Path path, long bytes) {}

  /**
   * Opens the store under {@code root}, removing temporary files left by a crash, and keeping
   * deleted block files for reuse up to the lesser of {@link #DEFAULT_REUSE_LIMIT_BYTES} and a
   * twentieth of the volume.
   */
  public FileBlockStore(Path root, Clock clock) throws IOException {
    this(root, clock, defaultReuseLimit(root));
  }

  private static long defaultReuseLimit(Path root) throws IOException {
    Files.createDirectories(root);
    return Math.min(DEFAULT_REUSE_LIMIT_BYTES, Files.getFileStore(root).getTotalSpace() / 20);
  }

  /**
   * Opens the store under {@code root} as above, keeping at most {@code reuseLimitBytes} of
   * deleted block files for reuse (0: unlink them at once).
   */
  public FileBlockStore(Path root, Clock clock, long reuseLimitBytes) throws IOException {
    this.blocksDir = root.resolve("blocks");
    this.tmpDir = root.resolve("tmp");
    this.corruptDir = root.resolve("corrupt");
    this.freeDir = root.resolve("free");
    this.clock = clock;
    this.reuseLimitBytes = reuseLimitBytes;
    Files.createDirectories(blocksDir);
    Files.createDirectories(tmpDir);
    Files.createDirectories(corruptDir);
    Files.createDirectories(freeDir);
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
    try (DirectoryStream<Path> free = Files.newDirectoryStream(freeDir)) {
      for (Path p : free) {
        release(p, true);
      }
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
    boolean reused = takeFreeFile(tmp);
    try {
      return new FileWriter(blockId, tmp, reused);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  /** Moves a file of free/ to {@code target}; false if there is none (or it could not be moved). */
  private boolean takeFreeFile(Path target) {
    FreeFile f;
    synchronized (freeFiles) {
      f = freeFiles.pollFirst();
      if (f == null) {
        return false;
      }
      freeBytes -= f.bytes;
    }
    try {
      Files.move(f.path, target, StandardCopyOption.ATOMIC_MOVE);
      return true;
    } catch (IOException e) {
      log.warn("cannot reuse {}: {}; writing a new file", f.path, e.toString());
      return false;
    }
  }

  /**
   * Disposes of a file no block needs any more: kept in free/ while that holds fewer than the
   * limit's bytes, otherwise unlinked.
   *
   * @param inFreeDir whether the file is in free/ already (found there at start-up)
   */
  private void release(Path file, boolean inFreeDir) throws IOException {
    long size;
    try {
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      return;
    }
    synchronized (freeFiles) {
      if (freeBytes + size <= reuseLimitBytes) {
        Path kept = file;
        if (!inFreeDir) {
          kept = freeDir.resolve(
              Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".free");
          Files.move(file, kept, StandardCopyOption.ATOMIC_MOVE);
        }
        freeFiles.addLast(new FreeFile(kept, size));
        freeBytes += size;
        return;
      }
    }
    Files.deleteIfExists(file);
  }

  @Override
  public BlockReader open(long blockId) throws IOException {
    synchronized (openReaders) {
      if (!blocks.containsKey(blockId)) {
        throw new NoSuchFileException("block " + Long.toHexString(blockId));
      }
      openReaders.merge(blockId, 1, Integer::sum);
    }
    try {
      return new FileReader(blockId, pathOf(blockId));
    } catch (IOException | RuntimeException e) {
      readerClosed(blockId);
      throw e;
    }
  }

  private void readerClosed(long blockId) {
    synchronized (openReaders) {
      openReaders.computeIfPresent(blockId, (id, n) -> n == 1 ? null : n - 1);
    }
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
    boolean beingRead;
    synchronized (openReaders) {
      // open() checks and counts under this lock, so a reader counted after this point found the
      // block gone: it opens nothing.
      beingRead = openReaders.containsKey(blockId);
    }
    if (beingRead) {
      Files.deleteIfExists(pathOf(blockId));
    } else {
      release(pathOf(blockId), false);
    }
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

  /** Usable bytes left on the volume, counting the files kept for reuse as free. */
  @Override
  public long bytesFree() throws IOException {
    return Files.getFileStore(blocksDir).getUsableSpace() + reusableBytes();
  }

  /** Bytes of deleted block files kept in free/ for reuse. */
  public long reusableBytes() {
    synchronized (freeFiles) {
      return freeBytes;
    }
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
    private final boolean reused;
    private final FileChannel channel;
    private final CRC32C crc = new CRC32C();
    private int[] crcs = new int[16];
    private int chunks;
    private long length;
    private boolean lastChunkShort;
    private boolean done;

    /** @param reused whether {@code tmp} is a file of free/, to be overwritten from its start */
    FileWriter(long blockId, Path tmp, boolean reused) throws IOException {
      this.blockId = blockId;
      this.tmp = tmp;
      this.reused = reused;
      this.channel = reused
          ? FileChannel.open(tmp, StandardOpenOption.WRITE)
          : FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
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
        if (reused) {
          // What is left of the file's earlier block past this one's trailer.
          channel.truncate(channel.position());
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

  private final class FileReader implements BlockReader {
    private static final int WAIT_PIECE = 4096;
    private final long blockId;
    private final FileChannel channel;
    private final long length;
    private final int[] crcs;
    private final CRC32C crc = new CRC32C();
    private boolean closed;

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
      if (!closed) {
        closed = true;
        channel.close();
        readerClosed(blockId);
      }
    }
  }
}
