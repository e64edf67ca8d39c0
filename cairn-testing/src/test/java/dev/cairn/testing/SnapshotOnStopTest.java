package dev.cairn.testing;

import static dev.cairn.testing.MiniCluster.snapshotIndexes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.CairnClient;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node stopped cleanly writes a snapshot of everything it applied, so that its next start loads
 * it instead of replaying the log; a node that crashes writes none. Far below the snapshot
 * threshold (20,000 entries), no snapshot would exist otherwise.
 */
@Timeout(180)
class SnapshotOnStopTest {
  private static final int FILES = 150;

  @Test
  void aCleanStopSnapshotsWhatWasAppliedAndACrashDoesNot() throws Exception {
    try (MiniCluster cluster = MiniCluster.builder().nodes(3).build().start();
        CairnClient client = cluster.newClient()) {
      for (int i = 0; i < FILES; i++) {
        client.write("/f" + i, new byte[] {(byte) i});
      }
      String leader = cluster.leaderId();
      List<String> followers = cluster.ids().stream().filter(id -> !id.equals(leader)).toList();
      String stopped = followers.get(0);
      String crashed = followers.get(1);
      assertThat(snapshotIndexes(cluster.snapshotDir(stopped))).isEmpty();

      long applied = cluster.node(stopped).server().appliedIndex();
      cluster.stop(stopped);
      assertThat(applied).isGreaterThanOrEqualTo(FILES);
      assertThat(snapshotIndexes(cluster.snapshotDir(stopped)))
          .as("snapshots of %s after a clean stop at applied index %d", stopped, applied)
          .singleElement()
          .satisfies(index -> assertThat(index).isGreaterThanOrEqualTo(applied));

      client.write("/while-one-is-down", new byte[] {1});
      cluster.kill(crashed);
      assertThat(snapshotIndexes(cluster.snapshotDir(crashed))).as("snapshots of a crashed node")
          .isEmpty();

      cluster.restart(stopped);
      cluster.restart(crashed);
      for (int i = 0; i < FILES; i++) {
        assertThat(client.readAllBytes("/f" + i)).containsExactly((byte) i);
      }
      assertThat(client.readAllBytes("/while-one-is-down")).containsExactly(1);
      client.write("/after", new byte[] {2});
      assertThat(client.readAllBytes("/after")).containsExactly(2);
    }
  }
}
