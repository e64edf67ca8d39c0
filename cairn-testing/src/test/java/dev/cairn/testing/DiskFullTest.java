package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import dev.cairn.client.ClusterStatus;
import dev.cairn.client.ErrorCode;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Nodes out of space: they say so in status and take no new blocks; writes that cannot reach the
 * minimum of replicas fail with a clear error, and no partially written file becomes visible.
 * Two of the three nodes here keep a reserve larger than any disk, so they are always "full".
 */
@Timeout(180)
class DiskFullTest {
  private static final int BLOCK = 64 * 1024;
  private static MiniCluster cluster;
  private static CairnClient client;

  @BeforeAll
  static void start() {
    cluster = MiniCluster.builder()
        .nodes(3)
        .blockSize(BLOCK)
        .inlineThreshold(1024)
        .clientFailoverTimeout(Duration.ofSeconds(8))
        .configure(c -> c.id().equals("n1") ? c : c.withReservedBytes(Long.MAX_VALUE / 4))
        .build()
        .start();
    client = cluster.newClient();
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  @Test
  void statusNamesTheFullNodes() {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      ClusterStatus s = client.clusterStatus();
      assertThat(s.nodes()).filteredOn(ClusterStatus.NodeState::full)
          .extracting(ClusterStatus.NodeState::id)
          .containsExactlyInAnyOrder("n2", "n3");
    });
  }

  @Test
  void aWriteThatCannotReachTheMinimumFailsClearlyAndLeavesNothing() {
    byte[] data = new byte[3 * BLOCK + 17];
    new Random(7).nextBytes(data);
    Throwable thrown = catchThrowable(() ->
        client.write("/too-big", new ByteArrayInputStream(data)));
    assertThat(thrown).isInstanceOf(CairnException.class);
    CairnException e = (CairnException) thrown;
    assertThat(e.code()).isIn(ErrorCode.UNAVAILABLE, ErrorCode.NO_SPACE);
    assertThat(e.getMessage()).contains("full");
    assertThat(catchThrowable(() -> client.stat("/too-big")))
        .isInstanceOfSatisfying(CairnException.class,
            n -> assertThat(n.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  void smallFilesKeptInTheNamespaceStillWork() throws Exception {
    byte[] small = "still writable".getBytes();
    client.write("/small", small);
    assertThat(Arrays.equals(client.readAllBytes("/small"), small)).isTrue();
  }
}
