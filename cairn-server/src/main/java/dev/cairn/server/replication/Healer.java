package dev.cairn.server.replication;

import dev.cairn.proto.BlockMap;
import dev.cairn.proto.BlockMapRequest;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.BlockReportRequest;
import dev.cairn.proto.BlockReportResponse;
import dev.cairn.proto.CopyBlockRequest;
import dev.cairn.proto.CopyBlockResponse;
import dev.cairn.proto.DeleteBlocksRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaQuery;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.SetReplicas;
import dev.cairn.server.meta.ratis.RaftMeta;
import dev.cairn.server.rpc.PeerChannels;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's repair loop. Each round it compares the namespace's block map with what every
 * reachable node reports holding, then:
 *
 * <ul>
 *   <li>drops a replica that a live node no longer has (lost, wiped or quarantined as corrupt);
 *   <li>copies blocks with fewer live replicas than wanted to other live nodes, those with the
 *       fewest copies left first;
 *   <li>deletes blocks no file references once they are older than the orphan grace period (which
 *       covers a block written but not yet committed).
 * </ul>
 *
 * Runs on one thread; only the leader acts.
 */
public final class Healer implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Healer.class);
  private static final int MAX_COPIES_PER_ROUND = 32;

  private final RaftMeta meta;
  private final PeerChannels peers;
  private final Supplier<Map<String, String>> nodes;
  private final Duration orphanGrace;
  private final Clock clock;

  public Healer(
      RaftMeta meta,
      PeerChannels peers,
      Supplier<Map<String, String>> nodes,
      Duration orphanGrace,
      Clock clock) {
    this.meta = meta;
    this.peers = peers;
    this.nodes = nodes;
    this.orphanGrace = orphanGrace;
    this.clock = clock;
  }

  @Override
  public void run() {
    if (!meta.isLeader()) {
      return;
    }
    try {
      round();
    } catch (RuntimeException e) {
      log.warn("repair round failed: {}", e.toString());
    }
  }

  private void round() {
    // The map is read before the reports: every block in it was fsynced on its replicas before it
    // was committed, so a live replica whose later report lacks it has really lost it.
    BlockMap map = meta.query(
            MetaQuery.newBuilder().setBlockMap(BlockMapRequest.getDefaultInstance()).build())
        .orTimeout(10, TimeUnit.SECONDS)
        .join()
        .getBlockMap();
    Map<String, String> addresses = new LinkedHashMap<>(nodes.get());
    map.getNodesList().forEach(n -> addresses.putIfAbsent(n.getId(), n.getAddress()));
    Map<String, Map<Long, Long>> reports = new HashMap<>();
    addresses.forEach((id, address) -> {
      try {
        BlockReportResponse r = peers.blocksBlocking(address)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .blockReport(BlockReportRequest.getDefaultInstance());
        Map<Long, Long> held = new HashMap<>(r.getBlockIdsCount() * 2);
        for (int i = 0; i < r.getBlockIdsCount(); i++) {
          held.put(r.getBlockIds(i), r.getBlockAgesMs(i));
        }
        reports.put(id, held);
      } catch (RuntimeException e) {
        // Not reachable: its replicas count as neither held nor lost this round.
      }
    });

    List<BlockRef> changed = new ArrayList<>();
    List<Repair> repairs = new ArrayList<>();
    Set<Long> referenced = new HashSet<>(map.getBlocksCount() * 2);
    for (int i = 0; i < map.getBlocksCount(); i++) {
      BlockRef block = map.getBlocks(i);
      referenced.add(block.getId());
      List<String> kept = new ArrayList<>();
      List<String> holders = new ArrayList<>();
      for (String node : block.getReplicasList()) {
        Map<Long, Long> report = reports.get(node);
        if (report == null) {
          kept.add(node);
        } else if (report.containsKey(block.getId())) {
          kept.add(node);
          holders.add(node);
        }
      }
      boolean lostSome = kept.size() < block.getReplicasCount();
      int wanted = map.getReplication(i);
      if (holders.size() < wanted && !holders.isEmpty()) {
        repairs.add(new Repair(block, kept, holders, wanted - holders.size()));
      } else if (lostSome) {
        changed.add(block.toBuilder().clearReplicas().addAllReplicas(kept).build());
      }
    }

    repairs.sort(Comparator.comparingInt((Repair r) -> r.holders.size()));
    int copies = 0;
    Map<String, Integer> load = new HashMap<>();
    reports.forEach((id, held) -> load.put(id, held.size()));
    for (Repair repair : repairs) {
      List<String> replicas = new ArrayList<>(repair.kept);
      int missing = repair.missing;
      List<String> targets = new ArrayList<>(reports.keySet());
      targets.removeIf(replicas::contains);
      targets.sort(Comparator.comparingInt(id -> load.getOrDefault(id, 0)));
      for (String target : targets) {
        if (missing == 0 || copies >= MAX_COPIES_PER_ROUND) {
          break;
        }
        copies++;
        if (copy(repair.block, repair.holders, addresses, target)) {
          replicas.add(target);
          load.merge(target, 1, Integer::sum);
          missing--;
        }
      }
      if (!replicas.equals(repair.block.getReplicasList())) {
        changed.add(repair.block.toBuilder().clearReplicas().addAllReplicas(replicas).build());
      }
    }
    if (!changed.isEmpty()) {
      MetaResult result = meta.submit(MetaCommand.newBuilder()
              .setTimeMs(clock.millis())
              .setSetReplicas(SetReplicas.newBuilder().addAllBlocks(changed))
              .build())
          .orTimeout(10, TimeUnit.SECONDS)
          .join();
      log.info("updated replicas of {} block(s): {}", changed.size(),
          result.getStatus().getCode());
    }
    deleteOrphans(reports, referenced, addresses);
  }

  private boolean copy(BlockRef block, List<String> holders, Map<String, String> addresses,
      String target) {
    CopyBlockRequest.Builder req = CopyBlockRequest.newBuilder()
        .setBlockId(block.getId())
        .setLength(block.getLength());
    for (String h : holders) {
      req.addSources(NodeAddress.newBuilder().setId(h).setAddress(addresses.get(h)));
    }
    try {
      CopyBlockResponse r = peers.blocksBlocking(addresses.get(target))
          .withDeadlineAfter(5, TimeUnit.MINUTES)
          .copyBlock(req.build());
      if (r.getStatus().getCode() == ErrorCode.OK) {
        log.info("copied block {} to {}", Long.toHexString(block.getId()), target);
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

  private void deleteOrphans(
      Map<String, Map<Long, Long>> reports, Set<Long> referenced, Map<String, String> addresses) {
    long graceMs = orphanGrace.toMillis();
    reports.forEach((node, held) -> {
      List<Long> orphans = new ArrayList<>();
      held.forEach((id, ageMs) -> {
        if (!referenced.contains(id) && ageMs > graceMs) {
          orphans.add(id);
        }
      });
      if (orphans.isEmpty()) {
        return;
      }
      try {
        peers.blocksBlocking(addresses.get(node))
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .deleteBlocks(DeleteBlocksRequest.newBuilder().addAllBlockIds(orphans).build());
        log.info("deleted {} unreferenced block(s) on {}", orphans.size(), node);
      } catch (RuntimeException e) {
        log.warn("cannot delete unreferenced blocks on {}: {}", node, e.toString());
      }
    });
  }

  private record Repair(BlockRef block, List<String> kept, List<String> holders, int missing) {}
}
