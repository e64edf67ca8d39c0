package dev.cairn.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * More than the nemesis ever does: a majority of the nodes down for a while (a rack losing
 * power). The survivor cannot commit anything meanwhile and must say so; once the others are
 * back, every node, the survivor included, must serve reads and writes again without being
 * restarted.
 */
@Timeout(240)
@ExtendWith(Seed.Extension.class)
class MajorityOutageTest {

  @Test
  void everyNodeServesAgainAfterAMajorityOutage(Seed seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed.value());
    try (ProcessCluster cluster = ProcessCluster.onLoopback(new ProcessCluster.Options())) {
      try {
        cluster.start(Duration.ofSeconds(120));
        List<String> ids = cluster.ids();
        // A follower survives: the leader and the other follower go down.
        String leader = cluster.status().leaderId();
        List<String> followers = new ArrayList<>(ids);
        followers.remove(leader);
        String survivor = followers.get(random.nextInt(followers.size()));
        List<String> others = new ArrayList<>(ids);
        others.remove(survivor);
        try (CairnClient viaSurvivor =
            cluster.clientFor(List.of(survivor), Duration.ofSeconds(20))) {
          viaSurvivor.mkdir("/outage", true);
          viaSurvivor.write("/outage/before", bytes("before"));

          System.out.println("killing " + others + " (the leader was " + leader + "); "
              + survivor + " stays up alone");
          for (String id : others) {
            cluster.kill(id);
          }
          // Without a majority nothing commits: the write fails (after the client's 20 s of
          // retries), and the survivor keeps trying inside for a while longer.
          assertThatThrownBy(() -> viaSurvivor.write("/outage/during", bytes("during")))
              .isInstanceOf(CairnException.class);

          for (String id : others) {
            cluster.restart(id);
          }
          cluster.awaitReady(Duration.ofSeconds(120));
          System.out.println("all nodes up again with leader " + cluster.status().leaderId());

          // The survivor must serve again, on its own, without a restart.
          assertThat(new String(viaSurvivor.readAllBytes("/outage/before"),
              StandardCharsets.UTF_8)).isEqualTo("before");
          viaSurvivor.write("/outage/after", bytes("after"));
          for (String id : ids) {
            try (CairnClient only = cluster.clientFor(List.of(id), Duration.ofSeconds(20))) {
              assertThat(new String(only.readAllBytes("/outage/after"), StandardCharsets.UTF_8))
                  .as("read through %s", id).isEqualTo("after");
            }
          }
        }
        assertThat(cluster.unexpectedExits()).isEmpty();
      } catch (Exception | AssertionError e) {
        System.out.println(cluster.logTails());
        cluster.dumpThreads();
        cluster.options().keepBaseDir(true);
        System.out.println("node data and logs (with thread dumps) kept in "
            + cluster.baseDir());
        throw e;
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
