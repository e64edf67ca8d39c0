package dev.cairn.server.replication;

import dev.cairn.proto.NodeStatus;
import dev.cairn.server.NodeConfig;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The leader's record of node heartbeats, and what it makes of them: a node heard from within
 * {@code suspectAfter} is LIVE, within {@code deadAfter} SUSPECT, and DEAD after that. Every node
 * keeps this table, but only the leader's is fed; a node that becomes leader starts its clock
 * then, so nobody is declared dead by a leader that has not had time to hear from them.
 *
 * <p>Thread-safe.
 */
public final class Liveness {
  /** What the leader thinks of a node. */
  public enum State {
    LIVE,
    SUSPECT,
    DEAD
  }

  private final NodeConfig.Healing settings;
  private final Clock clock;
  private final Map<String, Beat> beats = new ConcurrentHashMap<>();
  private volatile long watchingSince;

  private record Beat(long atMs, NodeStatus status) {}

  public Liveness(NodeConfig.Healing settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.watchingSince = clock.millis();
  }

  /** Called when this node becomes leader: what an earlier term heard is stale. */
  public void startWatching() {
    beats.clear();
    watchingSince = clock.millis();
  }

  public void heartbeat(NodeStatus status) {
    beats.put(status.getId(), new Beat(clock.millis(), status));
  }

  public State state(String nodeId) {
    long since = sinceHeard(nodeId);
    // A node this leader has not heard from yet is not called live, only given time.
    if (since < settings.suspectAfter().toMillis() && heard(nodeId)) {
      return State.LIVE;
    }
    return since < settings.deadAfter().toMillis() ? State.SUSPECT : State.DEAD;
  }

  /** Milliseconds since the node was last heard from (since watching began if never). */
  public long sinceHeard(String nodeId) {
    Beat b = beats.get(nodeId);
    return clock.millis() - (b == null ? watchingSince : b.atMs);
  }

  /** True if the node was heard from at all since this leader began watching. */
  public boolean heard(String nodeId) {
    return beats.containsKey(nodeId);
  }

  /** The last status the node sent, or null. */
  public NodeStatus lastStatus(String nodeId) {
    Beat b = beats.get(nodeId);
    return b == null ? null : b.status;
  }

  /** Every node of {@code nodes}, with state and time since last seen filled in. */
  public List<NodeStatus> view(Map<String, String> nodes) {
    List<NodeStatus> out = new ArrayList<>();
    nodes.forEach((id, address) -> {
      NodeStatus last = lastStatus(id);
      State state = state(id);
      NodeStatus.Builder b = last == null
          ? NodeStatus.newBuilder().setId(id).setAddress(address).setRaftRole("UNKNOWN")
          : last.toBuilder();
      b.setState(state.name())
          .setUp(last != null && state == State.LIVE)
          .setLastSeenMsAgo(last == null ? -1 : sinceHeard(id));
      if (last == null) {
        b.setError("no heartbeat since the current leader took over "
            + sinceHeard(id) / 1000 + " s ago");
      } else if (state != State.LIVE) {
        b.setError("no heartbeat for " + sinceHeard(id) / 1000 + " s");
      }
      out.add(b.build());
    });
    return out;
  }
}
