package dev.cairn.server.meta.ratis;

import dev.cairn.meta.Namespace;
import dev.cairn.proto.MetaBatchResult;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaQuery;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.MetaResult;
import dev.cairn.server.DeferredFlush;
import dev.cairn.server.NodeConfig;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.TimeDuration;

/**
 * The namespace replicated by Apache Ratis: this node's Raft peer, and a Raft client through which
 * a node that does not lead sends commands, and queries as log entries, to the leader. On the
 * leader, commands and queries go straight to the local Raft server, in process: no RPC, no
 * serialization, which is most of the cost of a small commit or a stat. All of Ratis stays behind
 * this class and {@link NamespaceStateMachine}.
 *
 * <p>Thread-safe.
 */
public final class RaftMeta implements Closeable {
  /** More voters make commits slower without making the namespace safer in practice. */
  public static final int MAX_VOTERS = 5;

  /**
   * System property: the fewest log entries between namespace snapshots (default 20,000); past
   * that, a snapshot waits until the log since the last one is as large as it (see {@link
   * NamespaceStateMachine#worthASnapshot}).
   */
  public static final String SNAPSHOT_THRESHOLD_KEY = "cairn.meta.snapshot-threshold";

  /** The size of a Raft log segment file. */
  private static final long LOG_SEGMENT_BYTES = 8L << 20;

  private final RaftServer server;
  private final NamespaceStateMachine stateMachine;
  private final RaftProperties properties;
  private volatile RaftClient client;
  private volatile RaftClientAsynchronousProtocol submitter;
  // Ratis's blocking calls, one virtual thread each: requests stay independent of one another,
  // where the ordered async API would hold every later request behind a slow or failed one.
  private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
  private final RaftGroup group;
  private final RaftPeerId selfId;
  // Requests handed to the local server carry this node's own client id: Ratis's retry cache keys
  // on (client id, call id), and exactly-once across retries is Cairn's request ids' job anyway.
  private final ClientId localClientId = ClientId.randomId();
  private final AtomicLong localCallIds = new AtomicLong();

  // Group commit: while an entry is being replicated, new commands wait in the queue, and the
  // next entry carries all of them. One writer alone never waits; many share one append, one
  // replication round and one fsync on each voter. Measured with 8 and 32 writers, one entry in
  // flight gave larger batches and more commits per second than two, since the machine's CPU,
  // not the disk, was the limit. Guarded by the queue's lock.
  private static final int MAX_ENTRIES_IN_FLIGHT = 1;
  private static final long MAX_BATCH_BYTES = 4 << 20;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private int entriesInFlight;
  // After an entry is answered, the next one lingers for as many commands as the last one
  // carried plus those queued: the callers just answered usually send their next command within a
  // round trip, and without the wait each entry took only the part of the writers that happened to
  // queue while the last was in flight (8 renamers: entries of 3.7 commands). A lone writer is not
  // held up: its next command meets the target at once. The linger is looked at every
  // LINGER_NANOS and goes on, up to MAX_LINGER_TICKS of them, only while it pays: while the
  // commands that came in the last tick, as a share of those waiting, exceed the tick as a share
  // of a whole cycle (the last entry's round trip plus the linger so far). A fixed wait could not
  // serve both kinds of load: on 3 fresh local nodes, warm 8-thread renames ran at 2,880/s
  // without a linger, 3,490 at 150 us and 4,470 at 300 us, while 32-thread 4 KiB writes ran at
  // 4,310, 4,730 and 3,870 (at 300 us the wait for the last of 32 callers cost more than the
  // larger entries gained).
  private static final long LINGER_NANOS =
      Long.getLong("cairn.commit.linger.micros", 150) * 1_000;
  private static final int MAX_LINGER_TICKS =
      Math.max(1, Integer.getInteger("cairn.commit.linger.max-ticks", 4));
  private boolean lingering;
  private int lingerTarget;
  private long lingerGeneration;
  private long lingerStartNanos;
  private int lingerTicks;
  private int queuedAtLastTick;
  // From proposing the last entry to its answer; written only as an entry is answered.
  private volatile long lastEntryNanos;
  private final java.util.concurrent.ScheduledExecutorService lingerTimer =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cairn-commit-linger");
        t.setDaemon(true);
        return t;
      });

  private RaftMeta(RaftServer server, RaftClient client, RaftGroup group, RaftPeerId selfId,
      RaftProperties properties, NamespaceStateMachine stateMachine) {
    this.stateMachine = stateMachine;
    this.properties = properties;
    this.server = server;
    this.client = client;
    this.group = group;
    this.selfId = selfId;
  }

  /**
   * The Raft group id of a cluster, derived from its founding members so that every node computes
   * the same one without talking to the others.
   */
  public static UUID groupIdFor(Map<String, String> peers) {
    List<String> entries = new ArrayList<>();
    peers.forEach((id, address) -> entries.add(id + "=" + address));
    entries.sort(null);
    return UUID.nameUUIDFromBytes(
        ("cairn-namespace:" + String.join(",", entries)).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Starts this node's Raft peer over the namespace; state lives under {@code raftDir}.
   *
   * @param joining true for a node joining a running cluster: its Raft server starts with no
   *     configuration of its own and waits for the leader to add it ({@link #addPeer}), so it
   *     never campaigns with a membership the others do not share
   */
  public static RaftMeta start(NodeConfig config, UUID groupId, Namespace namespace, Path raftDir,
      boolean joining) throws IOException {
    List<RaftPeer> peers = new ArrayList<>();
    config.peers().forEach((id, address) -> peers.add(peer(id, address)));
    RaftGroup group = RaftGroup.valueOf(RaftGroupId.valueOf(groupId), peers);
    RaftGroup serverGroup = joining ? RaftGroup.valueOf(group.getGroupId()) : group;
    RaftPeerId selfId = RaftPeerId.valueOf(config.id());

    RaftProperties p = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(p, List.of(raftDir.toFile()));
    String raftAddress = NodeConfig.raftAddress(config.listen());
    int colon = raftAddress.lastIndexOf(':');
    // Cairn's own Raft transport (CairnRaftRpc): Ratis's Netty messages on plain sockets, with a
    // leader that pipelines its appends and sends new entries from the proposing thread; see
    // docs/architecture.md. It listens where the Netty server would, and, like it, cannot answer
    // a follower's read-index request, so no linearizable read is sent to a follower: see query().
    RaftConfigKeys.Rpc.setType(p, new CairnRaftRpc());
    NettyConfigKeys.Server.setHost(p, raftAddress.substring(0, colon));
    NettyConfigKeys.Server.setPort(p, Integer.parseInt(raftAddress.substring(colon + 1)));
    // Linearizable reads: the leader confirms its leadership (ReadIndex) before answering.
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    // With a lease the leader answers reads without a heartbeat round while it has heard from a
    // majority within 90% of the minimum election timeout: no other leader can exist by then,
    // assuming clocks run at about the same rate.
    p.set("raft.server.read.leader.lease.enabled", "true");
    long electionMs = config.electionTimeout().toMillis();
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(electionMs, TimeUnit.MILLISECONDS));
    // A follower sleeps one random timeout, then stands only if the leader has been silent for
    // that long; a leader that dies mid-sleep is therefore noticed after the rest of that sleep
    // plus a whole next one. With a maximum of twice the minimum the first follower stood 1.6-1.8
    // s after a leader died, and clients stalled over 2 s; a third above the minimum keeps the
    // randomness that separates the followers' candidacies, and stalls fell to 1.2-1.9 s. The
    // minimum, the silence a leader must keep before anyone stands, is unchanged.
    RaftServerConfigKeys.Rpc.setTimeoutMax(
        p, TimeDuration.valueOf(electionMs * 4 / 3, TimeUnit.MILLISECONDS));
    // A fresh cluster has no leader to lose: its first election need not wait a full timeout.
    // Nodes that start together and stand at once split the vote, and a whole further round is
    // lost, so the first election after a start is staggered by rank (see firstElectionWindow).
    long[] first = firstElectionWindow(config.id(), config.peers().keySet(), electionMs);
    p.set("raft.server.rpc.first-election.timeout.min", first[0] + "ms");
    p.set("raft.server.rpc.first-election.timeout.max", first[1] + "ms");
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    long snapshotEvery = Long.getLong(SNAPSHOT_THRESHOLD_KEY, 20_000);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, snapshotEvery);
    p.set("raft.server.log.purge.gap", String.valueOf(Math.min(1024, snapshotEvery)));
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    // Ratis's own snapshot on stop would be one more call of takeSnapshot, which only starts a
    // write in the background; a clean stop writes its own instead (NamespaceStateMachine's
    // snapshotOnStop).
    p.set("raft.server.snapshot.trigger-when-stop.enabled", "false");
    p.set("raft.server.log.segment.size.max", Long.toString(LOG_SEGMENT_BYTES));
    // The log's closed segments kept in memory: none. Every small file's bytes are in its log
    // entry, so the cache is a second copy of what the namespace holds, and each young collection
    // copies what it keeps alive. Ratis keeps the open segment (8 MiB here) and any closed one
    // that the state machine or a follower still has to read, and drops the others when a segment
    // closes. With its default of 6 (48 MB), the 3 nodes' young collections copied 606 MB during
    // a benchmark round's measured phases, against 248 MB with none (see docs/architecture.md). A
    // follower further behind is sent entries read back from the log files.
    RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 0);
    // Commit-index records would add a log write (and fsync) after every commit; without them a
    // restarted node learns the commit index from the leader, which is all Cairn needs.
    p.set("raft.server.log.log-metadata.enabled", "false");
    p.set("raft.server.log.purge.upto.snapshot.index", "true");
    // Small files travel inline in log entries, and a huge file's commit lists many blocks:
    // allow entries of several MiB (the write buffer must exceed the appender's limit).
    p.set("raft.server.log.appender.buffer.byte-limit", "8MB");
    p.set("raft.server.log.write.buffer.size", "16MB");
    // Snapshots reach a lagging follower in chunks, each one message held whole in memory on both
    // sides: 4 MiB chunks keep that bounded while a large namespace still moves in few round trips.
    p.set("raft.server.log.appender.snapshot.chunk.size.max", "4MB");
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));

    NamespaceStateMachine stateMachine = new NamespaceStateMachine(
        namespace, snapshotEvery, snapshotStretch(config.id(), config.peers().keySet()));
    RaftServer server = RaftServer.newBuilder()
        .setServerId(selfId)
        .setGroup(serverGroup)
        .setStateMachine(stateMachine)
        .setProperties(p)
        .setOption(org.apache.ratis.server.storage.RaftStorage.StartupOption.RECOVER)
        .build();
    server.start();
    return new RaftMeta(server, newClient(p, group), group, selfId, p, stateMachine);
  }

  /**
   * The range, in ms, of this node's timeout before it stands in its first election after a start.
   * The node with the lowest id stands first; the next waits two election timeouts longer, and
   * every other node four, which leaves room for a whole candidacy of the one before even when its
   * first vote requests are slow (a fresh JVM on a busy machine takes hundreds of ms to open its
   * channels and answer). If the first is down, the others stand a little later than they would
   * have. Only the first election uses this: a node that has voted, or seen a leader, goes back to
   * the randomized election timeout, so leader loss later is not affected.
   */
  public static long[] firstElectionWindow(
      String selfId, Collection<String> peerIds, long electionMs) {
    long offset = Math.min(2, rank(selfId, peerIds)) * 2 * electionMs;
    return new long[] {offset + electionMs / 3, offset + electionMs};
  }

  /**
   * This node's stretch of the namespace snapshot schedule (see {@link
   * NamespaceStateMachine#worthASnapshot}): 1 plus its rank among the ids it was started with,
   * divided by their number; 1 for an id not among them.
   */
  public static double snapshotStretch(String selfId, Collection<String> peerIds) {
    return 1 + (double) rank(selfId, peerIds) / Math.max(1, peerIds.size());
  }

  /** This node's place among the ids in their sorted order, from 0; 0 for an id not among them. */
  private static int rank(String selfId, Collection<String> peerIds) {
    List<String> ids = new ArrayList<>(peerIds);
    ids.sort(null);
    return Math.max(0, ids.indexOf(selfId));
  }

  private static RaftClient newClient(RaftProperties p, RaftGroup group) {
    return RaftClient.newBuilder()
        .setProperties(p)
        .setRaftGroup(group)
        // While a new leader is being elected, look for it every 50 ms (for 5 s): a request that
        // reached this node during a failover completes as soon as the leader is ready, not up to
        // a quarter of a second later.
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
            100, TimeDuration.valueOf(50, TimeUnit.MILLISECONDS)))
        .build();
  }

  /** Sends one request on a virtual thread; a client Ratis has closed is replaced. */
  private <T> CompletableFuture<T> call(RaftRequest request, Parser<T> parser) {
    return CompletableFuture.supplyAsync(() -> {
      RaftClient c = client;
      try {
        RaftClientReply reply = request.send(c);
        checkReply(reply);
        return parse(reply, parser);
      } catch (IOException e) {
        if (e instanceof AlreadyClosedException || e.getCause() instanceof AlreadyClosedException) {
          replaceClient(c);
        }
        throw new MetaUnavailableException("namespace unavailable: " + e.getMessage(), e);
      }
    }, callers);
  }

  private interface RaftRequest {
    RaftClientReply send(RaftClient client) throws IOException;
  }

  private synchronized void replaceClient(RaftClient closed) {
    if (client == closed && !callers.isShutdown()) {
      client = newClient(properties, group);
      try {
        closed.close();
      } catch (IOException e) {
        // It was closed already.
      }
    }
  }

  /**
   * Proposes a command and returns its result once it is committed on a majority and applied.
   *
   * @throws MetaUnavailableException if no leader accepted it in time; it may still be applied
   *     later, so the caller retries with the same request id
   */
  public CompletableFuture<MetaResult> submit(MetaCommand command) {
    if (!isLeader()) {
      return forward(command);
    }
    Pending pending = new Pending(command, command.getSerializedSize());
    List<Pending> batch = null;
    synchronized (queue) {
      queue.add(pending);
      if (lingering) {
        if (queue.size() >= lingerTarget) {
          lingering = false;
          batch = takeBatch(); // the entry slot is held by the linger
        }
      } else if (entriesInFlight < MAX_ENTRIES_IN_FLIGHT) {
        entriesInFlight++;
        batch = takeBatch();
      }
    }
    if (batch != null) {
      propose(batch);
    }
    return pending.result;
  }

  /** A command waiting to be proposed, and its caller's future. */
  private record Pending(MetaCommand command, int bytes, CompletableFuture<MetaResult> result) {
    Pending(MetaCommand command, int bytes) {
      this(command, bytes, new CompletableFuture<>());
    }
  }

  /** Takes the commands for one log entry off the queue; called holding its lock. */
  private List<Pending> takeBatch() {
    List<Pending> batch = new ArrayList<>(Math.min(queue.size(), NamespaceStateMachine.MAX_BATCH));
    long bytes = 0;
    while (!queue.isEmpty() && batch.size() < NamespaceStateMachine.MAX_BATCH) {
      Pending next = queue.peek();
      if (!batch.isEmpty() && bytes + next.bytes() > MAX_BATCH_BYTES) {
        break;
      }
      batch.add(queue.poll());
      bytes += next.bytes();
    }
    return batch;
  }

  /**
   * Proposes one log entry: the command alone, or a {@link dev.cairn.proto.MetaBatch} of several.
   * Once Raft has answered, the next entry is started before this entry's callers are answered:
   * whatever queued up meanwhile goes out at once if it meets the linger's target, else when enough
   * commands have come or the linger is over (see {@link #proposeNext}).
   */
  private void propose(List<Pending> batch) {
    try {
      send(batch);
    } catch (RuntimeException e) {
      // Whatever went wrong, the queue must move on: a proposer that never finishes would leave
      // every later command waiting.
      proposeNext(0);
      batch.forEach(p -> p.result().completeExceptionally(e));
    }
  }

  /**
   * Proposes what waits in the queue, or notes that no entry is in flight any more; {@code
   * answered} is the number of commands of the entry just finished, whose callers may come back.
   */
  private void proposeNext(int answered) {
    List<Pending> next = null;
    synchronized (queue) {
      int target = Math.min(NamespaceStateMachine.MAX_BATCH, queue.size() + answered);
      // Lingering for one command while none waits is what a free slot does already (the next
      // command goes out as it comes), without a timer to wake: a lone writer's case.
      boolean lingerForOne = target == 1 && queue.isEmpty();
      if (LINGER_NANOS > 0 && queue.size() < target && !lingerForOne) {
        lingering = true;
        lingerTarget = target;
        lingerStartNanos = System.nanoTime();
        lingerTicks = 0;
        queuedAtLastTick = queue.size();
        scheduleLingerTick(++lingerGeneration);
      } else {
        next = takeBatchOrFreeSlot();
      }
    }
    if (next != null) {
      propose(next);
    }
  }

  private void scheduleLingerTick(long generation) {
    lingerTicks++;
    lingerTimer.schedule(() -> lingerTick(generation), LINGER_NANOS, TimeUnit.NANOSECONDS);
  }

  /**
   * The next batch, or null with the entry slot given back when nothing waits; called holding
   * the queue's lock.
   */
  private List<Pending> takeBatchOrFreeSlot() {
    if (queue.isEmpty()) {
      entriesInFlight--;
      return null;
    }
    return takeBatch();
  }

  /**
   * Ends the linger, or lets it go on for another tick while the commands still coming in are
   * worth the wait (see {@link #LINGER_NANOS}).
   */
  private void lingerTick(long generation) {
    List<Pending> next = null;
    synchronized (queue) {
      if (!lingering || generation != lingerGeneration) {
        return;
      }
      int waiting = queue.size();
      long arrived = waiting - queuedAtLastTick;
      long cycleNanos = lastEntryNanos + (System.nanoTime() - lingerStartNanos);
      if (lingerTicks < MAX_LINGER_TICKS
          && lingerPays(arrived, waiting, cycleNanos, LINGER_NANOS)) {
        queuedAtLastTick = waiting;
        scheduleLingerTick(generation);
        return;
      }
      lingering = false;
      next = takeBatchOrFreeSlot();
    }
    if (next != null) {
      propose(next);
    }
  }

  /**
   * Whether one more tick of linger should pay for itself: true when the commands that came in
   * the last tick, as a share of the {@code waiting} ones, exceed the tick as a share of the whole
   * cycle, so that the entry's larger size is likely to outweigh the longer cycle. None waiting,
   * or none coming, ends it.
   */
  public static boolean lingerPays(long arrived, long waiting, long cycleNanos, long tickNanos) {
    return arrived > 0 && arrived * cycleNanos > waiting * tickNanos;
  }

  private void send(List<Pending> batch) {
    long sentNanos = System.nanoTime();
    if (batch.size() == 1) {
      Pending only = batch.get(0);
      Message message = NamespaceStateMachine.message(only.command().toByteArray());
      onLeader(RaftClientRequest.writeRequestType(), message, RESULT,
              () -> forward(only.command()))
          .whenComplete((result, error) -> {
            noteRoundTrip(sentNanos);
            proposeNext(1);
            complete(only.result(), result, error);
          });
      return;
    }
    MetaCommand.Builder entry = MetaCommand.newBuilder();
    dev.cairn.proto.MetaBatch.Builder commands = entry.getBatchBuilder();
    batch.forEach(p -> commands.addCommands(p.command()));
    Message message = NamespaceStateMachine.message(entry.build().toByteArray());
    onLeader(RaftClientRequest.writeRequestType(), message, BATCH_RESULT,
            () -> CompletableFuture.completedFuture(null))
        .whenComplete((results, error) -> {
          noteRoundTrip(sentNanos);
          proposeNext(batch.size());
          if (results == null && error == null) {
            // Leadership moved before the entry was taken: each command finds the new leader.
            batch.forEach(p -> forward(p.command()).whenComplete(
                (r, e) -> complete(p.result(), r, e)));
          } else if (error == null && results.getResultsCount() != batch.size()) {
            batch.forEach(p -> p.result().completeExceptionally(new MetaUnavailableException(
                "the namespace answered a batch of " + batch.size() + " commands with "
                    + results.getResultsCount() + " results", null)));
          } else {
            // The callers that share a connection get their answers in one write.
            try (DeferredFlush answers = DeferredFlush.open()) {
              for (int i = 0; i < batch.size(); i++) {
                complete(batch.get(i).result(), error == null ? results.getResults(i) : null,
                    error);
              }
            }
          }
        });
  }

  private void noteRoundTrip(long sentNanos) {
    lastEntryNanos = System.nanoTime() - sentNanos;
  }

  private static void complete(CompletableFuture<MetaResult> future, MetaResult result,
      Throwable error) {
    if (error != null) {
      future.completeExceptionally(error);
    } else {
      future.complete(result);
    }
  }

  /** Sends a command to the leader through the Raft client. */
  private CompletableFuture<MetaResult> forward(MetaCommand command) {
    Message message = NamespaceStateMachine.message(command.toByteArray());
    return call(c -> c.io().send(message), RESULT);
  }

  /**
   * Answers a query linearizably: on the leader while its lease holds (or after a ReadIndex
   * round); elsewhere as an entry of the log, which the leader answers once it is committed. A
   * read-only request is never sent to another node: one that reached a follower would ask the
   * leader for a read index, which Ratis's Netty server cannot answer, and so would wait out the
   * Raft client's timeout. A node reads this way only until its clients have moved to the leader,
   * which every answer names.
   */
  public CompletableFuture<MetaQueryResult> query(MetaQuery query) {
    Message message = new NamespaceStateMachine.Local(query);
    return onLeader(RaftClientRequest.readRequestType(), message, QUERY_RESULT, () -> {
      Message read = NamespaceStateMachine.message(
          MetaCommand.newBuilder().setRead(query).build().toByteArray());
      return call(c -> c.io().send(read), QUERY_RESULT);
    });
  }

  /**
   * Hands a request to the local Raft server when this node leads; otherwise, or when leadership
   * moved meanwhile (the local server then refuses it before it enters the log), sends it through
   * the Raft client, which finds the leader.
   */
  private <T> CompletableFuture<T> onLeader(RaftClientRequest.Type type, Message message,
      Parser<T> parser, Supplier<CompletableFuture<T>> elsewhere) {
    if (!isLeader()) {
      return elsewhere.get();
    }
    RaftClientRequest request = RaftClientRequest.newBuilder()
        .setClientId(localClientId)
        .setServerId(selfId)
        .setGroupId(group.getGroupId())
        .setCallId(localCallIds.incrementAndGet())
        .setMessage(message)
        .setType(type)
        .build();
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = type.isReadOnly()
          ? submitter().submitClientRequestAsync(request)
          : submitWrite(request);
    } catch (IOException e) {
      return elsewhere.get();
    }
    // The reply is finished on the thread that completes it: this one for a read the leader's
    // lease answers, else the Ratis thread that applied the entry or saw the read index. What
    // follows is cheap (wake the callers, send the next entry), and a hand-off to another thread
    // cost a wake-up per entry, which on a busy machine waits its turn for a CPU.
    CompletableFuture<RaftClientReply> settled = reply.handle((r, error) -> r);
    return settled.thenCompose(r -> {
      if (r == null || r.getNotLeaderException() != null
          || r.getException() instanceof LeaderNotReadyException) {
        return elsewhere.get();
      }
      checkReply(r);
      return CompletableFuture.completedFuture(parse(r, parser));
    });
  }

  /**
   * Hands a write to the local Raft server and sends the new entry to the followers from this
   * thread (see {@link PipelinedLogAppender#sendingFromProposer}).
   */
  private CompletableFuture<RaftClientReply> submitWrite(RaftClientRequest request)
      throws IOException {
    RaftClientAsynchronousProtocol submitter = submitter();
    try {
      return PipelinedLogAppender.sendingFromProposer(() -> {
        try {
          return submitter.submitClientRequestAsync(request);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * Where this node's own requests enter Ratis: its Raft division itself where it can be had. The
   * server's own entry point first hands every request to a thread of its client pool and waits
   * for it there, a hop that cost a thread wake-up and tens of microseconds of CPU per entry.
   */
  private RaftClientAsynchronousProtocol submitter() throws IOException {
    RaftClientAsynchronousProtocol s = submitter;
    if (s == null) {
      RaftServer.Division division = server.getDivision(group.getGroupId());
      s = division instanceof RaftClientAsynchronousProtocol direct ? direct : server;
      submitter = s;
    }
    return s;
  }

  private static RaftPeer peer(String id, String clientAddress) {
    return RaftPeer.newBuilder()
        .setId(id)
        .setAddress(NodeConfig.raftAddress(clientAddress))
        .build();
  }

  /** The Raft group's id. */
  public String groupId() {
    return group.getGroupId().getUuid().toString();
  }

  /** Voters (true) or listeners (false) of the current configuration: id to client address. */
  public Map<String, String> members(boolean voters) throws IOException {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (RaftPeer p : server.getDivision(group.getGroupId()).getRaftConf().getCurrentPeers(
        voters ? RaftPeerRole.FOLLOWER : RaftPeerRole.LISTENER)) {
      out.put(p.getId().toString(), NodeConfig.clientAddressOfRaft(p.getAddress()));
    }
    return out;
  }

  /**
   * Adds a node to the Raft group through a membership change (the leader catches it up first):
   * as a voter while the group has fewer than five, as a listener after that. Idempotent.
   *
   * @return true if the node is a voter
   */
  public boolean addPeer(String id, String clientAddress) throws IOException {
    Map<String, String> voters = members(true);
    Map<String, String> listeners = members(false);
    if (voters.containsKey(id)) {
      return true;
    }
    if (listeners.containsKey(id)) {
      return false;
    }
    boolean voter = voters.size() < MAX_VOTERS;
    (voter ? voters : listeners).put(id, clientAddress);
    setConfiguration(voters, listeners);
    return voter;
  }

  /**
   * Removes a node from the Raft group; if that leaves fewer than three voters, a listener is
   * promoted to take its place.
   */
  public void removePeer(String id) throws IOException {
    Map<String, String> voters = members(true);
    Map<String, String> listeners = members(false);
    if (voters.remove(id) == null && listeners.remove(id) == null) {
      return;
    }
    if (voters.size() < 3 && !listeners.isEmpty()) {
      String promoted = listeners.keySet().iterator().next();
      voters.put(promoted, listeners.remove(promoted));
    }
    setConfiguration(voters, listeners);
  }

  private void setConfiguration(Map<String, String> voters, Map<String, String> listeners)
      throws IOException {
    List<RaftPeer> v = new ArrayList<>();
    voters.forEach((i, a) -> v.add(peer(i, a)));
    List<RaftPeer> l = new ArrayList<>();
    listeners.forEach((i, a) -> l.add(peer(i, a)));
    RaftClientReply reply = client.admin().setConfiguration(v, l);
    if (!reply.isSuccess()) {
      throw new IOException("Raft membership change failed: " + reply.getException());
    }
  }

  /**
   * How a reply's content becomes a {@code T}: taken as it is when the reply came from this
   * process's own Raft server (see {@link NamespaceStateMachine.Local}), parsed from its bytes
   * when it came through the Raft client.
   */
  private record Parser<T>(Class<T> type, BytesParser<T> bytes) {}

  private interface BytesParser<T> {
    T parse(byte[] bytes) throws IOException;
  }

  private static final Parser<MetaResult> RESULT =
      new Parser<>(MetaResult.class, MetaResult::parseFrom);
  private static final Parser<MetaBatchResult> BATCH_RESULT =
      new Parser<>(MetaBatchResult.class, MetaBatchResult::parseFrom);
  private static final Parser<MetaQueryResult> QUERY_RESULT =
      new Parser<>(MetaQueryResult.class, MetaQueryResult::parseFrom);

  private static <T> T parse(RaftClientReply reply, Parser<T> parser) {
    if (reply.getMessage() instanceof NamespaceStateMachine.Local local
        && parser.type().isInstance(local.value())) {
      return parser.type().cast(local.value());
    }
    try {
      return parser.bytes().parse(reply.getMessage().getContent().toByteArray());
    } catch (IOException e) {
      throw new MetaUnavailableException("unreadable reply from the namespace", e);
    }
  }

  private static void checkReply(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      Exception e = reply.getException();
      throw new MetaUnavailableException(
          "namespace unavailable: " + (e == null ? "no reason given" : e.getMessage()), e);
    }
  }

  private DivisionInfo info() throws IOException {
    return server.getDivision(group.getGroupId()).getInfo();
  }

  public boolean isLeader() {
    try {
      return info().isLeader() && info().isLeaderReady();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Runs {@code listener} when this node learns of a new leader, and when it becomes leader and is
   * ready to serve (its first entry of the term committed). It runs on a Raft thread: it must hand
   * any work to a thread of its own and return.
   */
  public void onLeaderChange(Runnable listener) {
    stateMachine.onLeaderChange(listener);
  }

  /** The leader this node knows of, or null. */
  public String leaderId() {
    try {
      RaftPeerId leader = info().getLeaderId();
      return leader == null ? null : leader.toString();
    } catch (IOException e) {
      return null;
    }
  }

  /** The client address of the leader this node knows of, or null. */
  public String leaderAddress() {
    try {
      RaftPeerId leader = info().getLeaderId();
      if (leader == null) {
        return null;
      }
      RaftPeer peer = server.getDivision(group.getGroupId()).getRaftConf().getPeer(leader);
      return peer == null ? null : NodeConfig.clientAddressOfRaft(peer.getAddress());
    } catch (IOException e) {
      return null;
    }
  }

  /** LEADER, FOLLOWER, CANDIDATE, LISTENER, or UNKNOWN. */
  public String role() {
    try {
      return info().getCurrentRole().name();
    } catch (IOException e) {
      return "UNKNOWN";
    }
  }

  /**
   * The first entry this node's Raft log still holds: those before it are in a snapshot and were
   * deleted from the log. 0 or 1 until the first snapshot is taken and the log purged behind it.
   */
  public long logStartIndex() throws IOException {
    return server.getDivision(group.getGroupId()).getRaftLog().getStartIndex();
  }

  public long appliedIndex() {
    try {
      return info().getLastAppliedIndex();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Waits until a leader is known and ready to serve, as seen from this node. */
  public boolean awaitLeader(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (leaderId() != null && (isLeader() || !"CANDIDATE".equals(role()))) {
        // A follower that knows a leader has heard from it in the current term.
        if (isLeader() || appliedIndex() >= 0) {
          return true;
        }
      }
      Thread.sleep(20); // polling a local flag, not waiting for a result
    }
    return false;
  }

  public String selfId() {
    return selfId.toString();
  }

  /**
   * Closes as a crash would leave things, for tests: the namespace writes no snapshot on the way
   * out (a clean close may, see NamespaceStateMachine), so the next start replays the log.
   */
  public void kill() throws IOException {
    stateMachine.skipSnapshotOnStop();
    close();
  }

  @Override
  public void close() throws IOException {
    callers.shutdownNow();
    lingerTimer.shutdownNow();
    try {
      client.close();
    } finally {
      server.close();
    }
  }

  /** The namespace could not be reached: no leader, or the leader did not answer in time. */
  public static final class MetaUnavailableException extends RuntimeException {
    MetaUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
