package dev.cairn.server.replication;

import dev.cairn.proto.ClusterView;
import dev.cairn.proto.Membership;
import dev.cairn.proto.NodeStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this node knows of the cluster's members: their addresses (the founding peers, plus nodes
 * the namespace's node table names), and the leader's latest view of their health, which arrives
 * with every heartbeat answer. Block placement reads it.
 *
 * <p>Thread-safe.
 */
public final class ClusterState {
  private final Map<String, String> addresses = new ConcurrentHashMap<>();
  private volatile Map<String, NodeStatus> view = Map.of();
  private volatile Map<String, Membership> membership = Map.of();

  public ClusterState(Map<String, String> founders) {
    addresses.putAll(founders);
  }

  /** Every member's client address, founders first. */
  public Map<String, String> addresses() {
    return new LinkedHashMap<>(addresses);
  }

  public String address(String nodeId) {
    return addresses.get(nodeId);
  }

  public void learnAddress(String nodeId, String address) {
    addresses.put(nodeId, address);
  }

  /** Records the namespace's membership states (the leader's repair loop reads them). */
  public void setMembership(Map<String, Membership> states) {
    membership = Map.copyOf(states);
  }

  public Membership membership(String nodeId) {
    return membership.getOrDefault(nodeId, Membership.ACTIVE);
  }

  public void update(ClusterView leaderView) {
    Map<String, NodeStatus> next = new LinkedHashMap<>();
    for (NodeStatus n : leaderView.getNodesList()) {
      next.put(n.getId(), n);
      if (!n.getAddress().isEmpty()) {
        addresses.putIfAbsent(n.getId(), n.getAddress());
      }
    }
    view = next;
  }

  /**
   * True if the leader's last view says new blocks should not go to this node: dead, out of
   * space, or being decommissioned. A node the view does not mention is given the benefit of the
   * doubt.
   */
  public boolean avoid(String nodeId) {
    NodeStatus s = view.get(nodeId);
    return s != null
        && ("DEAD".equals(s.getState())
            || s.getFull()
            || s.getMembership() != Membership.ACTIVE);
  }

  /**
   * The leader named by the last view received, for a node that no longer follows the Raft group
   * itself (after it was decommissioned) but still reports to the leader; null if none.
   */
  public String lastKnownLeader() {
    for (NodeStatus s : view.values()) {
      if ("LEADER".equals(s.getRaftRole())) {
        return s.getId();
      }
    }
    return null;
  }

  /** True if the leader's last view calls the node SUSPECT. */
  public boolean suspect(String nodeId) {
    NodeStatus s = view.get(nodeId);
    return s != null && "SUSPECT".equals(s.getState());
  }
}
