package dev.cairn.server.replication;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chooses which nodes hold a new block's replicas: the node that received the write first (its
 * local disk is the cheapest copy), then the others in random order. Nodes the leader reports dead,
 * full or being decommissioned are skipped; nodes it reports suspect, or that failed a write here
 * recently, go last, so that a dead node does not slow every write until it is noticed.
 *
 * <p>Thread-safe.
 */
public final class Placement {
  private static final long RECENT_FAILURE_MS = 10_000;

  private final String selfId;
  private final ClusterState cluster;
  private final Clock clock;
  private final Map<String, Long> failedAt = new ConcurrentHashMap<>();

  public Placement(String selfId, ClusterState cluster, Clock clock) {
    this.selfId = selfId;
    this.cluster = cluster;
    this.clock = clock;
  }

  /** Every other node that may take a new block, best candidates first. */
  public List<String> candidates() {
    long now = clock.millis();
    List<String> good = new ArrayList<>();
    List<String> doubtful = new ArrayList<>();
    for (String id : cluster.addresses().keySet()) {
      if (id.equals(selfId) || cluster.avoid(id)) {
        continue;
      }
      (failedRecently(id, now) || cluster.suspect(id) ? doubtful : good).add(id);
    }
    Collections.shuffle(good);
    good.addAll(doubtful);
    return good;
  }

  /**
   * True for a node that failed a block write here in the last 10 s: one that may be stalled,
   * which a write should wait on only if it cannot do without it. (A node the leader merely
   * suspects still gets blocks: right after a start, every node is suspect until it is heard.)
   */
  public boolean failedRecently(String nodeId) {
    return failedRecently(nodeId, clock.millis());
  }

  private boolean failedRecently(String nodeId, long now) {
    Long failed = failedAt.get(nodeId);
    return failed != null && now - failed < RECENT_FAILURE_MS;
  }

  public String address(String nodeId) {
    return cluster.address(nodeId);
  }

  public void reportFailure(String nodeId) {
    failedAt.put(nodeId, clock.millis());
  }

  public void reportSuccess(String nodeId) {
    failedAt.remove(nodeId);
  }
}
