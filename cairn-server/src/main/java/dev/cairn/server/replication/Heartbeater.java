package dev.cairn.server.replication;

import dev.cairn.proto.ClusterView;
import dev.cairn.proto.HeartbeatRequest;
import dev.cairn.proto.HeartbeatResponse;
import dev.cairn.proto.NodeStatus;
import dev.cairn.server.meta.ratis.RaftMeta;
import dev.cairn.server.rpc.PeerChannels;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Tells the leader, every heartbeat interval, that this node is alive and how it is (blocks,
 * space, scrub results); takes back the leader's view of the cluster. The leader records its own
 * heartbeat directly.
 *
 * <p>Runs on one scheduler thread.
 */
public final class Heartbeater implements Runnable {
  private final String selfId;
  private final RaftMeta meta;
  private final PeerChannels peers;
  private final ClusterState cluster;
  private final Liveness liveness;
  private final Supplier<NodeStatus> status;
  private final Supplier<ClusterView> localView;
  private volatile boolean wasLeader;

  public Heartbeater(String selfId, RaftMeta meta, PeerChannels peers, ClusterState cluster,
      Liveness liveness, Supplier<NodeStatus> status, Supplier<ClusterView> localView) {
    this.selfId = selfId;
    this.meta = meta;
    this.peers = peers;
    this.cluster = cluster;
    this.liveness = liveness;
    this.status = status;
    this.localView = localView;
  }

  @Override
  public void run() {
    try {
      beat();
    } catch (RuntimeException e) {
      // The leader may be changing; the next beat goes to whoever leads then.
    }
  }

  private void beat() {
    boolean leader = meta.isLeader();
    if (leader && !wasLeader) {
      liveness.startWatching();
    }
    wasLeader = leader;
    if (leader) {
      liveness.heartbeat(status.get());
      cluster.update(localView.get());
      return;
    }
    String leaderId = meta.leaderId();
    if (leaderId == null) {
      leaderId = cluster.lastKnownLeader();
    }
    String address = leaderId == null ? null : cluster.address(leaderId);
    if (address == null || leaderId.equals(selfId)) {
      return;
    }
    // A leader that lost its post answers UNAVAILABLE; the view then stays as it was.
    HeartbeatResponse r = peers.blocksBlocking(address)
        .withDeadlineAfter(2, TimeUnit.SECONDS)
        .heartbeat(HeartbeatRequest.newBuilder().setStatus(status.get()).build());
    if (r.getStatus().getCodeValue() == 0 && r.hasView()) {
      cluster.update(r.getView());
    }
  }
}
