package dev.cairn.server.meta.ratis;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotReplyProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyServerReplyProto;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyServerRequestProto;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppenderBase;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.util.Timestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the leader's log to one follower over a {@link RaftWireConnection}, with several append
 * requests in flight, and does each reply's bookkeeping on the connection's reader thread as the
 * reply arrives.
 *
 * <p>New entries are usually sent by the thread that proposed them, right after Ratis has put
 * them in the log ({@link #sendingFromProposer}), rather than by this appender's own thread:
 * waking a thread costs a turn on a CPU, which on a busy machine is most of what a commit costs.
 * This appender's thread sends whatever the proposer could not (a follower catching up, a
 * snapshot, heartbeats) and reconnects after failures.
 *
 * <p>What keeps the log safe is unchanged from Ratis's own appenders: a follower's match index
 * moves only on a SUCCESS reply, which the follower sends once its log is flushed, and a follower
 * refuses an append that does not follow its log (INCONSISTENCY). The next index runs ahead of
 * the replies as requests are sent; on any failure it goes back to just after the match index,
 * and the replies to what was in flight before are no longer trusted to move it.
 */
final class PipelinedLogAppender extends LogAppenderBase {
  private static final Logger LOG = LoggerFactory.getLogger(PipelinedLogAppender.class);

  /** Append requests in flight to one follower. */
  static final int MAX_IN_FLIGHT = 4;

  /** The longest wait between tries to reach a follower that keeps failing. */
  private static final long MAX_BACK_OFF_MS = 500;

  /**
   * The appenders that the current thread's proposal asked to send, while the thread is inside
   * {@link #sendingFromProposer}; null outside it.
   */
  private static final ThreadLocal<List<PipelinedLogAppender>> PROPOSED = new ThreadLocal<>();

  private final long requestTimeoutNanos;
  private final AtomicLong callIds = new AtomicLong();
  private volatile RaftWireConnection connection;

  // The appender thread's wake-up. Nothing is called out of this class while it is held, so
  // Ratis may signal from any thread, under any lock of its own.
  private final ReentrantLock wakeLock = new ReentrantLock();
  private final Condition wake = wakeLock.newCondition();
  private boolean signalled;

  // Held while a request is built and written, by this appender's thread or a proposer's.
  private final ReentrantLock sendLock = new ReentrantLock();

  // Guarded by stateLock: what is in flight and how the follower has been answering.
  private final ReentrantLock stateLock = new ReentrantLock();
  private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
  private long generation;
  private int errorsInRow;

  /** A request on its way, and what its reply needs. */
  private record InFlight(long callId, long generation, long firstIndex, boolean heartbeat,
      Timestamp sendTime, long sentNanos) {}

  PipelinedLogAppender(RaftServer.Division server, LeaderState leaderState, FollowerInfo follower) {
    super(server, leaderState, follower);
    this.requestTimeoutNanos = RaftServerConfigKeys.Rpc.requestTimeout(
        server.getRaftServer().getProperties()).toLong(TimeUnit.NANOSECONDS);
  }

  /**
   * Runs {@code propose}, which hands entries to the local Raft server, then sends them to the
   * followers from this thread instead of waking each follower's appender thread.
   */
  static <T> T sendingFromProposer(Supplier<T> propose) {
    if (PROPOSED.get() != null) {
      return propose.get();
    }
    List<PipelinedLogAppender> proposed = new ArrayList<>(2);
    PROPOSED.set(proposed);
    try {
      return propose.get();
    } finally {
      PROPOSED.remove();
      for (PipelinedLogAppender appender : proposed) {
        appender.sendFromProposer();
      }
    }
  }

  @Override
  public long getCallId() {
    return callIds.get();
  }

  @Override
  public Comparator<Long> getCallIdComparator() {
    return Long::compare;
  }

  /**
   * Ratis calls this when there may be something to send: new entries, a heartbeat it wants now,
   * and also every time a follower's commit index moves, for nothing this appender sends. The
   * thread is woken only when there is something for it, so that a commit does not wake both
   * followers' appender threads for nothing while the leader applies and answers it; a
   * heartbeat comes due on the thread's own timer.
   */
  @Override
  public void notifyLogAppender() {
    List<PipelinedLogAppender> proposed = PROPOSED.get();
    if (proposed != null) {
      if (!proposed.contains(this)) {
        proposed.add(this);
      }
      return;
    }
    if (shouldSendAppendEntries()) {
      signal();
    }
  }

  private void signal() {
    wakeLock.lock();
    try {
      signalled = true;
      wake.signalAll();
    } finally {
      wakeLock.unlock();
    }
  }

  @Override
  public boolean hasPendingDataRequests() {
    stateLock.lock();
    try {
      for (InFlight r : inFlight) {
        if (!r.heartbeat() && r.generation() == generation) {
          return true;
        }
      }
      return false;
    } finally {
      stateLock.unlock();
    }
  }

  @Override
  public void run() throws InterruptedException, IOException {
    while (isRunning()) {
      dropConnectionIfStuck();
      backOffAfterErrors();
      if (windowOpen() && shouldSendAppendEntries()) {
        SnapshotInfo snapshot = shouldInstallSnapshot();
        if (snapshot != null) {
          if (inFlightCount() == 0 && connect() != null) {
            installSnapshot(snapshot);
          }
        } else {
          RaftWireConnection c = connect();
          if (c != null) {
            sendLock.lock();
            try {
              send(c);
            } finally {
              sendLock.unlock();
            }
          }
        }
      }
      awaitWork();
      getLeaderState().checkHealth(getFollower());
    }
  }

  /**
   * The snapshot to send the follower, or null to send it entries. Beyond Ratis's cases (the
   * follower's next index before the log's start, among others): the follower's next index is the
   * first entry of the log and the one before it is gone, purged behind a snapshot other than the
   * one at that index. No append can then name the entry before its first, as each must. Ratis
   * starts a new segment at each new term, so an old leader that comes back after the new one has
   * purged its segments is likely to ask for the first entry of one.
   */
  @Override
  public SnapshotInfo shouldInstallSnapshot() {
    SnapshotInfo snapshot = super.shouldInstallSnapshot();
    if (snapshot != null) {
      return snapshot;
    }
    RaftLog log = getRaftLog();
    long next = getFollower().getNextIndex();
    SnapshotInfo latest = getServer().getStateMachine().getLatestSnapshot();
    return latest != null
        && needsSnapshot(next, log.getStartIndex(), log.getNextIndex(),
            log.getTermIndex(next - 1) != null, latest.getIndex(),
            getFollower().getSnapshotIndex())
        ? latest : null;
  }

  /**
   * Whether a follower whose next index is {@code next} can only be sent the leader's snapshot
   * (at {@code snapshotIndex}) because no append to it can name the entry before its first: that
   * entry is neither in the log ({@code previousInLog}) nor the snapshot's, and the follower was
   * not just sent the snapshot that ends there.
   */
  static boolean needsSnapshot(long next, long logStart, long logNext, boolean previousInLog,
      long snapshotIndex, long followerSnapshotIndex) {
    return next > RaftLog.LEAST_VALID_LOG_INDEX && next < logNext && next >= logStart
        && !previousInLog && snapshotIndex != next - 1 && followerSnapshotIndex != next - 1
        && snapshotIndex >= next - 1;
  }

  /** The connection to the follower, opened if need be; null if it cannot be reached now. */
  private RaftWireConnection connect() {
    RaftWireConnection c = connection;
    if (c != null && !c.isClosed()) {
      return c;
    }
    try {
      c = ((RaftWireServer) getServerRpc()).getProxies().getProxy(getFollowerId());
    } catch (IOException e) {
      LOG.debug("{}: cannot reach the follower: {}", this, e.toString());
      getServerRpc().handleException(getFollowerId(), e, true);
      noteError();
      return null;
    }
    connection = c;
    return c;
  }

  /**
   * Sends what the log holds for this follower from the proposing thread. Whatever is not simple
   * is left to the appender's thread, woken instead: no connection yet, a snapshot to send, the
   * window full, or the appender's thread sending at this moment.
   */
  private void sendFromProposer() {
    RaftWireConnection c = connection;
    boolean sent = false;
    if (c != null && !c.isClosed() && isRunning() && sendLock.tryLock()) {
      try {
        if (windowOpen() && hasAppendEntries() && shouldInstallSnapshot() == null) {
          sent = send(c);
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("{}: sending from the proposer failed; the appender's thread goes on", this, e);
      } finally {
        sendLock.unlock();
      }
    }
    if (!sent || hasAppendEntries()) {
      signal();
    }
  }

  /** Builds the next request and writes it; called holding sendLock. False if none was due. */
  private boolean send(RaftWireConnection c) throws IOException {
    InFlight request;
    AppendEntriesRequestProto proto;
    stateLock.lock();
    try {
      proto = newAppendEntriesRequest(callIds.getAndIncrement(), false);
      if (proto == null) {
        return false;
      }
      int count = proto.getEntriesCount();
      // A heartbeat names the entry before the follower's next index, as an append does. Its
      // first index is taken to be the one after that, so that an INCONSISTENCY reply to it can
      // move the next index below the match, as one to an append can: a follower that lost its
      // log answers heartbeats too, and on an idle cluster they are all it gets.
      long first = count > 0 ? proto.getEntries(0).getIndex()
          : proto.hasPreviousLog() ? proto.getPreviousLog().getIndex() + 1
          : RaftLog.INVALID_LOG_INDEX;
      request = new InFlight(proto.getServerRequest().getCallId(), generation, first, count == 0,
          Timestamp.currentTime(), System.nanoTime());
      inFlight.add(request);
      if (count > 0) {
        getFollower().increaseNextIndex(proto.getEntries(count - 1).getIndex() + 1);
      }
    } finally {
      stateLock.unlock();
    }
    resetHeartbeatTrigger();
    getFollower().updateLastRpcSendTime(request.heartbeat());
    c.send(RaftNettyServerRequestProto.newBuilder().setAppendEntriesRequest(proto).build())
        .whenComplete((reply, error) -> onReply(request, reply, error));
    return true;
  }

  private void onReply(InFlight request, RaftNettyServerReplyProto reply, Throwable error) {
    boolean current;
    stateLock.lock();
    try {
      inFlight.remove(request);
      current = request.generation() == generation;
    } finally {
      stateLock.unlock();
    }
    // A SUCCESS leaves nothing for the appender's thread unless entries wait to be sent (the
    // window was full) or a heartbeat is due; anything else may need it (reconnect, resend).
    boolean success = false;
    try {
      if (!isRunning()) {
        return;
      }
      if (error != null || reply == null || !reply.hasAppendEntriesReply()) {
        if (current) {
          onError(error != null ? error : new IOException("unexpected reply " + reply));
        }
        return;
      }
      AppendEntriesReplyProto r = reply.getAppendEntriesReply();
      FollowerInfo follower = getFollower();
      follower.updateLastRpcResponseTime();
      follower.updateLastRespondedAppendEntriesSendTime(request.sendTime());
      getLeaderState().onFollowerCommitIndex(follower, r.getFollowerCommit());
      // Any answer ends the back-off, not only a SUCCESS: a follower that answers is reachable.
      // Staying backed off would make every try a heartbeat, never the entries the follower lacks:
      // after a few failures the back-off outlasts the heartbeat interval, so one is always due.
      clearErrors();
      switch (r.getResult()) {
        case SUCCESS -> {
          success = true;
          // A SUCCESS from before a restart still tells the truth about the follower's log.
          if (follower.updateMatchIndex(r.getMatchIndex())) {
            follower.updateNextIndex(r.getMatchIndex() + 1);
            getLeaderState().onFollowerSuccessAppendEntries(follower);
          }
        }
        case NOT_LEADER -> onFollowerTerm(r.getTerm());
        case INCONSISTENCY -> {
          if (current) {
            restartFrom(getNextIndexForInconsistency(request.firstIndex(), r.getNextIndex()));
          }
        }
        default -> LOG.warn("{}: unexpected append reply {}", this, r.getResult());
      }
      getLeaderState().onAppendEntriesReply(this, r);
    } finally {
      if (!success || shouldSendAppendEntries()) {
        signal();
      }
    }
  }

  private void onError(Throwable error) {
    if (noteError() % 10 == 1) {
      LOG.warn("{}: appendEntries failed: {}", this, error.toString());
    }
    dropConnection(error instanceof Exception e ? e : new IOException(error));
  }

  /** Closes the connection (which fails what is in flight) and sends again from the match. */
  private void dropConnection(Exception cause) {
    connection = null;
    getServerRpc().handleException(getFollowerId(), cause, true);
    restartFrom(getFollower().getMatchIndex() + 1);
  }

  /** Forgets what is in flight and sends again from {@code nextIndex}. */
  private void restartFrom(long nextIndex) {
    stateLock.lock();
    try {
      generation++;
      inFlight.clear();
      getFollower().setNextIndex(nextIndex);
    } finally {
      stateLock.unlock();
    }
  }

  /** A follower that stopped answering: its connection is dropped and opened again. */
  private void dropConnectionIfStuck() {
    InFlight oldest;
    stateLock.lock();
    try {
      oldest = inFlight.peek();
    } finally {
      stateLock.unlock();
    }
    if (oldest != null && System.nanoTime() - oldest.sentNanos() > requestTimeoutNanos) {
      LOG.warn("{}: no reply to appendEntries #{} in {} ms; reconnecting", this, oldest.callId(),
          TimeUnit.NANOSECONDS.toMillis(requestTimeoutNanos));
      noteError();
      dropConnection(new TimeoutIOException("appendEntries timed out"));
    }
  }

  /**
   * After failures in a row, waits before the next try: Ratis's RPC sleep time, doubled with each
   * failure up to {@link #MAX_BACK_OFF_MS}, so that a follower that is down costs little while a
   * restarted one is caught up soon.
   */
  private void backOffAfterErrors() throws InterruptedException {
    int errors = errorsInRow();
    if (errors > 0) {
      long sleepMs = getServer().properties().rpcSleepTime().toLong(TimeUnit.MILLISECONDS);
      Thread.sleep(Math.min(MAX_BACK_OFF_MS, sleepMs << Math.min(errors - 1, 8)));
    }
  }

  private int noteError() {
    stateLock.lock();
    try {
      return ++errorsInRow;
    } finally {
      stateLock.unlock();
    }
  }

  private void clearErrors() {
    stateLock.lock();
    try {
      errorsInRow = 0;
    } finally {
      stateLock.unlock();
    }
  }

  private int errorsInRow() {
    stateLock.lock();
    try {
      return errorsInRow;
    } finally {
      stateLock.unlock();
    }
  }

  private boolean windowOpen() {
    return inFlightCount() < MAX_IN_FLIGHT;
  }

  private int inFlightCount() {
    stateLock.lock();
    try {
      return inFlight.size();
    } finally {
      stateLock.unlock();
    }
  }

  /**
   * Waits for a signal (new entries, a reply) or until a heartbeat is due; at most 100 ms, so
   * that a follower that stopped answering is noticed.
   */
  private void awaitWork() throws InterruptedException {
    if (windowOpen() && hasAppendEntries()) {
      return;
    }
    long waitMs = Math.min(Math.max(getHeartbeatWaitTimeMs(), 1), 100);
    wakeLock.lock();
    try {
      long left = TimeUnit.MILLISECONDS.toNanos(waitMs);
      while (!signalled && left > 0) {
        left = wake.awaitNanos(left);
      }
      signalled = false;
    } finally {
      wakeLock.unlock();
    }
  }

  private void installSnapshot(SnapshotInfo snapshot) throws InterruptedIOException {
    if (errorsInRow() == 0) {
      LOG.info("{}: the log, which starts at {}, cannot bring the follower on from its next index"
          + " {}; sending {}", this, getRaftLog().getStartIndex(), getFollower().getNextIndex(),
          snapshot);
    }
    InstallSnapshotReplyProto reply = null;
    try {
      for (InstallSnapshotRequestProto request
          : newInstallSnapshotRequests(UUID.randomUUID().toString(), snapshot)) {
        getFollower().updateLastRpcSendTime(false);
        reply = getServerRpc().installSnapshot(request);
        getFollower().updateLastRpcResponseTime();
        if (!reply.getServerReply().getSuccess()) {
          break;
        }
      }
    } catch (InterruptedIOException e) {
      throw e;
    } catch (Exception e) {
      if (noteError() % 10 == 1) {
        LOG.warn("{}: sending snapshot {} failed: {}", this, snapshot, e.toString());
      }
      return;
    }
    if (reply == null) {
      return;
    }
    clearErrors();
    if (reply.getServerReply().getSuccess()) {
      getFollower().setSnapshotIndex(snapshot.getTermIndex().getIndex());
      LOG.info("{}: snapshot {} installed", this, snapshot);
    }
    switch (reply.getResult()) {
      case NOT_LEADER -> onFollowerTerm(reply.getTerm());
      case SUCCESS, SNAPSHOT_UNAVAILABLE, ALREADY_INSTALLED, SNAPSHOT_EXPIRED ->
          getFollower().setAttemptedToInstallSnapshot();
      default -> { }
    }
  }
}
