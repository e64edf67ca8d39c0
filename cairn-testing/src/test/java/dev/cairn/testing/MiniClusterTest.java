package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.client.CairnClient;
import dev.cairn.client.ClusterStatus;
import dev.cairn.server.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fixture itself: ports, handles, lifecycle actions and cleanup. */
@Timeout(120)
class MiniClusterTest {

  @Test
  void startsNodesOnDistinctPortRangesAndCleansUpOnClose() throws IOException {
    MiniCluster cluster = MiniCluster.builder().nodes(3).blockSize(64 * 1024).build();
    Path base = cluster.baseDir();
    try {
      Set<Integer> ports = new HashSet<>();
      for (MiniCluster.Node node : cluster.nodes()) {
        assertThat(node.address()).isEqualTo("127.0.0.1:" + node.port());
        for (int port = node.port(); port < node.port() + Ports.PER_NODE; port++) {
          assertThat(ports.add(port)).as("port %d used once", port).isTrue();
        }
        assertThat(node.dataDir()).startsWith(base);
        assertThat(node.isRunning()).isFalse();
      }
      assertThat(cluster.ids()).containsExactly("n1", "n2", "n3");
      assertThat(cluster.node(2)).isSameAs(cluster.node("n2"));
      assertThat(cluster.addresses().split(",")).hasSize(3);
      assertThatThrownBy(() -> cluster.node(0)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> cluster.node("n4")).isInstanceOf(IllegalArgumentException.class);

      cluster.start();

      ClusterStatus status = cluster.clusterStatus();
      assertThat(status.nodes()).extracting(ClusterStatus.NodeState::id)
          .containsExactlyInAnyOrder("n1", "n2", "n3");
      assertThat(status.leaderId()).isEqualTo(cluster.leaderId());
      assertThat(cluster.node(cluster.leaderId()).isLeader()).isTrue();
      CairnClient client = cluster.newClient();
      client.write("/f", SeededContent.bytes(1, 200 * 1024));
      List<MiniCluster.BlockLocation> blocks = cluster.blocksOf("/f");
      assertThat(blocks).hasSize(4);
      for (String id : cluster.ids()) {
        Set<Long> onDisk = cluster.blockIdsOnDisk(id);
        assertThat(onDisk).as("blocks on %s's disk", id)
            .containsAll(blocks.stream().map(MiniCluster.BlockLocation::blockId).toList());
        assertThat(cluster.blockReport(id)).isEqualTo(onDisk);
      }

      // A stopped node keeps its files; a restarted one comes back on the same port.
      int port = cluster.node("n3").port();
      cluster.stop("n3");
      assertThat(cluster.node("n3").isRunning()).isFalse();
      assertThat(cluster.blockFiles("n3")).hasSizeGreaterThanOrEqualTo(4);
      assertThatThrownBy(() -> cluster.kill("n3")).isInstanceOf(IllegalStateException.class);
      cluster.restart("n3");
      assertThat(cluster.node("n3").port()).isEqualTo(port);
      assertThat(cluster.awaitHealthy(java.time.Duration.ofSeconds(60)).healthy()).isTrue();
      assertThat(client.readAllBytes("/f")).isEqualTo(SeededContent.bytes(1, 200 * 1024));
    } finally {
      cluster.close();
    }

    assertThat(Files.exists(base)).as("temp dir deleted on close").isFalse();
    assertThat(cluster.runningNodes()).isEmpty();
    cluster.close(); // idempotent
    assertThatThrownBy(cluster::newClient).isInstanceOf(IllegalStateException.class);
  }
}
