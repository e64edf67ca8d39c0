package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.ClusterStatus;
import dev.cairn.server.NodeConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node reports to a new leader as soon as it learns of it, not at its next regular heartbeat. The
 * heartbeats here are a minute apart, so only those sent on a change of leader can make a new
 * cluster show every node up, and a new leader show the survivors up, within the 30 s allowed.
 */
@Timeout(180)
class HeartbeatOnLeaderChangeTest {
  private static final Duration RARE_BEATS = Duration.ofSeconds(60);
  private static final Duration ALLOWED = Duration.ofSeconds(30);

  @Test
  void everyNodeIsUpAtANewLeaderLongBeforeItsNextRegularBeat() throws Exception {
    NodeConfig.Healing d = NodeConfig.Healing.DEFAULTS;
    NodeConfig.Healing rare = new NodeConfig.Healing(RARE_BEATS, RARE_BEATS.multipliedBy(2),
        RARE_BEATS.multipliedBy(5), d.copyRateBytesPerSec(), d.scrubRateBytesPerSec());
    try (MiniCluster cluster = MiniCluster.builder().nodes(3).startTimeout(ALLOWED)
        .configure(c -> c.withHealing(rare)).build()) {
      // start() returns only once the status shows every node up; it throws after 30 s.
      cluster.start();
      assertThat(upNodes(cluster.clusterStatus())).hasSize(3);

      String leader = cluster.leaderId();
      cluster.kill(leader);
      List<String> survivors = cluster.ids().stream().filter(id -> !id.equals(leader)).toList();
      await("the new leader shows " + survivors + " up").atMost(ALLOWED)
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> {
            ClusterStatus status = cluster.clusterStatus();
            return !status.leaderId().equals(leader)
                && upNodes(status).containsAll(survivors);
          });
    }
  }

  private static List<String> upNodes(ClusterStatus status) {
    return status.nodes().stream().filter(ClusterStatus.NodeState::up)
        .map(ClusterStatus.NodeState::id).toList();
  }
}
