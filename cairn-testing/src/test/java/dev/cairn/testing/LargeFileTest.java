package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnInputStream;
import dev.cairn.client.FileStatus;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A file far larger than a block, streamed in and out without ever being held whole in memory on
 * the test's side, compared by SHA-256. Prints the throughput it saw.
 */
@Timeout(300)
@ExtendWith(TestSeed.Extension.class)
class LargeFileTest {
  private static final long SIZE = 200L * 1024 * 1024;
  private static final int BLOCK = 8 * 1024 * 1024;

  private static MiniCluster cluster;
  private static CairnClient client;

  @BeforeAll
  static void startCluster() throws IOException {
    cluster = MiniCluster.builder().nodes(3).blockSize(BLOCK).build().start();
    client = cluster.newClient();
    client.mkdir("/large", false);
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void a200MiBFileStreamsInAndOutIntact(TestSeed seed) throws IOException {
    DigestInputStream source = SeededContent.digesting(SeededContent.stream(seed.value(), SIZE));

    long writeStart = System.nanoTime();
    FileStatus written = client.write("/large/file.bin", source);
    double writeSeconds = (System.nanoTime() - writeStart) / 1e9;
    String writtenDigest = SeededContent.hex(source.getMessageDigest());
    assertThat(source.read()).as("the client read the source to its end").isEqualTo(-1);

    assertThat(written.size()).isEqualTo(SIZE);
    assertThat(client.stat("/large/file.bin").size()).isEqualTo(SIZE);

    long readStart = System.nanoTime();
    String readDigest;
    try (CairnInputStream in = client.open("/large/file.bin")) {
      assertThat(in.status().size()).isEqualTo(SIZE);
      assertThat(in.status().version()).isEqualTo(written.version());
      readDigest = SeededContent.sha256(in);
    }
    double readSeconds = (System.nanoTime() - readStart) / 1e9;

    System.out.printf(
        "LargeFileTest: wrote %d MiB in %.1f s (%.1f MB/s), read it in %.1f s (%.1f MB/s)%n",
        SIZE >> 20, writeSeconds, SIZE / 1e6 / writeSeconds, readSeconds,
        SIZE / 1e6 / readSeconds);
    assertThat(readDigest).as("SHA-256 of what was read back").isEqualTo(writtenDigest);

    List<MiniCluster.BlockLocation> blocks = cluster.blocksOf("/large/file.bin");
    assertThat(blocks).hasSize((int) (SIZE / BLOCK));
    assertThat(blocks).allSatisfy(b -> {
      assertThat(b.length()).isEqualTo(BLOCK);
      assertThat(b.replicas()).hasSize(3).doesNotHaveDuplicates();
    });
  }

  @Test
  void aRangeInTheMiddleReadsTheRightBytes(TestSeed seed) throws IOException {
    long size = 3L * BLOCK + 12345;
    client.write("/large/ranges.bin", SeededContent.stream(seed.value(), size));

    try (CairnInputStream in = client.open("/large/ranges.bin")) {
      // Skip across a block boundary, then read across the next one.
      long skipTo = BLOCK + BLOCK / 2;
      assertThat(in.skip(skipTo)).isEqualTo(skipTo);
      byte[] piece = in.readNBytes(BLOCK);
      assertThat(piece).hasSize(BLOCK);
      for (int i = 0; i < piece.length; i += 4099) {
        assertThat(piece[i]).as("byte at %d", skipTo + i)
            .isEqualTo(SeededContent.byteAt(seed.value(), skipTo + i));
      }
      assertThat(in.readAllBytes()).isEqualTo(tail(seed.value(), size, skipTo + BLOCK));
    }
  }

  /** The content of a seeded stream from {@code from} to its end. */
  private static byte[] tail(long seed, long size, long from) throws IOException {
    InputStream all = SeededContent.stream(seed, size);
    all.skipNBytes(from);
    return all.readAllBytes();
  }
}
