package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.CairnClient;
import dev.cairn.client.internal.MetaWire;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.FileInfo;
import dev.cairn.proto.ListResponse;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.MutationResponse;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.RequestId;
import dev.cairn.proto.StatResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reads that reach a node which does not lead: it answers them through the log (an entry the
 * leader answers once committed), linearizably, and goes on answering across a leader's death.
 */
@Timeout(180)
class FollowerReadTest {
  private static final int TIMEOUT_MS = 20_000;
  private MiniCluster cluster;

  @BeforeEach
  void startCluster() {
    cluster = MiniCluster.builder().nodes(3).build().start();
  }

  @AfterEach
  void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
  }

  private List<MiniCluster.Node> followers() {
    String leader = cluster.leaderId();
    return cluster.runningNodes().stream().filter(n -> !n.id().equals(leader)).toList();
  }

  private static PathRequest path(String path) {
    return PathRequest.newBuilder().setPath(path).build();
  }

  @Test
  void aFollowerSeesEveryChangeTheLeaderHasAcknowledged() throws IOException {
    String leader = cluster.node(cluster.leaderId()).address();
    List<MiniCluster.Node> followers = followers();
    try (MetaWire wire = new MetaWire(TIMEOUT_MS)) {
      for (int i = 0; i < 40; i++) {
        String dir = "/acknowledged-" + i;
        MutationResponse made = wire.call(leader, MetaWire.MKDIR,
            MkdirRequest.newBuilder().setPath(dir)
                .setRequestId(RequestId.newBuilder().setClientId("follower-read").setSeq(i + 1))
                .build(),
            MutationResponse.parser()).response();
        assertThat(made.getStatus().getCode()).isEqualTo(ErrorCode.OK);

        // At once, on a follower that may not have applied the entry yet: the read must see it.
        MiniCluster.Node follower = followers.get(i % followers.size());
        MetaWire.Answer<StatResponse> stat =
            wire.call(follower.address(), MetaWire.STAT, path(dir), StatResponse.parser());
        assertThat(stat.response().getStatus().getCode())
            .as("stat of %s on follower %s", dir, follower.id())
            .isEqualTo(ErrorCode.OK);
        assertThat(stat.response().getInfo().getDirectory()).isTrue();
        assertThat(stat.leaderHint()).isEqualTo(leader);
      }
      ListResponse root =
          wire.call(followers.get(0).address(), MetaWire.LIST, path("/"), ListResponse.parser())
              .response();
      assertThat(root.getEntriesList()).extracting(FileInfo::getPath)
          .filteredOn(p -> p.startsWith("/acknowledged-")).hasSize(40);
    }
  }

  @Test
  void survivorsAnswerReadsWithEveryAcknowledgedFileAfterTheLeaderIsKilled() throws IOException {
    List<String> written = new ArrayList<>();
    try (CairnClient client = cluster.newClient()) {
      client.mkdir("/before-kill", false);
      for (int i = 0; i < 20; i++) {
        client.write("/before-kill/f" + i, ("content " + i).getBytes());
        written.add("/before-kill/f" + i);
      }
    }
    String killed = cluster.leaderId();
    cluster.kill(killed);

    try (MetaWire wire = new MetaWire(TIMEOUT_MS)) {
      for (MiniCluster.Node survivor : cluster.runningNodes()) {
        // Until a new leader is elected the answer is UNAVAILABLE; then the listing is whole.
        await("listing on " + survivor.id()).atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(50))
            .untilAsserted(() -> {
              ListResponse listed = wire.call(survivor.address(), MetaWire.LIST,
                  path("/before-kill"), ListResponse.parser()).response();
              assertThat(listed.getStatus().getCode()).isEqualTo(ErrorCode.OK);
              assertThat(listed.getEntriesList()).extracting(FileInfo::getPath)
                  .containsExactlyInAnyOrderElementsOf(written);
            });
      }
    }
    assertThat(cluster.leaderId()).isNotEqualTo(killed);
  }
}
