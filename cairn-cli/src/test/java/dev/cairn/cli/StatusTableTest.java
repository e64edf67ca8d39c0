package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.ClusterStatus;
import dev.cairn.client.ClusterStatus.NodeState;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusTableTest {
  private static NodeState up(String id) {
    return new NodeState(id, "127.0.0.1:1", true, "FOLLOWER", 0, 0, 0, 0, "");
  }

  @Test
  void nodesInNaturalIdOrder() {
    String table = StatusTable.render(new ClusterStatus("n1",
        List.of(up("n10"), up("n2"), up("n1")), 0, 1, 0, 0, 0, 0));
    assertThat(table.indexOf("n1 ")).isLessThan(table.indexOf("n2 "));
    assertThat(table.indexOf("n2 ")).isLessThan(table.indexOf("n10 "));
    assertThat(table).contains("replication:       default").contains("health:            ok");
  }

  @Test
  void noLeaderIsUnavailable() {
    String table = StatusTable.render(new ClusterStatus(null, List.of(up("n1")), 0, 1, 0, 0, 0, 3));
    assertThat(table).contains("leader:            none").contains("UNAVAILABLE (no leader)");
  }

  @Test
  void unreadNamespaceShowsNoCounts() {
    String table = StatusTable.render(new ClusterStatus("n1", List.of(up("n1")), 0, 0, 0, 0, 0,
        3, ClusterStatus.Healing.NONE, "namespace unavailable: timed out"));
    assertThat(table).contains("files:             unknown (namespace unavailable: timed out)")
        .contains("under-replicated:  unknown")
        .contains("UNAVAILABLE (the namespace did not answer)")
        .doesNotContain("0 blocks");
  }
}
