package dev.cairn.server.replication;

import dev.cairn.proto.BlockMap;
import dev.cairn.proto.BlockMapRequest;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.BlockReportRequest;
import dev.cairn.proto.BlockReportResponse;
import dev.cairn.proto.CondemnOrphans;
import dev.cairn.proto.CopyBlockRequest;
import dev.cairn.proto.CopyBlockResponse;
import dev.cairn.proto.DeleteBlocksRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.ForgetFreed;
import dev.cairn.proto.FreedBlocksRequest;
import dev.cairn.proto.HealingProgress;
import dev.cairn.proto.Membership;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaQuery;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.SetMembership;
import dev.cairn.proto.SetReplicas;
import dev.cairn.server.meta.ratis.RaftMeta;
import dev.cairn.server.rpc.PeerChannels;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's repair loop. Each round it compares the namespace's block map with what every
 * reachable node reports holding, and with the leader's liveness view, then:
 *
 * <ul>
 *   <li>drops a replica that a live node no longer has (lost, wiped, or quarantined as corrupt),
 *       and replicas on DEAD nodes;
 *   <li>copies blocks with fewer good replicas than wanted to other live nodes, those with the
 *       fewest copies left first, at no more than the configured rate;
 *   <li>trims replicas beyond the replication wanted (after a dead node comes back);
 *   <li>moves blocks off nodes being decommissioned, and marks them decommissioned when empty;
 *   <li>deletes the replicas of blocks freed by deletes and overwrites, at once;
 *   <li>deletes blocks no file references once they are older than the orphan grace period
 *       (which covers a block written but not yet committed).
 * </ul>
 *
 * Replicas on SUSPECT nodes still count: a node that restarts is not copied away at once.
 *
 * <p>Runs on one thread; only the leader acts. {@link #progress} may be read from any thread.
 */
public final class Healer implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Healer.class);
  private static final int MAX_COPIES_PER_ROUND = 256;
  private static final int FREED_PER_ROUND = 10_000;
  private static final long RATE_WINDOW_MS = 60_000;

  private final RaftMeta meta;
  private final PeerChannels peers;
  private final ClusterState cluster;
  private final Liveness liveness;
  private final Duration orphanGrace;
  private final RateLimiter copyLimiter;
  private final Clock clock;

  private final AtomicLong blocksCopied = new AtomicLong();
  private final AtomicLong bytesCopied = new AtomicLong();
  private final AtomicLong blocksTrimmed = new AtomicLong();
  private final AtomicLong blocksDeleted = new AtomicLong();
  private final Deque<long[]> recentCopies = new ArrayDeque<>();
  private volatile long remainingBytes;
  private final Map<Long, Long> condemnedAt = new HashMap<>();

  public Healer(RaftMeta meta, PeerChannels peers, ClusterState cluster, Liveness liveness,
      Duration orphanGrace, long copyRateBytesPerSec, Clock clock) {
    this.meta = meta;
    this.peers = peers;
    this.cluster = cluster;
    this.liveness = liveness;
    this.orphanGrace = orphanGrace;
    this.copyLimiter = new RateLimiter(copyRateBytesPerSec);
    this.clock = clock;
  }

  @Override
  public void run() {
    if (!meta.isLeader()) {
      return;
    }
    try {
      round();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("repair round failed: {}", e.toString());
    }
  }

  /** What re-replication has done and has left, for `status`. */
  public HealingProgress progress() {
    long rate = rateBytesPerSec();
    long remaining = remainingBytes;
    return HealingProgress.newBuilder()
        .setBlocksCopied(blocksCopied.get())
        .setBytesCopied(bytesCopied.get())
        .setRateBytesPerSec(rate)
        .setEtaSeconds(remaining == 0 ? 0 : rate > 0 ? remaining / rate : -1)
        .setRateLimitBytesPerSec(copyLimiter.bytesPerSecond())
        .setBlocksTrimmed(blocksTrimmed.get())
        .setBlocksDeleted(blocksDeleted.get())
        .build();
  }

  private long rateBytesPerSec() {
    long now = clock.millis();
    synchronized (recentCopies) {
      while (!recentCopies.isEmpty() && now - recentCopies.peekFirst()[0] > RATE_WINDOW_MS) {
        recentCopies.pollFirst();
      }
      if (recentCopies.isEmpty()) {
        return 0;
      }
      long bytes = recentCopies.stream().mapToLong(c -> c[1]).sum();
      long spanMs = Math.max(1000, now - recentCopies.peekFirst()[0]);
      return bytes * 1000 / spanMs;
    }
  }

  private void round() throws InterruptedException {
    // The map is read before the reports: every block in it was fsynced on its replicas before
    // it was committed, so a live replica whose later report lacks it has really lost it.
    CompletableFuture<MetaQueryResult> mapQuery = meta.query(
        MetaQuery.newBuilder().setBlockMap(BlockMapRequest.getDefaultInstance()).build());
    CompletableFuture<MetaQueryResult> freedQuery = meta.query(MetaQuery.newBuilder()
        .setFreed(FreedBlocksRequest.newBuilder().setLimit(FREED_PER_ROUND)).build());
    BlockMap map = mapQuery.orTimeout(10, TimeUnit.SECONDS).join().getBlockMap();
    List<BlockRef> freed = freedQuery.orTimeout(10, TimeUnit.SECONDS).join().getFreedList();

    Map<String, Membership> membership = new HashMap<>();
    for (NodeAddress n : map.getNodesList()) {
      cluster.learnAddress(n.getId(), n.getAddress());
      membership.put(n.getId(), n.getMembership());
    }
    cluster.setMembership(membership);
    Map<String, String> addresses = cluster.addresses();
    Map<String, Map<Long, Long>> reports = collectReports(addresses);

    Set<Long> referenced = new HashSet<>(map.getBlocksCount() * 2);
    List<BlockRef> changed = new ArrayList<>();
    List<Repair> repairs = new ArrayList<>();
    Map<String, List<Long>> trims = new HashMap<>();
    Map<String, Integer> load = new HashMap<>();
    reports.forEach((id, held) -> load.put(id, held.size()));
    long under = 0;
    Set<String> stillHolding = new HashSet<>();

    for (int i = 0; i < map.getBlocksCount(); i++) {
      BlockRef block = map.getBlocks(i);
      referenced.add(block.getId());
      int wanted = map.getReplication(i);
      List<String> kept = new ArrayList<>();    // stays in the replica list
      List<String> sources = new ArrayList<>(); // confirmed to hold it now
      int counted = 0;                          // good replicas toward `wanted`
      for (String node : block.getReplicasList()) {
        Map<Long, Long> report = reports.get(node);
        Liveness.State state = liveness.state(node);
        boolean leaving = membership.getOrDefault(node, Membership.ACTIVE) != Membership.ACTIVE;
        if (report != null) {
          if (report.containsKey(block.getId())) {
            kept.add(node);
            sources.add(node);
            if (!leaving) {
              counted++;
            }
          }
          // A live node that reports without the block has lost it: drop the replica.
        } else if (state != Liveness.State.DEAD) {
          // Unreachable this round but not dead yet: keep it, and count it, for now.
          kept.add(node);
          if (!leaving) {
            counted++;
          }
        }
      }
      if (counted < wanted) {
        under += block.getLength();
        if (!sources.isEmpty()) {
          repairs.add(new Repair(block, kept, sources, wanted - counted));
          continue;
        }
      } else if (counted > wanted) {
        trim(block, kept, wanted, reports, membership, load, trims);
      }
      // Replicas of nodes that are leaving go once the block has enough copies elsewhere.
      if (counted >= wanted) {
        kept.removeIf(n -> membership.getOrDefault(n, Membership.ACTIVE) != Membership.ACTIVE);
      }
      if (!kept.equals(block.getReplicasList())) {
        changed.add(withReplicas(block, kept));
      }
      kept.forEach(stillHolding::add);
    }
    remainingBytes = under;

    repairs.sort(Comparator.comparingInt((Repair r) -> r.sources.size()));
    int copies = 0;
    for (Repair repair : repairs) {
      List<String> replicas = new ArrayList<>(repair.kept);
      int missing = repair.missing;
      List<String> targets = new ArrayList<>();
      for (String id : reports.keySet()) {
        if (!replicas.contains(id)
            && liveness.state(id) == Liveness.State.LIVE
            && membership.getOrDefault(id, Membership.ACTIVE) == Membership.ACTIVE
            && !cluster.avoid(id)) {
          targets.add(id);
        }
      }
      targets.sort(Comparator.comparingInt(id -> load.getOrDefault(id, 0)));
      for (String target : targets) {
        if (missing == 0 || copies >= MAX_COPIES_PER_ROUND) {
          break;
        }
        copies++;
        copyLimiter.acquire(repair.block.getLength());
        if (copy(repair.block, repair.sources, addresses, target)) {
          replicas.add(target);
          load.merge(target, 1, Integer::sum);
          missing--;
        }
      }
      if (missing == 0) {
        replicas.removeIf(n -> membership.getOrDefault(n, Membership.ACTIVE) != Membership.ACTIVE);
      }
      if (!replicas.equals(repair.block.getReplicasList())) {
        changed.add(withReplicas(repair.block, replicas));
      }
      replicas.forEach(stillHolding::add);
    }
    if (!changed.isEmpty()) {
      submit(MetaCommand.newBuilder()
          .setTimeMs(clock.millis())
          .setSetReplicas(SetReplicas.newBuilder().addAllBlocks(changed))
          .build());
      log.info("updated the replicas of {} block(s)", changed.size());
    }
    // Extra replicas are deleted only once the namespace no longer names them.
    trims.forEach((node, ids) -> {
      if (delete(node, addresses.get(node), ids)) {
        blocksTrimmed.addAndGet(ids.size());
      }
    });
    finishDecommissions(membership, stillHolding);
    deleteFreed(freed, reports, addresses);
    deleteOrphans(reports, referenced, freed, addresses);
  }

  private Map<String, Map<Long, Long>> collectReports(Map<String, String> addresses) {
    Map<String, CompletableFuture<BlockReportResponse>> pending = new LinkedHashMap<>();
    addresses.forEach((id, address) -> {
      if (liveness.state(id) != Liveness.State.DEAD || !liveness.heard(id)) {
        pending.put(id, CompletableFuture.supplyAsync(() -> peers.blocksBlocking(address)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .blockReport(BlockReportRequest.getDefaultInstance())));
      }
    });
    Map<String, Map<Long, Long>> reports = new HashMap<>();
    pending.forEach((id, f) -> {
      try {
        BlockReportResponse r = f.join();
        Map<Long, Long> held = new HashMap<>(r.getBlockIdsCount() * 2);
        for (int i = 0; i < r.getBlockIdsCount(); i++) {
          held.put(r.getBlockIds(i), r.getBlockAgesMs(i));
        }
        reports.put(id, held);
      } catch (RuntimeException e) {
        // Not reachable: its replicas count as neither held nor lost this round.
      }
    });
    return reports;
  }

  private void trim(BlockRef block, List<String> kept, int wanted,
      Map<String, Map<Long, Long>> reports, Map<String, Membership> membership,
      Map<String, Integer> load, Map<String, List<Long>> trims) {
    // Only confirmed, active holders are trimmed; the most loaded go first.
    List<String> candidates = new ArrayList<>();
    int active = 0;
    for (String n : kept) {
      if (membership.getOrDefault(n, Membership.ACTIVE) == Membership.ACTIVE) {
        active++;
        if (reports.containsKey(n)) {
          candidates.add(n);
        }
      }
    }
    candidates.sort(Comparator.comparingInt((String n) -> load.getOrDefault(n, 0)).reversed());
    for (String n : candidates) {
      if (active <= wanted) {
        break;
      }
      kept.remove(n);
      trims.computeIfAbsent(n, k -> new ArrayList<>()).add(block.getId());
      load.merge(n, -1, Integer::sum);
      active--;
    }
  }

  private void finishDecommissions(Map<String, Membership> membership, Set<String> stillHolding) {
    membership.forEach((node, state) -> {
      if (state == Membership.DECOMMISSIONING && !stillHolding.contains(node)) {
        submit(MetaCommand.newBuilder()
            .setTimeMs(clock.millis())
            .setSetMembership(SetMembership.newBuilder()
                .setNodeId(node)
                .setMembership(Membership.DECOMMISSIONED))
            .build());
        log.info("node {} holds no block the cluster needs: decommissioned", node);
        try {
          meta.removePeer(node);
          log.info("node {} removed from the Raft group", node);
        } catch (java.io.IOException | RuntimeException e) {
          log.warn("cannot remove {} from the Raft group yet: {}", node, e.toString());
        }
      }
    });
  }

  private void deleteFreed(List<BlockRef> freed, Map<String, Map<Long, Long>> reports,
      Map<String, String> addresses) {
    if (freed.isEmpty()) {
      return;
    }
    Map<String, List<Long>> byNode = new HashMap<>();
    List<Long> done = new ArrayList<>();
    for (BlockRef block : freed) {
      boolean waiting = false;
      for (String node : block.getReplicasList()) {
        if (reports.containsKey(node)) {
          byNode.computeIfAbsent(node, k -> new ArrayList<>()).add(block.getId());
        } else if (liveness.state(node) != Liveness.State.DEAD) {
          // Its node may come back soon: keep the block listed until it can be told.
          waiting = true;
        }
      }
      if (!waiting) {
        done.add(block.getId());
      }
    }
    Set<Long> failed = new HashSet<>();
    byNode.forEach((node, ids) -> {
      if (delete(node, addresses.get(node), ids)) {
        blocksDeleted.addAndGet(ids.size());
      } else {
        failed.addAll(ids);
      }
    });
    done.removeIf(failed::contains);
    // A condemned orphan stays listed (and refused in commits) for a grace period more, so that
    // no commit proposed before it was condemned can still arrive and name it.
    long now = clock.millis();
    done.removeIf(id -> {
      Long at = condemnedAt.get(id);
      return at != null && now - at < orphanGrace.toMillis();
    });
    done.forEach(condemnedAt::remove);
    if (!done.isEmpty()) {
      submit(MetaCommand.newBuilder()
          .setTimeMs(clock.millis())
          .setForgetFreed(ForgetFreed.newBuilder().addAllBlockIds(done))
          .build());
    }
  }

  /**
   * Blocks no file references, older than the grace period, are not deleted here: they are
   * condemned through the log first, which makes the namespace refuse any commit that names them,
   * and then deleted like freed blocks. A commit racing with this either lands first (and the
   * block is no orphan) or is refused; it can never reference a deleted block.
   */
  private void deleteOrphans(Map<String, Map<Long, Long>> reports, Set<Long> referenced,
      List<BlockRef> freed, Map<String, String> addresses) {
    long graceMs = orphanGrace.toMillis();
    Set<Long> freedIds = new HashSet<>();
    freed.forEach(b -> freedIds.add(b.getId()));
    Map<Long, List<String>> orphans = new LinkedHashMap<>();
    reports.forEach((node, held) -> held.forEach((id, ageMs) -> {
      if (!referenced.contains(id) && !freedIds.contains(id) && ageMs > graceMs) {
        orphans.computeIfAbsent(id, k -> new ArrayList<>()).add(node);
      }
    }));
    if (orphans.isEmpty()) {
      return;
    }
    CondemnOrphans.Builder condemn = CondemnOrphans.newBuilder();
    long now = clock.millis();
    orphans.forEach((id, nodes) -> {
      condemn.addBlocks(BlockRef.newBuilder().setId(id).addAllReplicas(nodes));
      condemnedAt.putIfAbsent(id, now);
    });
    submit(MetaCommand.newBuilder().setTimeMs(now).setCondemnOrphans(condemn).build());
    log.info("condemned {} unreferenced block(s) older than {}", orphans.size(), orphanGrace);
  }

  private boolean copy(BlockRef block, List<String> sources, Map<String, String> addresses,
      String target) {
    CopyBlockRequest.Builder req = CopyBlockRequest.newBuilder()
        .setBlockId(block.getId())
        .setLength(block.getLength());
    for (String h : sources) {
      req.addSources(NodeAddress.newBuilder().setId(h).setAddress(addresses.get(h)));
    }
    try {
      CopyBlockResponse r = peers.blocksBlocking(addresses.get(target))
          .withDeadlineAfter(5, TimeUnit.MINUTES)
          .copyBlock(req.build());
      if (r.getStatus().getCode() == ErrorCode.OK) {
        blocksCopied.incrementAndGet();
        bytesCopied.addAndGet(block.getLength());
        synchronized (recentCopies) {
          recentCopies.addLast(new long[] {clock.millis(), block.getLength()});
        }
        log.debug("copied block {} to {}", Long.toHexString(block.getId()), target);
        return true;
      }
      log.warn("copy of block {} to {} failed: {}", Long.toHexString(block.getId()), target,
          r.getStatus().getMessage());
    } catch (RuntimeException e) {
      log.warn("copy of block {} to {} failed: {}", Long.toHexString(block.getId()), target,
          e.toString());
    }
    return false;
  }

  private boolean delete(String node, String address, List<Long> ids) {
    if (address == null) {
      return false;
    }
    try {
      peers.blocksBlocking(address)
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .deleteBlocks(DeleteBlocksRequest.newBuilder().addAllBlockIds(ids).build());
      return true;
    } catch (RuntimeException e) {
      log.warn("cannot delete blocks on {}: {}", node, e.toString());
      return false;
    }
  }

  private void submit(MetaCommand command) {
    meta.submit(command).orTimeout(10, TimeUnit.SECONDS).join();
  }

  private static BlockRef withReplicas(BlockRef block, List<String> replicas) {
    return block.toBuilder().clearReplicas().addAllReplicas(replicas).build();
  }

  private record Repair(BlockRef block, List<String> kept, List<String> sources, int missing) {}
}
