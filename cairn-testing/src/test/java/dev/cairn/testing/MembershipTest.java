package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import dev.cairn.client.ClusterStatus;
import dev.cairn.client.ErrorCode;
import dev.cairn.server.CairnNode;
import dev.cairn.server.NodeConfig;
import dev.cairn.server.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership through Ratis: a new node joins a running cluster (and takes blocks), and a node is
 * decommissioned: its blocks are copied elsewhere before it is marked retired, and the data stays
 * whole. A decommission the other nodes cannot absorb is refused and changes nothing.
 */
@Timeout(240)
class MembershipTest {
  private static final int BLOCK = 64 * 1024;

  @Test
  void aNodeJoinsThenAnotherIsDecommissioned(@TempDir Path dir) throws Exception {
    try (MiniCluster cluster = MiniCluster.builder().nodes(3).blockSize(BLOCK)
            .maintenanceInterval(Duration.ofMillis(500)).build().start();
        CairnClient client = cluster.newClient()) {
      byte[] data = new byte[10 * BLOCK + 123];
      new Random(3).nextBytes(data);
      client.write("/before", data);

      // Refused while only three nodes can hold three replicas.
      Throwable refused = catchThrowable(() -> client.decommission("n2"));
      assertThat(refused).isInstanceOfSatisfying(CairnException.class,
          e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));

      String address = "127.0.0.1:" + Ports.freeRange();
      NodeConfig config = NodeConfig.of("n4", dir.resolve("n4"), address, Map.of("n4", address))
          .withBlockSize(BLOCK)
          .withTimers(Duration.ofMillis(1000), Duration.ofMinutes(10), Duration.ofMillis(500));
      try (CairnNode joined =
          CairnNode.join(config, List.of(cluster.addresses().split(",")))) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
            assertThat(client.clusterStatus().nodes())
                .anySatisfy(n -> {
                  assertThat(n.id()).isEqualTo("n4");
                  assertThat(n.up()).isTrue();
                }));

        client.decommission("n2");
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
          ClusterStatus s = client.clusterStatus();
          ClusterStatus.NodeState n2 =
              s.nodes().stream().filter(n -> n.id().equals("n2")).findFirst().orElseThrow();
          assertThat(n2.membership()).isEqualTo("DECOMMISSIONED");
          assertThat(n2.referencedBlocks()).isZero();
          assertThat(s.underReplicatedBlocks()).isZero();
        });
        // Every block now lives on n1, n3 and n4; n4 took its share.
        ClusterStatus s = client.clusterStatus();
        assertThat(s.nodes()).filteredOn(n -> n.id().equals("n4"))
            .allSatisfy(n -> assertThat(n.referencedBlocks()).isEqualTo(s.blocks()));
        assertThat(Arrays.equals(client.readAllBytes("/before"), data)).isTrue();

        // The retired node can be switched off without losing anything.
        cluster.kill("n2");
        assertThat(Arrays.equals(client.readAllBytes("/before"), data)).isTrue();
        client.write("/after", data);
        assertThat(Arrays.equals(client.readAllBytes("/after"), data)).isTrue();
      }
    }
  }
}
