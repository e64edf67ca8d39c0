package dev.cairn.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.storage.BlockStore.BlockReader;
import dev.cairn.server.storage.BlockStore.BlockWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deleted block files kept in free/ and written over by later blocks. */
class FileBlockStoreTest {
  private static final int CHUNK = BlockStore.CHUNK_SIZE;

  @Test
  void aDeletedBlocksFileIsWrittenOverByTheNextBlockAndCutToItsLength(@TempDir Path dir)
      throws IOException {
    FileBlockStore store = new FileBlockStore(dir, Clock.systemUTC(), 1 << 20);
    byte[] large = bytes(3 * CHUNK + 100, 1);
    write(store, 1, large);
    long largeFileBytes = fileBytes(dir.resolve("blocks"));

    assertThat(store.delete(1)).isTrue();
    assertThat(files(dir.resolve("free"))).hasSize(1);
    assertThat(store.reusableBytes()).isEqualTo(largeFileBytes);

    byte[] small = bytes(CHUNK + 7, 2);
    write(store, 2, small);
    assertThat(files(dir.resolve("free"))).isEmpty();
    assertThat(store.reusableBytes()).isZero();
    assertThat(read(store, 2)).isEqualTo(small);
    // Nothing of the earlier block is left past the new one's trailer.
    assertThat(fileBytes(dir.resolve("blocks"))).isLessThan(largeFileBytes);

    // The same after a restart, which reads every block's trailer and layout again.
    FileBlockStore reopened = new FileBlockStore(dir, Clock.systemUTC(), 1 << 20);
    assertThat(reopened.list()).extracting(BlockStore.StoredBlock::id).containsExactly(2L);
    assertThat(read(reopened, 2)).isEqualTo(small);
  }

  @Test
  void aBlockOpenForReadingIsUnlinkedNotReusedSoItsReaderKeepsItsBytes(@TempDir Path dir)
      throws IOException {
    FileBlockStore store = new FileBlockStore(dir, Clock.systemUTC(), 1 << 20);
    byte[] first = bytes(2 * CHUNK, 3);
    write(store, 1, first);
    byte[] buffer = new byte[CHUNK];
    try (BlockReader reader = store.open(1)) {
      assertThat(store.delete(1)).isTrue();
      assertThat(files(dir.resolve("free"))).isEmpty();
      write(store, 2, bytes(2 * CHUNK, 4));
      for (int chunk = 0; chunk < 2; chunk++) {
        assertThat(reader.readChunk(chunk, buffer)).isEqualTo(CHUNK);
        assertThat(buffer).isEqualTo(slice(first, chunk * CHUNK, CHUNK));
      }
    }
    assertThatThrownBy(() -> store.open(1)).isInstanceOf(NoSuchFileException.class);

    // Once its reader is gone, a deleted block's file is kept again.
    try (BlockReader reader = store.open(2)) {
      assertThat(reader.length()).isEqualTo(2 * CHUNK);
    }
    assertThat(store.delete(2)).isTrue();
    assertThat(files(dir.resolve("free"))).hasSize(1);
  }

  @Test
  void filesBeyondTheLimitAreUnlinkedAndAKeptFileOutlivesARestart(@TempDir Path dir)
      throws IOException {
    byte[] data = bytes(2 * CHUNK, 5);
    FileBlockStore store = new FileBlockStore(dir, Clock.systemUTC(), 3 * CHUNK);
    write(store, 1, data);
    write(store, 2, data);
    long freeBefore = store.bytesFree();
    store.delete(1);
    store.delete(2);
    // One file of 2 chunks and its CRCs fits in 3 chunks' worth; the second does not.
    assertThat(files(dir.resolve("free"))).hasSize(1);
    assertThat(files(dir.resolve("blocks"))).isEmpty();
    // A kept file counts as free space: the store will write its next block into it.
    assertThat(store.bytesFree()).isGreaterThanOrEqualTo(freeBefore + store.reusableBytes());

    FileBlockStore reopened = new FileBlockStore(dir, Clock.systemUTC(), 3 * CHUNK);
    assertThat(reopened.reusableBytes()).isEqualTo(store.reusableBytes());
    write(reopened, 3, data);
    assertThat(files(dir.resolve("free"))).isEmpty();
    assertThat(read(reopened, 3)).isEqualTo(data);

    // A limit of 0 keeps nothing.
    FileBlockStore none = new FileBlockStore(dir, Clock.systemUTC(), 0);
    none.delete(3);
    assertThat(files(dir.resolve("free"))).isEmpty();
    assertThat(files(dir.resolve("blocks"))).isEmpty();
  }

  @Test
  void anAbortedWriteIntoAKeptFileLeavesNoBlockAndNoTemporaryFile(@TempDir Path dir)
      throws IOException {
    FileBlockStore store = new FileBlockStore(dir, Clock.systemUTC(), 1 << 20);
    write(store, 1, bytes(CHUNK, 6));
    store.delete(1);
    try (BlockWriter w = store.create(2)) {
      byte[] part = bytes(CHUNK, 7);
      w.write(part, 0, part.length, crc(part, 0, part.length));
      w.abort();
    }
    assertThat(store.contains(2)).isFalse();
    assertThat(files(dir.resolve("tmp"))).isEmpty();
    assertThat(files(dir.resolve("blocks"))).isEmpty();
  }

  private static void write(BlockStore store, long id, byte[] data) throws IOException {
    try (BlockWriter w = store.create(id)) {
      for (int at = 0; at < data.length; at += CHUNK) {
        int n = Math.min(CHUNK, data.length - at);
        w.write(data, at, n, crc(data, at, n));
      }
      w.commit();
    }
  }

  private static byte[] read(BlockStore store, long id) throws IOException {
    try (BlockReader r = store.open(id)) {
      byte[] out = new byte[(int) r.length()];
      byte[] chunk = new byte[CHUNK];
      for (int i = 0; i < r.chunkCount(); i++) {
        int n = r.readChunk(i, chunk);
        System.arraycopy(chunk, 0, out, i * CHUNK, n);
      }
      return out;
    }
  }

  private static int crc(byte[] data, int offset, int length) {
    CRC32C c = new CRC32C();
    c.update(data, offset, length);
    return (int) c.getValue();
  }

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  private static byte[] slice(byte[] b, int from, int n) {
    byte[] out = new byte[n];
    System.arraycopy(b, from, out, 0, n);
    return out;
  }

  /** The regular files under a directory, at any depth. */
  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  private static long fileBytes(Path dir) throws IOException {
    long total = 0;
    for (Path f : files(dir)) {
      total += Files.size(f);
    }
    return total;
  }
}
