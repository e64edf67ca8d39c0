package dev.cairn.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.CairnClient;
import dev.cairn.client.ClusterStatus;
import dev.cairn.faults.Content.Digest;
import dev.cairn.testing.MiniCluster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Silent corruption: bytes flipped inside block files on disk (in the data, not in the stored
 * checksums or the trailer) while the nodes run. Reads must still return the right bytes, the
 * bad replicas must be found (by the read or by the scrubber) and quarantined, and the leader
 * must copy good replicas back, until every block again has three identical replicas.
 */
@Timeout(180)
@ExtendWith(Seed.Extension.class)
class CorruptionTest {
  private static final int BLOCK = 64 * 1024;
  /** The last 20 bytes of a block file: data length (8 bytes), chunk size, chunk count, magic. */
  private static final int TRAILER_BYTES = 20;

  @Test
  void flippedBytesAreNeverReadBackAndTheReplicasAreRepaired(Seed seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed.value());
    try (MiniCluster cluster = MiniCluster.builder().nodes(3).blockSize(BLOCK).build()) {
      cluster.start();
      CairnClient client = cluster.newClient();
      Map<String, Content> files = new LinkedHashMap<>();
      for (int i = 0; i < 8; i++) {
        Content c = Content.of(random.nextLong(), BLOCK * (1 + random.nextInt(4))
            + random.nextInt(BLOCK));
        String path = "/corrupt/f" + i;
        client.mkdir("/corrupt", true);
        try (var in = c.stream()) {
          client.write(path, in);
        }
        files.put(path, c);
      }

      // Every block of every file gets bytes flipped on n2; the blocks of the first file on n3
      // too, so that a read of them must get past two bad replicas out of three.
      String victim = "n2";
      String second = "n3";
      List<String> damaged = new ArrayList<>();
      int damagedOnVictim = 0;
      int damagedOnSecond = 0;
      for (String path : files.keySet()) {
        for (MiniCluster.BlockLocation b : cluster.blocksOf(path)) {
          assertThat(b.replicas()).containsExactlyInAnyOrder("n1", "n2", "n3");
          flipBytes(ClusterChecker.blockFile(cluster.dataDir(victim), b.blockId()), random, 3);
          damaged.add(victim + ":" + Long.toHexString(b.blockId()));
          damagedOnVictim++;
          if (path.equals("/corrupt/f0")) {
            flipBytes(ClusterChecker.blockFile(cluster.dataDir(second), b.blockId()), random, 1);
            damaged.add(second + ":" + Long.toHexString(b.blockId()));
            damagedOnSecond++;
          }
        }
      }
      System.out.println("flipped bytes in " + damaged.size() + " replicas: " + damaged);

      // A client that knows only n2 reads n2's replica first: it must never see the bad bytes.
      try (CairnClient viaVictim = cluster.clientBuilder()
          .addresses(cluster.node(victim).address()).build()) {
        for (Map.Entry<String, Content> f : files.entrySet()) {
          assertThat(Workload.readDigest(viaVictim, f.getKey()))
              .as("content of %s read through %s", f.getKey(), victim)
              .isEqualTo(f.getValue().digest());
        }
      }

      // Found (by those reads or the scrubber) and quarantined: every damaged replica on n2 is
      // in its corrupt/ folder, and the status counts them.
      int expectedOnVictim = damagedOnVictim;
      int expectedOnSecond = damagedOnSecond;
      Awaitility.await("every damaged replica quarantined")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> quarantined(cluster, victim) >= expectedOnVictim
              && quarantined(cluster, second) >= expectedOnSecond);
      assertThat(quarantined(cluster, victim)).isEqualTo(expectedOnVictim);
      assertThat(quarantined(cluster, second)).isEqualTo(expectedOnSecond);
      assertThat(quarantined(cluster, "n1")).as("replicas quarantined on the healthy n1").isZero();
      // A replica found by a read and by the scrubber at the same moment may count twice.
      ClusterStatus status = Awaitility.await("the status to count the corrupt replicas")
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(cluster::clusterStatus, s -> corruptFound(s, victim) >= expectedOnVictim
              && corruptFound(s, second) >= expectedOnSecond);
      assertThat(corruptFound(status, "n1")).isZero();

      // Repaired: three identical, checksum-clean replicas of every block, no orphans.
      Map<String, String> addresses = new LinkedHashMap<>();
      Map<String, Path> dataDirs = new LinkedHashMap<>();
      cluster.nodes().forEach(n -> {
        addresses.put(n.id(), n.address());
        dataDirs.put(n.id(), n.dataDir());
      });
      try (ClusterChecker checker = new ClusterChecker(client, addresses, dataDirs, 3)) {
        assertThat(checker.awaitConverged(Duration.ofSeconds(60)))
            .as("problems left after repair").isEmpty();
        assertThat(checker.replicaProblems()).as("replicas that differ after repair").isEmpty();
      }

      // Every node now serves every file right, whichever replica it starts from.
      for (MiniCluster.Node node : cluster.nodes()) {
        try (CairnClient via = cluster.clientBuilder().addresses(node.address()).build()) {
          for (Map.Entry<String, Content> f : files.entrySet()) {
            Digest got = Workload.readDigest(via, f.getKey());
            assertThat(got).as("%s through %s", f.getKey(), node.id())
                .isEqualTo(f.getValue().digest());
          }
        }
      }
    }
  }

  private static int quarantined(MiniCluster cluster, String node) {
    return ClusterChecker.files(cluster.dataDir(node).resolve("corrupt")).size();
  }

  private static long corruptFound(ClusterStatus status, String node) {
    return status.nodes().stream().filter(n -> n.id().equals(node))
        .mapToLong(ClusterStatus.NodeState::corruptBlocksFound).sum();
  }

  /**
   * Inverts {@code count} bytes at random places of a block file's data (before the checksums
   * and the trailer), as bit rot would; the file's length and checksums stay as they were.
   */
  static void flipBytes(Path file, SplittableRandom random, int count) throws IOException {
    assertThat(file).exists();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ByteBuffer trailer = ByteBuffer.allocate(8);
      ch.read(trailer, ch.size() - TRAILER_BYTES);
      long dataLength = trailer.flip().getLong();
      assertThat(dataLength).isBetween(1L, ch.size() - TRAILER_BYTES);
      for (int i = 0; i < count; i++) {
        long at = random.nextLong(dataLength);
        ByteBuffer one = ByteBuffer.allocate(1);
        ch.read(one, at);
        one.put(0, (byte) ~one.get(0)).rewind();
        ch.write(one, at);
      }
      ch.force(true);
    }
    // No look at the file afterwards: the scrubber may have moved it to corrupt/ already.
  }
}
