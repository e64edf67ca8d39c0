package dev.cairn.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.CairnClient;
import dev.cairn.client.ClusterStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Four node processes with three replicas per block; one node is killed with SIGKILL and never
 * comes back. Once the leader declares it DEAD, every block it held must be copied to the other
 * three nodes, so that each block again has three replicas, all on live nodes, and every file
 * reads back.
 */
@Timeout(240)
@ExtendWith(Seed.Extension.class)
class PermanentLossTest {
  private static final int BLOCK = 64 * 1024;

  @Test
  void replicationIsRestoredOnTheOtherThreeNodes(Seed seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed.value());
    ProcessCluster.Options options = new ProcessCluster.Options().nodes(4).replication(3)
        .deadAfter(Duration.ofSeconds(6));
    try (ProcessCluster cluster = ProcessCluster.onLoopback(options)) {
      try {
        run(cluster, random);
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

  private void run(ProcessCluster cluster, SplittableRandom random) throws Exception {
    cluster.start(Duration.ofSeconds(120));
    try (CairnClient client = cluster.newClient(Duration.ofSeconds(30))) {
      client.mkdir("/loss", true);
      Map<String, Content> files = new LinkedHashMap<>();
      for (int i = 0; i < 16; i++) {
        // Mostly multi-block files; a few small ones that live inline in the namespace.
        int length = i % 5 == 4 ? 1 + random.nextInt(4096)
            : BLOCK * (1 + random.nextInt(4)) + random.nextInt(BLOCK);
        Content c = Content.of(random.nextLong(), length);
        try (var in = c.stream()) {
          client.write("/loss/f" + i, in);
        }
        files.put("/loss/f" + i, c);
      }
      try (ClusterChecker all = new ClusterChecker(client, cluster.addressMap(),
          cluster.dataDirs(), 3)) {
        assertThat(all.awaitConverged(Duration.ofSeconds(60))).as("before the loss").isEmpty();
      }

      // The node to lose is one that holds blocks. Any three of the four may hold them all: right
      // after a start, the writing node's view of the cluster can still call a node suspect,
      // and suspect nodes get new blocks only when no other node can take them.
      List<String> ids = cluster.ids();
      ClusterStatus before = cluster.status();
      assertThat(before.namespaceProblem()).as("namespace in the status").isNull();
      List<String> holders = ids.stream().filter(id -> referencedBlocks(before, id) > 0).toList();
      assertThat(holders).as("nodes holding blocks").hasSizeGreaterThanOrEqualTo(3);
      String lost = holders.get(random.nextInt(holders.size()));
      long heldBefore = referencedBlocks(before, lost);
      System.out.println("killing " + lost + " for good; it holds " + heldBefore + " blocks");
      cluster.kill(lost);

      List<String> rest = new ArrayList<>(ids);
      rest.remove(lost);
      Map<String, String> addresses = new LinkedHashMap<>(cluster.addressMap());
      addresses.remove(lost);
      Map<String, java.nio.file.Path> dataDirs = new LinkedHashMap<>(cluster.dataDirs());
      dataDirs.remove(lost);
      try (CairnClient survivors = cluster.clientFor(rest, Duration.ofSeconds(30));
          ClusterChecker checker = new ClusterChecker(survivors, addresses, dataDirs, 3)) {
        ClusterStatus dead = Awaitility.await(lost + " declared DEAD")
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(survivors::clusterStatus, s -> "DEAD".equals(stateOf(s, lost)));
        System.out.println(lost + " is DEAD; under-replicated blocks: "
            + dead.underReplicatedBlocks());

        assertThat(checker.awaitConverged(Duration.ofSeconds(90)))
            .as("problems left after re-replication").isEmpty();
        ClusterStatus after = survivors.clusterStatus();
        assertThat(after.underReplicatedBlocks()).isZero();
        assertThat(referencedBlocks(after, lost)).as("blocks still listed on the dead node")
            .isZero();
        assertThat(after.nodes().stream().filter(n -> rest.contains(n.id()))
            .mapToLong(ClusterStatus.NodeState::referencedBlocks).sum())
            .as("replicas on the three live nodes").isEqualTo(3 * after.blocks());
        assertThat(checker.replicaProblems()).as("replicas that differ").isEmpty();

        for (Map.Entry<String, Content> f : files.entrySet()) {
          assertThat(Workload.readDigest(survivors, f.getKey())).as(f.getKey())
              .isEqualTo(f.getValue().digest());
        }
      }
      assertThat(cluster.unexpectedExits()).as("node processes that died by themselves").isEmpty();
    }
  }

  private static String stateOf(ClusterStatus s, String id) {
    return s.nodes().stream().filter(n -> n.id().equals(id)).map(ClusterStatus.NodeState::state)
        .findFirst().orElse("absent");
  }

  private static long referencedBlocks(ClusterStatus s, String id) {
    return s.nodes().stream().filter(n -> n.id().equals(id))
        .mapToLong(ClusterStatus.NodeState::referencedBlocks).sum();
  }
}
