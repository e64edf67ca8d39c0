package dev.cairn.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.CairnClient;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A replica node frozen with SIGSTOP: its block data port still accepts connections (the kernel
 * does that), but nothing on them is read. A write must not wait for it beyond the replica
 * timeout: the blocks are acknowledged by the two live replicas, read back whole, and get their
 * third replica once the node runs again.
 */
@Timeout(240)
@ExtendWith(Seed.Extension.class)
class StalledReplicaTest {
  private static final int BLOCK = 1024 * 1024;

  @Test
  void aFrozenReplicaDoesNotStopWritesAndIsCaughtUpOnceItRuns(Seed seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed.value());
    // The default upload window (half the orphan grace) of fault tests is 10 s: shorter than a
    // write whose first blocks each wait out the replica timeout.
    ProcessCluster.Options options = new ProcessCluster.Options().nodes(3).blockSize(BLOCK)
        .orphanGrace(Duration.ofMinutes(2));
    try (ProcessCluster cluster = ProcessCluster.onLoopback(options)) {
      try {
        run(cluster, random);
      } catch (Exception | AssertionError e) {
        System.out.println(cluster.logTails());
        cluster.options().keepBaseDir(true);
        System.out.println("node data and logs kept in " + cluster.baseDir());
        throw e;
      }
    }
  }

  private void run(ProcessCluster cluster, SplittableRandom random) throws Exception {
    cluster.start(Duration.ofSeconds(120));
    try (CairnClient client = cluster.newClient(Duration.ofSeconds(60))) {
      client.mkdir("/stall", true);
      List<String> followers = new ArrayList<>(cluster.ids());
      followers.remove(cluster.status().leaderId());
      String frozen = followers.get(random.nextInt(followers.size()));
      // Several blocks, more than the client uploads at once, and a short last one.
      Content content = Content.of(random.nextLong(), 6 * BLOCK + random.nextInt(BLOCK));

      cluster.pause(frozen);
      long start = System.nanoTime();
      try {
        try (InputStream in = content.stream()) {
          client.write("/stall/f", in);
        }
        System.out.printf("wrote %d bytes with %s frozen in %d ms%n", content.length(), frozen,
            (System.nanoTime() - start) / 1_000_000);
        assertThat(Workload.readDigest(client, "/stall/f")).as("read back with %s frozen", frozen)
            .isEqualTo(content.digest());
      } finally {
        cluster.resume(frozen);
      }

      try (ClusterChecker checker =
          new ClusterChecker(client, cluster.addressMap(), cluster.dataDirs(), 3)) {
        assertThat(checker.awaitConverged(Duration.ofSeconds(90)))
            .as("problems left once %s runs again", frozen).isEmpty();
        assertThat(checker.replicaProblems()).as("replicas that differ").isEmpty();
      }
      assertThat(Workload.readDigest(client, "/stall/f")).isEqualTo(content.digest());
      assertThat(cluster.unexpectedExits()).as("node processes that died by themselves").isEmpty();
    }
  }
}
