package dev.cairn.server.replication;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Chooses which nodes hold a new block's replicas: the node that received the write first (its
 * local disk is the cheapest copy), then the others in random order, with nodes that failed a
 * write recently put last so that a dead node does not slow every write until it is noticed.
 *
 * <p>Thread-safe.
 */
public final class Placement {
  private static final long SUSPECT_MS = 10_000;

  private final String selfId;
  private final Supplier<Map<String, String>> nodes;
  private final Clock clock;
  private final Map<String, Long> failedAt = new ConcurrentHashMap<>();

  public Placement(String selfId, Supplier<Map<String, String>> nodes, Clock clock) {
    this.selfId = selfId;
    this.nodes = nodes;
    this.clock = clock;
  }

  /** Every other node, best candidates first. */
  public List<String> candidates() {
    long now = clock.millis();
    List<String> healthy = new ArrayList<>();
    List<String> suspect = new ArrayList<>();
    for (String id : nodes.get().keySet()) {
      if (id.equals(selfId)) {
        continue;
      }
      Long failed = failedAt.get(id);
      (failed != null && now - failed < SUSPECT_MS ? suspect : healthy).add(id);
    }
    Collections.shuffle(healthy);
    healthy.addAll(suspect);
    return healthy;
  }

  public String address(String nodeId) {
    return nodes.get().get(nodeId);
  }

  public void reportFailure(String nodeId) {
    failedAt.put(nodeId, clock.millis());
  }

  public void reportSuccess(String nodeId) {
    failedAt.remove(nodeId);
  }
}
