package dev.cairn.testing;

import static dev.cairn.testing.MiniCluster.snapshotIndexes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.CairnClient;
import dev.cairn.server.meta.ratis.RaftMeta;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A namespace snapshot is written only once the log since the last one is as large as that
 * snapshot, or ten times the entry threshold has gone by: not every fixed number of entries,
 * which would write a large namespace again and again for a few small changes. Old snapshots are
 * still deleted, though Ratis's clean-up after each of its calls is skipped while nothing changed.
 * The voters' schedules are stretched apart, so they do not all write at once.
 */
class SnapshotScheduleTest {
  private static final int THRESHOLD = 50;

  private MiniCluster cluster;

  @AfterEach
  void tearDown() throws IOException {
    System.clearProperty(RaftMeta.SNAPSHOT_THRESHOLD_KEY);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void smallChangesWaitForALogAsLargeAsTheSnapshotOrTenTimesTheThreshold() throws Exception {
    System.setProperty(RaftMeta.SNAPSHOT_THRESHOLD_KEY, Integer.toString(THRESHOLD));
    cluster = MiniCluster.builder().nodes(3).build().start();
    // The first of the ids keeps the schedule unstretched.
    String first = cluster.ids().stream().sorted().findFirst().orElseThrow();
    Path smDir = cluster.snapshotDir(first);
    byte[] large = new byte[60 * 1024];
    try (CairnClient client = cluster.newClient()) {
      // About 4.5 MB of inline files in 75 entries: the first snapshot, past 50 entries.
      for (int i = 0; i < 75; i++) {
        large[0] = (byte) i;
        client.write("/large" + i, large);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> !snapshotIndexes(smDir).isEmpty());
      long firstIndex = snapshotIndexes(smDir).getLast();
      long firstBytes = Files.size(snapshotFile(smDir, firstIndex));
      assertThat(firstBytes).as("the first snapshot holds the inline files")
          .isGreaterThan(2_000_000);

      // 300 entries of a few hundred bytes each: six times the threshold, a thousandth of the
      // snapshot's bytes. The old schedule took a snapshot every 50 of them.
      for (int i = 0; i < 300; i++) {
        client.write("/small" + i, new byte[] {(byte) i});
      }
      long afterSmall = cluster.node(first).server().appliedIndex();

      // As many bytes again as the snapshot: the next one is due.
      for (int i = 75; i < 160; i++) {
        large[0] = (byte) i;
        client.write("/large" + i, large);
      }
      await().atMost(Duration.ofSeconds(60))
          .until(() -> snapshotIndexes(smDir).getLast() > afterSmall);
      List<Long> kept = snapshotIndexes(smDir);
      assertThat(kept).as("snapshots kept (the newest two), after small changes up to index %d",
          afterSmall).hasSize(2);
      assertThat(kept.getFirst()).as("no snapshot between the first and the large files after")
          .isEqualTo(firstIndex);

      // Ten times the threshold of tiny entries: a snapshot however small the log.
      long second = kept.getLast();
      for (int i = 0; i < 10 * THRESHOLD + 20; i++) {
        client.write("/tiny" + i, new byte[] {(byte) i});
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> snapshotIndexes(smDir).getLast() > second);
      long third = snapshotIndexes(smDir).getLast();
      assertThat(third - second)
          .as("entries between the second and the third snapshot")
          .isGreaterThanOrEqualTo(10L * THRESHOLD);
      // Once the third is in use, the first is deleted: the newest two are kept.
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        client.write("/tick", new byte[] {1});
        return snapshotIndexes(smDir).equals(List.of(second, third));
      });
      assertThat(client.readAllBytes("/small299")).containsExactly((byte) 299);
    }
  }

  @Test
  void eachVoterTakesItsFirstSnapshotFurtherIntoTheLogByItsRank() throws Exception {
    System.setProperty(RaftMeta.SNAPSHOT_THRESHOLD_KEY, Integer.toString(THRESHOLD));
    cluster = MiniCluster.builder().nodes(3).build().start();
    List<String> ids = cluster.ids().stream().sorted().toList();
    try (CairnClient client = cluster.newClient()) {
      // One small file at a time, so that every node sees the entries one by one; few enough that
      // no node has yet written the third snapshot that would delete its first.
      for (int i = 0; i < 2 * THRESHOLD + 10; i++) {
        client.write("/f" + i, new byte[] {(byte) i});
      }
    }
    long[] firstIndexes = new long[ids.size()];
    for (int rank = 0; rank < ids.size(); rank++) {
      Path smDir = cluster.snapshotDir(ids.get(rank));
      await().atMost(Duration.ofSeconds(60)).until(() -> !snapshotIndexes(smDir).isEmpty());
      firstIndexes[rank] = snapshotIndexes(smDir).getFirst();
    }
    // Stretches 1, 4/3 and 5/3 of the threshold of 50 entries.
    assertThat(firstIndexes[0]).as("first snapshot of %s", ids.get(0))
        .isBetween((long) THRESHOLD, (long) THRESHOLD * 4 / 3 - 1);
    assertThat(firstIndexes[1]).as("first snapshot of %s", ids.get(1))
        .isBetween((long) Math.ceil(THRESHOLD * 4 / 3.0), (long) THRESHOLD * 5 / 3 - 1);
    assertThat(firstIndexes[2]).as("first snapshot of %s", ids.get(2))
        .isGreaterThanOrEqualTo((long) Math.ceil(THRESHOLD * 5 / 3.0));
  }

  @Test
  void stretchesAreSpreadByRankAmongThePeers() {
    List<String> peers = List.of("n3", "n1", "n2");
    assertThat(RaftMeta.snapshotStretch("n1", peers)).isEqualTo(1.0);
    assertThat(RaftMeta.snapshotStretch("n2", peers)).isEqualTo(1 + 1 / 3.0);
    assertThat(RaftMeta.snapshotStretch("n3", peers)).isEqualTo(1 + 2 / 3.0);
    assertThat(RaftMeta.snapshotStretch("joiner", peers)).isEqualTo(1.0);
  }

  private static Path snapshotFile(Path smDir, long index) throws IOException {
    try (Stream<Path> files = Files.list(smDir)) {
      return files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_" + index))
          .findFirst().orElseThrow();
    }
  }
}
