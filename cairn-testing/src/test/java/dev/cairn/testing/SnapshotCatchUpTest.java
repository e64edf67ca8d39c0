package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.CairnClient;
import dev.cairn.server.meta.ratis.RaftMeta;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node that was down while the others took a namespace snapshot and purged their logs catches up
 * from the leader's snapshot, sent in chunks, and then serves as a voter again: it carries a
 * later leader election. The snapshot here (tens of MiB of inline files) spans several chunks.
 */
@Timeout(240)
class SnapshotCatchUpTest {
  private MiniCluster cluster;

  @AfterEach
  void close() throws Exception {
    System.clearProperty(RaftMeta.SNAPSHOT_THRESHOLD_KEY);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aNodeBehindASnapshotCatchesUpAndVotesAgain() throws Exception {
    System.setProperty(RaftMeta.SNAPSHOT_THRESHOLD_KEY, "50");
    cluster = MiniCluster.builder().nodes(3).build().start();
    String leader = cluster.leaderId();
    String lagging = cluster.node(1).id().equals(leader) ? cluster.node(2).id()
        : cluster.node(1).id();
    cluster.stop(lagging);
    byte[] content = new byte[60 * 1024];
    new Random(11).nextBytes(content);
    try (CairnClient client = cluster.newClient()) {
      // About 24 MiB of inline files: several 8 MiB log segments, purged after the snapshot.
      for (int i = 0; i < 400; i++) {
        content[0] = (byte) i;
        client.write("/f" + i, content);
      }
      // Snapshots are written aside and reported to Ratis once durable, which then purges the
      // log: the lagging node's entries are gone from the leader.
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        client.write("/tick", new byte[] {1});
        return cluster.node(leader).server().logStartIndex() > 50;
      });
      cluster.restart(lagging);
      long target = cluster.node(leader).server().appliedIndex();
      await().atMost(Duration.ofSeconds(120)).until(
          () -> cluster.node(lagging).server().appliedIndex() >= target);
      assertThat(cluster.node(lagging).server().logStartIndex())
          .as("the log of a node that caught up from a snapshot starts after it")
          .isGreaterThan(50);

      // The caught-up node must be a full voter: with the old leader gone, it and the third node
      // elect a leader and the data is all there.
      cluster.kill(leader);
      content[0] = (byte) 399;
      byte[] last = client.readAllBytes("/f399");
      assertThat(Arrays.equals(last, content)).isTrue();
      client.write("/after", new byte[] {1, 2, 3});
      assertThat(client.readAllBytes("/after")).containsExactly(1, 2, 3);
    }
  }

  @Test
  void aSnapshotCutShortIsDeletedAtTheNextStart() throws Exception {
    cluster = MiniCluster.builder().nodes(3).build().start();
    String id = cluster.node(1).id();
    Path stateMachineDir = cluster.snapshotDir(id);
    cluster.stop(id);
    Path partial = Files.write(stateMachineDir.resolve("snapshot.1_123.tmp"), new byte[4096]);
    Path unrelated = Files.write(stateMachineDir.resolve("notes.tmp"), new byte[] {1});
    cluster.restart(id);
    assertThat(partial).doesNotExist();
    assertThat(unrelated).exists();
    try (CairnClient client = cluster.newClient()) {
      client.write("/after", new byte[] {7});
      assertThat(client.readAllBytes("/after")).containsExactly(7);
    }
  }
}
