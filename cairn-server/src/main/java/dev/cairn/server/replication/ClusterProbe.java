package dev.cairn.server.replication;

import dev.cairn.proto.NodeStatus;
import dev.cairn.proto.NodeStatusRequest;
import dev.cairn.server.rpc.PeerChannels;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Asks every node how it is, in parallel, with a short deadline; remembers when each was last
 * seen. Thread-safe.
 */
public final class ClusterProbe {
  private static final long PROBE_DEADLINE_MS = 1_500;

  private final Supplier<Map<String, String>> nodes;
  private final PeerChannels peers;
  private final Executor executor;
  private final Clock clock;
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();

  public ClusterProbe(
      Supplier<Map<String, String>> nodes, PeerChannels peers, Executor executor, Clock clock) {
    this.nodes = nodes;
    this.peers = peers;
    this.executor = executor;
    this.clock = clock;
  }

  /** The status of every node, in node table order; a node that did not answer is down. */
  public List<NodeStatus> probeAll() {
    List<CompletableFuture<NodeStatus>> futures = new ArrayList<>();
    nodes.get().forEach((id, address) -> futures.add(
        CompletableFuture.supplyAsync(() -> probe(id, address), executor)));
    List<NodeStatus> out = new ArrayList<>();
    for (CompletableFuture<NodeStatus> f : futures) {
      out.add(f.join());
    }
    return out;
  }

  private NodeStatus probe(String id, String address) {
    long now = clock.millis();
    try {
      NodeStatus s = peers.blocksBlocking(address)
          .withDeadlineAfter(PROBE_DEADLINE_MS, TimeUnit.MILLISECONDS)
          .getNodeStatus(NodeStatusRequest.getDefaultInstance());
      lastSeen.put(id, clock.millis());
      return s.toBuilder().setUp(true).setAddress(address).setLastSeenMsAgo(0).build();
    } catch (RuntimeException e) {
      if (e instanceof StatusRuntimeException sre
          && sre.getStatus().getCode() == Status.Code.UNAVAILABLE) {
        // Asked again in a moment (a starting cluster is polled until every node is up).
        peers.reconnectNow(address);
      }
      Long seen = lastSeen.get(id);
      return NodeStatus.newBuilder()
          .setId(id)
          .setAddress(address)
          .setUp(false)
          .setRaftRole("UNKNOWN")
          .setLastSeenMsAgo(seen == null ? -1 : now - seen)
          .setError(String.valueOf(e.getMessage()))
          .build();
    }
  }
}
