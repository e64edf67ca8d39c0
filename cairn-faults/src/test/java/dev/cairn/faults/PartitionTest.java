package dev.cairn.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import dev.cairn.client.ErrorCode;
import dev.cairn.client.FileStatus;
import dev.cairn.proto.BlockServiceGrpc;
import dev.cairn.proto.NodeStatus;
import dev.cairn.proto.NodeStatusRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Raft leader cut off from the other nodes, in a private network the test builds (one network
 * namespace per node process, joined by a bridge; the cut is blackhole routes between the
 * namespaces, so the test client on the host still reaches every node). The other two must elect
 * a new leader and keep taking writes; the old leader, though alive and reachable by clients,
 * must acknowledge nothing and serve no stale read; after the heal it must rejoin as a follower,
 * catch up, and serve the same content as the others.
 */
@Timeout(360)
@ExtendWith(Seed.Extension.class)
class PartitionTest {
  private static final int PORT = 7070;
  private static final int BLOCK = 64 * 1024;

  @Test
  void anIsolatedLeaderCommitsNothingAndRejoinsAfterTheHeal(Seed seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed.value());
    // A block forwarded to a node whose packets vanish stalls its upload for the server's
    // replica timeout (10 s). The nodes refuse a commit that comes later than half the orphan
    // grace after its blocks were stored, so with 40 s the writes through the majority get
    // through (the next test covers the slower case).
    inPrivateNetwork(Duration.ofSeconds(40), (cluster, net) -> isolateTheLeader(cluster, net,
        random));
  }

  /**
   * A block upload slower than the orphan grace allows: a replica is cut off right after the
   * cluster chose it, so the forward to it stalls until the server's replica timeout while the
   * other replicas already hold the block. The write may fail, but if it is acknowledged, the
   * file must read back: the repair loop must not delete, as an orphan, a block whose upload is
   * still in progress. (Before the upload window of commit 903dd4c, this write was acknowledged
   * and its first block was gone.)
   */
  @Test
  void anUploadSlowerThanTheOrphanGraceIsNotLost(Seed seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed.value());
    inPrivateNetwork(Duration.ofSeconds(20), (cluster, net) -> {
      cluster.start(Duration.ofSeconds(120));
      String leader = cluster.status().leaderId();
      List<String> followers = new ArrayList<>(cluster.ids());
      followers.remove(leader);
      String victim = followers.get(random.nextInt(followers.size()));
      try (CairnClient viaLeader = cluster.clientFor(List.of(leader), Duration.ofSeconds(60))) {
        viaLeader.mkdir("/slow", true);
        // Three replicas on three nodes: the leader, which coordinates, forwards every block to
        // both others, so its connections to them are open when the cut comes.
        Map<String, Content> written = new LinkedHashMap<>();
        write(viaLeader, "/slow/warm-up", Content.of(random.nextLong(), 3 * BLOCK), written);

        log("cutting off %s; the next upload through %s still places a replica on it", victim,
            leader);
        net.isolate(cluster.ids().indexOf(victim));
        Content big = Content.of(random.nextLong(), 3 * BLOCK + 100);
        boolean acknowledged;
        try {
          write(viaLeader, "/slow/stalled", big, written);
          acknowledged = true;
        } catch (CairnException e) {
          log("the stalled write failed: %s", e.getMessage());
          acknowledged = false;
        }
        if (acknowledged) {
          assertThat(Workload.readDigest(viaLeader, "/slow/stalled"))
              .as("an acknowledged write whose upload outlasted the orphan grace")
              .isEqualTo(big.digest());
        }
        net.heal(cluster.ids().indexOf(victim));
        try (ClusterChecker checker = new ClusterChecker(viaLeader, cluster.addressMap(),
            cluster.dataDirs(), 3)) {
          assertThat(checker.awaitConverged(Duration.ofSeconds(90)))
              .as("problems left after the heal").isEmpty();
        }
        for (Map.Entry<String, Content> f : written.entrySet()) {
          assertThat(Workload.readDigest(viaLeader, f.getKey())).as(f.getKey())
              .isEqualTo(f.getValue().digest());
        }
      }
    });
  }

  /**
   * Writes sent through the leader at the moment it is cut off. It cannot know yet that it no
   * longer leads, but it must not count a follower as holding an entry before that follower has
   * said so: whatever it acknowledges must be on a majority, and so survive the heal, when the
   * new leader's log wins. (A leader that counted its appends as they left would acknowledge
   * these small files from its own log alone, and lose them at the heal.)
   */
  @Test
  void whatALeaderAcknowledgesAsItIsCutOffSurvivesTheHeal(Seed seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed.value());
    inPrivateNetwork(Duration.ofSeconds(40), (cluster, net) -> {
      cluster.start(Duration.ofSeconds(120));
      String leader = cluster.status().leaderId();
      Map<String, Content> acknowledged = new LinkedHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try (CairnClient viaLeader = cluster.clientFor(List.of(leader), Duration.ofSeconds(3))) {
        viaLeader.mkdir("/cut", true);
        write(viaLeader, "/cut/warm-up", Content.of(random.nextLong(), 2048), acknowledged);

        log("cutting off the leader %s with writes on their way through it", leader);
        net.isolate(cluster.ids().indexOf(leader));
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          String path = "/cut/f" + i;
          Content c = Content.of(random.nextLong(), 1 + random.nextInt(4096));
          writes.add(CompletableFuture.runAsync(() -> {
            try {
              viaLeader.write(path, c.bytes());
              synchronized (acknowledged) {
                acknowledged.put(path, c);
              }
              log("ACKNOWLEDGED %s through the cut-off leader", path);
            } catch (Exception e) {
              log("%s failed, as it may: %s", path, e.getMessage());
            }
          }, pool));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
            .get(120, TimeUnit.SECONDS);
        // Heal only once the others lead themselves: until then the cut-off leader's appends,
        // still retransmitted by TCP, could reach them and make its acknowledgements true.
        List<String> rest = new ArrayList<>(cluster.ids());
        rest.remove(leader);
        try (CairnClient majority = cluster.clientFor(rest, Duration.ofSeconds(30))) {
          String newLeader = awaitNewLeader(majority, rest, leader);
          write(majority, "/cut/through-" + newLeader, Content.of(random.nextLong(), 512),
              acknowledged);
        }
        net.heal(cluster.ids().indexOf(leader));
      } finally {
        pool.shutdownNow();
      }

      try (CairnClient all = cluster.newClient(Duration.ofSeconds(30));
          ClusterChecker checker = new ClusterChecker(all, cluster.addressMap(),
              cluster.dataDirs(), 3)) {
        assertThat(checker.awaitConverged(Duration.ofSeconds(120)))
            .as("problems left after the heal").isEmpty();
        for (String id : cluster.ids()) {
          try (CairnClient via = cluster.clientFor(List.of(id), Duration.ofSeconds(30))) {
            for (Map.Entry<String, Content> f : acknowledged.entrySet()) {
              assertThat(Workload.readDigest(via, f.getKey()))
                  .as("acknowledged %s read through %s after the heal", f.getKey(), id)
                  .isEqualTo(f.getValue().digest());
            }
          }
        }
      }
    });
  }

  private interface Scenario {
    void run(ProcessCluster cluster, PrivateNetwork net) throws Exception;
  }

  /**
   * Runs a scenario on three node processes, each in its own network namespace; skips the test
   * (not passes it) where namespaces cannot be made. Prints the nodes' logs and keeps their data
   * if the scenario fails.
   */
  private static void inPrivateNetwork(Duration orphanGrace, Scenario scenario) throws Exception {
    String unavailable = PrivateNetwork.unavailableReason();
    Assumptions.assumeTrue(unavailable == null,
        () -> "PartitionTest skipped: " + unavailable);
    try (PrivateNetwork net = PrivateNetwork.create(3)) {
      List<ProcessCluster.Endpoint> endpoints = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        endpoints.add(new ProcessCluster.Endpoint(net.ip(i), PORT, net.launchPrefix(i)));
      }
      ProcessCluster.Options options = new ProcessCluster.Options().orphanGrace(orphanGrace);
      try (ProcessCluster cluster = ProcessCluster.on(options, endpoints)) {
        try {
          scenario.run(cluster, net);
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
  }

  private static void isolateTheLeader(ProcessCluster cluster, PrivateNetwork net,
      SplittableRandom random) throws Exception {
    cluster.start(Duration.ofSeconds(120));
    List<String> ids = cluster.ids();
    Map<String, Content> acknowledged = new LinkedHashMap<>();
    try (CairnClient all = cluster.newClient(Duration.ofSeconds(30))) {
      all.mkdir("/part", true);
      for (int i = 0; i < 6; i++) {
        write(all, "/part/before" + i, content(random), acknowledged);
      }
    }

    String oldLeader = cluster.status().leaderId();
    int cut = ids.indexOf(oldLeader);
    List<String> rest = new ArrayList<>(ids);
    rest.remove(oldLeader);
    log("isolating the leader %s from %s", oldLeader, rest);
    net.isolate(cut);
    long isolatedAt = System.nanoTime();

    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (CairnClient majority = cluster.clientFor(rest, Duration.ofSeconds(30));
        CairnClient isolated = cluster.clientFor(List.of(oldLeader), Duration.ofSeconds(5));
        NodeProbe probe = new NodeProbe(cluster)) {
      String newLeader = awaitNewLeader(majority, rest, oldLeader);
      log("new leader %s after %d ms", newLeader, (System.nanoTime() - isolatedAt) / 1_000_000);

      // The majority keeps taking writes: overwrites of old files and new ones.
      Content oldBefore0 = acknowledged.get("/part/before0");
      write(majority, "/part/before0", content(random), acknowledged);
      write(majority, "/part/before1", content(random), acknowledged);
      for (int i = 0; i < 4; i++) {
        write(majority, "/part/during" + i, content(random), acknowledged);
      }
      Content newBefore0 = acknowledged.get("/part/before0");

      // The old leader, alive and reachable, must acknowledge no write and serve no stale read.
      List<String> attempted = List.of("/part/isolated0", "/part/isolated1");
      Map<String, Content> attempts = new LinkedHashMap<>();
      List<CompletableFuture<String>> outcomes = new ArrayList<>();
      for (String path : attempted) {
        Content c = Content.of(random.nextLong(), 100 + random.nextInt(1000));
        attempts.put(path, c);
        outcomes.add(CompletableFuture.supplyAsync(() -> {
          try {
            isolated.write(path, c.bytes());
            return "ACKNOWLEDGED write of " + path;
          } catch (Exception e) {
            return null;
          }
        }, pool));
      }
      outcomes.add(CompletableFuture.supplyAsync(() -> {
        try {
          Content.Digest seen = Workload.readDigest(isolated, "/part/before0");
          if (seen.equals(oldBefore0.digest())) {
            return "STALE read of /part/before0: the overwrite through the majority was"
                + " acknowledged before the read began";
          }
          return seen.equals(newBefore0.digest()) ? null
              : "read of /part/before0 returned " + seen + ", which nobody wrote";
        } catch (Exception e) {
          return null;
        }
      }, pool));
      List<String> violations = new ArrayList<>();
      for (CompletableFuture<String> f : outcomes) {
        String v = f.get(120, TimeUnit.SECONDS);
        if (v != null) {
          violations.add(v);
        }
      }
      assertThat(violations).as("what the isolated old leader %s did", oldLeader).isEmpty();
      for (String path : attempted) {
        assertThat(statOrNull(majority, path))
            .as("%s, written only through the isolated old leader, while it is cut off", path)
            .isNull();
      }
      NodeStatus cutOff = probe.status(oldLeader);
      log("while cut off, %s says role %s, leader '%s', applied %d", oldLeader,
          cutOff.getRaftRole(), cutOff.getLeaderId(), cutOff.getAppliedIndex());
      long appliedAtHeal = probe.status(newLeader).getAppliedIndex();

      net.heal(cut);
      log("healed after %d ms of isolation", (System.nanoTime() - isolatedAt) / 1_000_000);

      // The old leader rejoins as a follower of the leader the others agree on, and catches up.
      Awaitility.await(oldLeader + " back as a follower, every node at the same applied index")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(() -> {
            Map<String, NodeStatus> s = probe.all();
            String leader = s.get(rest.get(0)).getLeaderId();
            return !leader.isEmpty()
                && s.values().stream().allMatch(n -> n.getLeaderId().equals(leader))
                && s.values().stream().mapToLong(NodeStatus::getAppliedIndex).distinct().count()
                    == 1
                && (!leader.equals(oldLeader)
                    ? s.get(oldLeader).getRaftRole().equals("FOLLOWER") : true);
          });

      log("%s is a follower again and caught up", oldLeader);

      // The old leader now serves what the majority wrote, and takes writes again.
      try (CairnClient viaOld = cluster.clientFor(List.of(oldLeader), Duration.ofSeconds(30))) {
        for (Map.Entry<String, Content> f : acknowledged.entrySet()) {
          assertThat(Workload.readDigest(viaOld, f.getKey()))
              .as("%s read through %s after the heal", f.getKey(), oldLeader)
              .isEqualTo(f.getValue().digest());
        }
        for (String path : attempted) {
          FileStatus late = statOrNull(viaOld, path);
          if (late != null) {
            // The write was never acknowledged, so it may still land if the old leader's node
            // retried it after the heal; then it must be exactly what was sent, committed after
            // the heal in the new leader's log, never an entry of the old leader's term.
            log("%s appeared after the heal at version %d", path, late.version());
            assertThat(Workload.readDigest(viaOld, path)).isEqualTo(attempts.get(path).digest());
            assertThat(late.version()).as("log index of %s", path).isGreaterThan(appliedAtHeal);
          }
        }
        write(viaOld, "/part/after-heal", content(random), acknowledged);
      }

      try (CairnClient all = cluster.newClient(Duration.ofSeconds(30));
          ClusterChecker checker = new ClusterChecker(all, cluster.addressMap(),
              cluster.dataDirs(), 3)) {
        assertThat(checker.awaitConverged(Duration.ofSeconds(150)))
            .as("problems left after the heal").isEmpty();
        log("replication converged");
        assertThat(checker.replicaProblems()).as("replicas that differ").isEmpty();
        for (String id : ids) {
          try (CairnClient via = cluster.clientFor(List.of(id), Duration.ofSeconds(30))) {
            for (Map.Entry<String, Content> f : acknowledged.entrySet()) {
              assertThat(Workload.readDigest(via, f.getKey())).as("%s through %s", f.getKey(), id)
                  .isEqualTo(f.getValue().digest());
            }
          }
        }
      }
      assertThat(cluster.unexpectedExits()).isEmpty();
    } finally {
      pool.shutdownNow();
    }
  }

  /** Half small files (inline in the namespace), half of two or three blocks. */
  private static Content content(SplittableRandom random) {
    return Content.of(random.nextLong(), random.nextBoolean()
        ? 1 + random.nextInt(4096) : BLOCK * (2 + random.nextInt(2)) + random.nextInt(BLOCK));
  }

  private static void write(CairnClient client, String path, Content c,
      Map<String, Content> acknowledged) throws Exception {
    long t0 = System.nanoTime();
    FileStatus s;
    try (var in = c.stream()) {
      s = client.write(path, in);
    }
    acknowledged.put(path, c);
    log("wrote %s (%d bytes) in %d ms: version %d", path, c.length(),
        (System.nanoTime() - t0) / 1_000_000, s.version());
  }

  /** Waits until the nodes {@code rest}, seen through {@code majority}, follow a new leader. */
  private static String awaitNewLeader(CairnClient majority, List<String> rest, String oldLeader) {
    return Awaitility.await("a new leader among " + rest)
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> majority.clusterStatus().leaderId(),
            l -> l != null && !l.equals(oldLeader));
  }

  /** A line of the test's own story, with the wall-clock time the node logs use. */
  private static void log(String format, Object... args) {
    System.out.println(java.time.LocalTime.now() + " " + String.format(format, args));
  }

  private static FileStatus statOrNull(CairnClient client, String path) throws CairnException {
    try {
      return client.stat(path);
    } catch (CairnException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  /** Asks each node itself for its Raft role, leader and applied index (BlockService). */
  private static final class NodeProbe implements AutoCloseable {
    private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();

    NodeProbe(ProcessCluster cluster) {
      cluster.addressMap().forEach((id, address) ->
          channels.put(id, ManagedChannelBuilder.forTarget(address).usePlaintext().build()));
    }

    NodeStatus status(String id) {
      return BlockServiceGrpc.newBlockingStub(channels.get(id))
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .getNodeStatus(NodeStatusRequest.getDefaultInstance());
    }

    Map<String, NodeStatus> all() {
      Map<String, NodeStatus> out = new LinkedHashMap<>();
      channels.keySet().forEach(id -> out.put(id, status(id)));
      return out;
    }

    @Override
    public void close() {
      channels.values().forEach(ManagedChannel::shutdownNow);
    }
  }
}
