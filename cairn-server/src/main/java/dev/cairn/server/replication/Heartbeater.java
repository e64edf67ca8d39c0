package dev.cairn.server.replication;

import dev.cairn.proto.ClusterView;
import dev.cairn.proto.HeartbeatRequest;
import dev.cairn.proto.HeartbeatResponse;
import dev.cairn.proto.NodeStatus;
import dev.cairn.server.meta.ratis.RaftMeta;
import dev.cairn.server.rpc.PeerChannels;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Tells the leader, every heartbeat interval, that this node is alive and how it is (blocks,
 * space, scrub results); takes back the leader's view of the cluster. The leader records its own
 * heartbeat directly.
 *
 * <p>Beats run on the node's maintenance scheduler: one every interval, and more at once when the
 * leader changes ({@link #leaderChanged}); two may overlap.
 */
public final class Heartbeater implements Runnable {
  private final String selfId;
  private final RaftMeta meta;
  private final PeerChannels peers;
  private final ClusterState cluster;
  private final Liveness liveness;
  private final Supplier<NodeStatus> status;
  private final Supplier<ClusterView> localView;
  private final AtomicBoolean wasLeader = new AtomicBoolean();
  /** Counts leader changes; a chain of retried beats stops when a newer change starts one. */
  private final AtomicLong changes = new AtomicLong();

  /** How often a beat after a leader change is tried again until a ready leader takes it. */
  static final long RETRY_MS = 50;

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
    beatQuietly();
  }

  /**
   * Called when this node learns of a new leader, or becomes a ready one (Ratis tells it): beats
   * now instead of at the next tick. A new leader's table is empty, so until every node has beaten
   * once, status shows nodes that are up as down, and a new cluster is not ready. A follower can
   * hear of its leader before the leader is ready to take beats, so an unanswered beat is tried
   * again every {@link #RETRY_MS} ms, for one heartbeat interval at most; the regular beats go on
   * meanwhile.
   */
  public void leaderChanged(ScheduledExecutorService executor, long intervalMs) {
    long change = changes.incrementAndGet();
    long attempts = Math.max(1, intervalMs / RETRY_MS);
    Runnable beatUntilTaken = new Runnable() {
      private long attempt;

      @Override
      public void run() {
        if (changes.get() != change || beatQuietly() || ++attempt >= attempts) {
          return;
        }
        try {
          executor.schedule(this, RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
          // The node is stopping.
        }
      }
    };
    try {
      executor.execute(beatUntilTaken);
    } catch (RejectedExecutionException e) {
      // The node is stopping.
    }
  }

  /** One beat; true if a ready leader took it (this node's own, when it leads). */
  private boolean beatQuietly() {
    try {
      return beat();
    } catch (RuntimeException e) {
      // The leader may be changing; the next beat goes to whoever leads then.
      return false;
    }
  }

  private boolean beat() {
    boolean leader = meta.isLeader();
    if (leader && !wasLeader.getAndSet(true)) {
      liveness.startWatching();
    } else if (!leader) {
      wasLeader.set(false);
    }
    if (leader) {
      liveness.heartbeat(status.get());
      cluster.update(localView.get());
      return true;
    }
    String leaderId = meta.leaderId();
    if (leaderId == null) {
      leaderId = cluster.lastKnownLeader();
    }
    String address = leaderId == null ? null : cluster.address(leaderId);
    if (address == null || leaderId.equals(selfId)) {
      return false;
    }
    // A leader that lost its post, or is not ready yet, answers UNAVAILABLE; the view then stays
    // as it was.
    HeartbeatResponse r = peers.blocksBlocking(address)
        .withDeadlineAfter(2, TimeUnit.SECONDS)
        .heartbeat(HeartbeatRequest.newBuilder().setStatus(status.get()).build());
    if (r.getStatus().getCodeValue() == 0 && r.hasView()) {
      cluster.update(r.getView());
      return true;
    }
    return false;
  }
}
