package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.CairnClient;
import dev.cairn.client.ClusterStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Writers keep writing while the Raft leader is killed: every acknowledged write must be there
 * afterwards, exactly as written, and no retried mutation may be applied twice.
 */
@Timeout(300)
@ExtendWith(TestSeed.Extension.class)
class LeaderFailoverTest {
  private static final int WRITERS = 4;
  private static final int BLOCK = 64 * 1024;
  private static final String ROOT = "/failover";
  private static final String APPENDS = ROOT + "/appends";
  private static final Pattern LINE = Pattern.compile("writer-(\\d+) seq-(\\d+)");

  @Test
  void acknowledgedWritesSurviveTheLeadersDeath(TestSeed seed) throws Exception {
    try (MiniCluster cluster =
        MiniCluster.builder().nodes(3).blockSize(BLOCK).inlineThreshold(8 * 1024).build()) {
      cluster.start();
      CairnClient setup = cluster.newClient();
      setup.mkdir(ROOT, true);
      setup.create(APPENDS);

      List<Writer> writers = new ArrayList<>();
      for (int i = 0; i < WRITERS; i++) {
        Writer writer = new Writer(i, cluster.newClient(), new SplittableRandom(seed.value() + i));
        setup.mkdir(writer.dir(), false);
        writers.add(writer);
      }
      writers.forEach(Writer::start);

      awaitProgress(writers, 5, Duration.ofSeconds(60));
      String leader = cluster.leaderId();
      Map<Writer, Integer> ackedBeforeKill = new HashMap<>();
      writers.forEach(w -> ackedBeforeKill.put(w, w.acked.get()));
      long killedAt = System.nanoTime();
      cluster.kill(leader);

      // Keep writing well past the election: each writer needs ten more acknowledged operations.
      awaitProgress(writers, 10, Duration.ofSeconds(90), ackedBeforeKill);
      System.out.printf("LeaderFailoverTest: killed leader %s; writers made 10 more operations "
          + "each within %d ms%n", leader, (System.nanoTime() - killedAt) / 1_000_000);
      writers.forEach(Writer::finish);

      List<String> failures = new ArrayList<>();
      writers.forEach(w -> failures.addAll(w.failures));
      assertThat(failures).as("operations that failed despite failover").isEmpty();
      String newLeader = cluster.leaderId();
      assertThat(newLeader).isNotEqualTo(leader);
      await("status shows " + leader + " down").atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> !nodeUp(cluster.clusterStatus(), leader));

      CairnClient checker = cluster.newClient();
      assertEveryAcknowledgedWriteReadsBack(checker, writers);
      assertEveryAcknowledgedAppendAppearsOnce(checker, writers);

      cluster.restart(leader);
      ClusterStatus healthy = cluster.awaitHealthy(Duration.ofSeconds(120));
      assertThat(healthy.nodes()).allSatisfy(n -> assertThat(n.up()).isTrue());
      assertThat(cluster.missingReplicas(ROOT)).isEmpty();
      Set<Long> onDisk = cluster.blockIdsOnDisk(leader);
      int blocksChecked = 0;
      for (String file : cluster.filesUnder(ROOT)) {
        for (MiniCluster.BlockLocation block : cluster.blocksOf(file)) {
          assertThat(block.replicas()).as("replicas of block %d of %s", block.blockId(), file)
              .containsExactlyInAnyOrderElementsOf(cluster.ids());
          assertThat(onDisk).as("blocks on the restarted %s's disk", leader)
              .contains(block.blockId());
          blocksChecked++;
        }
      }
      assertThat(blocksChecked).as("blocks written by the writers").isPositive();
      // Everything still reads back after the restarted node rejoined.
      assertEveryAcknowledgedWriteReadsBack(checker, writers);
    }
  }

  private static boolean nodeUp(ClusterStatus status, String id) {
    return status.nodes().stream().anyMatch(n -> n.id().equals(id) && n.up());
  }

  private static void assertEveryAcknowledgedWriteReadsBack(CairnClient client, List<Writer> writers)
      throws IOException {
    int checked = 0;
    for (Writer writer : writers) {
      for (Map.Entry<String, String> ack : writer.files.entrySet()) {
        byte[] content = client.readAllBytes(ack.getKey());
        assertThat(SeededContent.sha256(content)).as("content of acknowledged %s", ack.getKey())
            .isEqualTo(ack.getValue());
        checked++;
      }
      if (writer.latestDigest != null) {
        assertThat(SeededContent.sha256(client.readAllBytes(writer.dir() + "/latest")))
            .as("the last acknowledged overwrite of %s/latest", writer.dir())
            .isEqualTo(writer.latestDigest);
      }
    }
    assertThat(checked).as("acknowledged files").isGreaterThanOrEqualTo(WRITERS * 7);
  }

  private static void assertEveryAcknowledgedAppendAppearsOnce(
      CairnClient client, List<Writer> writers) throws IOException {
    String text = new String(client.readAllBytes(APPENDS), StandardCharsets.UTF_8);
    assertThat(text).as("the append file ends with a whole line").endsWith("\n");
    Map<String, Integer> counts = new HashMap<>();
    Map<Integer, Integer> lastSeqOfWriter = new HashMap<>();
    for (String line : text.split("\n")) {
      counts.merge(line, 1, Integer::sum);
      Matcher m = LINE.matcher(line);
      assertThat(m.matches()).as("line '%s' of the append file", line).isTrue();
      int writer = Integer.parseInt(m.group(1));
      int seq = Integer.parseInt(m.group(2));
      Integer previous = lastSeqOfWriter.put(writer, seq);
      if (previous != null) {
        assertThat(seq).as("order of writer %d's appends", writer).isGreaterThan(previous);
      }
    }
    for (Writer writer : writers) {
      for (String line : writer.ackedLines) {
        assertThat(counts.getOrDefault(line, 0)).as("times acknowledged line '%s' appears", line)
            .isEqualTo(1);
      }
    }
    for (Map.Entry<String, Integer> count : counts.entrySet()) {
      assertThat(count.getValue()).as("times line '%s' appears", count.getKey()).isEqualTo(1);
      boolean attempted =
          writers.stream().anyMatch(w -> w.attemptedLines.contains(count.getKey()));
      assertThat(attempted).as("line '%s' was appended by a writer", count.getKey()).isTrue();
    }
  }

  private static void awaitProgress(List<Writer> writers, int operations, Duration timeout) {
    Map<Writer, Integer> zero = new HashMap<>();
    writers.forEach(w -> zero.put(w, 0));
    awaitProgress(writers, operations, timeout, zero);
  }

  /** Waits until every writer acknowledged {@code operations} more than in {@code base}. */
  private static void awaitProgress(
      List<Writer> writers, int operations, Duration timeout, Map<Writer, Integer> base) {
    try {
      await().atMost(timeout).until(() -> writers.stream()
          .allMatch(w -> w.acked.get() >= base.get(w) + operations || !w.thread.isAlive()));
    } catch (ConditionTimeoutException e) {
      List<String> state = writers.stream()
          .map(w -> "writer-" + w.index + ": " + w.acked.get() + " acknowledged, failures "
              + w.failures)
          .toList();
      throw new AssertionError("writers made no progress: " + state, e);
    }
    for (Writer w : writers) {
      assertThat(w.thread.isAlive()).as("writer-%d is alive (failures %s)", w.index, w.failures)
          .isTrue();
    }
  }

  /**
   * One writer: in a loop, writes a new file (small, or a few blocks), overwrites its "latest"
   * file, and appends one line to the shared append file, recording each acknowledged operation.
   */
  private static final class Writer implements Runnable {
    final int index;
    final CairnClient client;
    final SplittableRandom random;
    final Thread thread;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger acked = new AtomicInteger();
    final Map<String, String> files = new ConcurrentHashMap<>();
    final Set<String> attemptedLines = ConcurrentHashMap.newKeySet();
    final Set<String> ackedLines = ConcurrentHashMap.newKeySet();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    volatile String latestDigest;

    Writer(int index, CairnClient client, SplittableRandom random) {
      this.index = index;
      this.client = client;
      this.random = random;
      this.thread = new Thread(this, "writer-" + index);
      thread.setDaemon(true);
    }

    String dir() {
      return ROOT + "/w" + index;
    }

    void start() {
      thread.start();
    }

    void finish() {
      stop.set(true);
      try {
        thread.join(Duration.ofSeconds(60));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while stopping writer-" + index, e);
      }
      assertThat(thread.isAlive()).as("writer-%d stopped", index).isFalse();
    }

    @Override
    public void run() {
      for (int seq = 0; !stop.get(); seq++) {
        // Mostly small files kept inline, some of a few blocks.
        int size = random.nextInt(4) == 0
            ? BLOCK + random.nextInt(2 * BLOCK)
            : random.nextInt(2000);
        byte[] content = SeededContent.bytes(random.nextLong(), size);
        String path = dir() + "/f" + seq;
        try {
          client.write(path, content);
          files.put(path, SeededContent.sha256(content));
          acked.incrementAndGet();
        } catch (IOException | RuntimeException e) {
          failures.add("write " + path + ": " + e);
        }

        byte[] latest = ("latest of writer-" + index + " seq-" + seq).getBytes(StandardCharsets.UTF_8);
        try {
          client.write(dir() + "/latest", latest);
          latestDigest = SeededContent.sha256(latest);
        } catch (IOException | RuntimeException e) {
          latestDigest = null; // unknown whether it landed
          failures.add("overwrite " + dir() + "/latest: " + e);
        }

        String line = "writer-" + index + " seq-" + seq;
        attemptedLines.add(line);
        try {
          client.append(APPENDS,
              new ByteArrayInputStream((line + "\n").getBytes(StandardCharsets.UTF_8)));
          ackedLines.add(line);
          acked.incrementAndGet();
        } catch (IOException | RuntimeException e) {
          failures.add("append '" + line + "': " + e);
        }
      }
    }
  }
}
