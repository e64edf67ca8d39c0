package dev.cairn.server;

import dev.cairn.client.internal.BlockWire;
import dev.cairn.meta.MemoryNamespace;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.NodeStatus;
import dev.cairn.proto.RegisterNode;
import dev.cairn.server.meta.ratis.RaftMeta;
import dev.cairn.proto.ClusterInfo;
import dev.cairn.proto.ClusterInfoRequest;
import dev.cairn.proto.ClusterView;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.JoinRequest;
import dev.cairn.proto.JoinResponse;
import dev.cairn.proto.MetaServiceGrpc;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import dev.cairn.server.replication.ClusterProbe;
import dev.cairn.server.replication.ClusterState;
import dev.cairn.server.replication.Healer;
import dev.cairn.server.replication.Heartbeater;
import dev.cairn.server.replication.Liveness;
import dev.cairn.server.replication.Placement;
import dev.cairn.server.replication.Scrubber;
import dev.cairn.server.rpc.Statuses;
import java.util.function.Supplier;
import dev.cairn.server.replication.ReplicationSettings;
import dev.cairn.server.rpc.BlockDataServer;
import dev.cairn.server.rpc.BlockGrpcService;
import dev.cairn.server.rpc.LeaderHints;
import dev.cairn.server.rpc.MetaGrpcService;
import dev.cairn.server.rpc.MetaWireHandler;
import dev.cairn.server.rpc.PeerChannels;
import dev.cairn.server.storage.BlockStore;
import dev.cairn.server.storage.FileBlockStore;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Cairn server: a voter of the namespace's Raft group, a block store, and the gRPC services
 * clients and other nodes call. {@link #start} returns once the node listens; the cluster may not
 * have a leader yet ({@link #awaitLeader}).
 *
 * <p>Data directory layout: {@code node.properties} (identity), {@code lock}, {@code raft/}
 * (Raft log and namespace snapshots), {@code blocks/}, {@code tmp/}, {@code corrupt/}.
 *
 * <p>Thread-safe.
 */
public final class CairnNode implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(CairnNode.class);
  /** Files up to this many bytes may live inline in the namespace. */
  public static final int MAX_INLINE_BYTES = 64 * 1024;

  private final NodeConfig config;
  private final NodeIdentity.Lock lock;
  private final BlockStore store;
  private final RaftMeta meta;
  private final PeerChannels peers;
  private final Server server;
  private final BlockDataServer data;
  private final ExecutorService rpcExecutor;
  private final ScheduledExecutorService maintenance;
  private final Thread scrubberThread;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile boolean closed;

  private CairnNode(
      NodeConfig config,
      NodeIdentity.Lock lock,
      BlockStore store,
      RaftMeta meta,
      PeerChannels peers,
      Server server,
      BlockDataServer data,
      ExecutorService rpcExecutor,
      ScheduledExecutorService maintenance,
      Thread scrubberThread) {
    this.config = config;
    this.lock = lock;
    this.store = store;
    this.meta = meta;
    this.peers = peers;
    this.server = server;
    this.data = data;
    this.rpcExecutor = rpcExecutor;
    this.maintenance = maintenance;
    this.scrubberThread = scrubberThread;
  }

  private static final String GRPC_LEAK_LEVEL = "io.grpc.netty.shaded.io.netty.leakDetection.level";
  private static final String RATIS_LEAK_LEVEL =
      "org.apache.ratis.thirdparty.io.netty.leakDetection.level";

  /**
   * Turns off the leak detectors of the two copies of Netty (gRPC's and Ratis's) unless a level
   * was asked for with their system property. A detector samples one buffer in 128 and records a
   * stack trace for it, which cost the leader about 2% of the machine's CPU under a stream of
   * small calls (profiled on stat); it is a debugging aid, and the test suite keeps it on.
   */
  private static void quietLeakDetectors() {
    if (System.getProperty(GRPC_LEAK_LEVEL) == null) {
      io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.setLevel(
          io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
    if (System.getProperty(RATIS_LEAK_LEVEL) == null) {
      org.apache.ratis.thirdparty.io.netty.util.ResourceLeakDetector.setLevel(
          org.apache.ratis.thirdparty.io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
  }

  /**
   * Starts a node. Fails with {@link IllegalStateException} if the data directory belongs to
   * another node id or another cluster, or is in use by another process.
   */
  public static CairnNode start(NodeConfig config) throws IOException {
    return start(config, RaftMeta.groupIdFor(config.peers()), false);
  }

  /**
   * Starts a node that joins a running cluster: asks the {@code seeds} (client addresses of any
   * members) for the Raft group, starts, and asks the leader to add it to the group, which makes
   * it a voter while there are fewer than five, a listener after that. A node that is a member
   * already (a restart) just starts. {@code config.peers()} is replaced by the cluster's.
   */
  public static CairnNode join(NodeConfig config, List<String> seeds) throws IOException {
    ClusterInfo info = null;
    List<String> errors = new ArrayList<>();
    try (PeerChannels channels = new PeerChannels()) {
      for (String seed : seeds) {
        try {
          ClusterInfo i = MetaServiceGrpc.newBlockingStub(channels.channel(seed))
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .getClusterInfo(ClusterInfoRequest.getDefaultInstance());
          if (i.getStatus().getCode() == ErrorCode.OK) {
            info = i;
            break;
          }
          errors.add(seed + ": " + i.getStatus().getMessage());
        } catch (RuntimeException e) {
          errors.add(seed + ": " + e.getMessage());
        }
      }
    }
    if (info == null) {
      throw new IOException("cannot join: no seed answered " + errors);
    }
    Map<String, String> peers = new LinkedHashMap<>();
    info.getVotersList().forEach(n -> peers.put(n.getId(), n.getAddress()));
    boolean member = peers.containsKey(config.id())
        || info.getListenersList().stream().anyMatch(n -> n.getId().equals(config.id()));
    peers.put(config.id(), config.listen());
    NodeConfig joined = new NodeConfig(config.id(), config.dataDir(), config.listen(), peers,
        config.blockSize(), config.replication(), config.minReplicas(), config.electionTimeout(),
        config.orphanGrace(), config.maintenanceInterval(), config.healing(),
        config.reservedBytes());
    CairnNode node = start(joined, UUID.fromString(info.getGroupId()), !member);
    if (!member) {
      try {
        node.askToJoin(seeds, peers);
      } catch (IOException | RuntimeException e) {
        node.close();
        throw e;
      }
    }
    return node;
  }

  /** Asks each known member in turn until the leader accepts this node; retried for a minute. */
  private void askToJoin(List<String> seeds, Map<String, String> peers) throws IOException {
    List<String> targets = new ArrayList<>(seeds);
    peers.values().stream().filter(a -> !targets.contains(a) && !a.equals(config.listen()))
        .forEach(targets::add);
    JoinRequest request = JoinRequest.newBuilder()
        .setNode(NodeAddress.newBuilder().setId(config.id()).setAddress(config.listen()))
        .build();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      for (String target : targets) {
        try {
          JoinResponse r = MetaServiceGrpc.newBlockingStub(peers().channel(target))
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .join(request);
          if (r.getStatus().getCode() == ErrorCode.OK) {
            log.info("node {} joined the cluster as a {}", config.id(),
                r.getVoter() ? "voter" : "listener");
            return;
          }
          last = target + ": " + r.getStatus().getMessage();
        } catch (RuntimeException e) {
          last = target + ": " + e.getMessage();
        }
      }
      try {
        Thread.sleep(500); // pacing retries while the cluster elects a leader
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while joining", e);
      }
    }
    throw new IOException("the cluster did not accept " + config.id() + ": " + last);
  }

  private PeerChannels peers() {
    return peers;
  }

  private static CairnNode start(NodeConfig config, UUID groupId, boolean joining)
      throws IOException {
    quietLeakDetectors();
    Files.createDirectories(config.dataDir());
    NodeIdentity.Lock lock = NodeIdentity.claim(config.dataDir(), config.id(), groupId);
    Clock clock = Clock.systemUTC();
    BlockStore store = null;
    RaftMeta meta = null;
    PeerChannels peers = new PeerChannels();
    ExecutorService rpcExecutor = Executors.newVirtualThreadPerTaskExecutor();
    ScheduledExecutorService maintenance = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "cairn-maintenance-" + config.id());
      t.setDaemon(true);
      return t;
    });
    try {
      store = new FileBlockStore(config.dataDir(), clock);
      MemoryNamespace namespace =
          new MemoryNamespace(config.effectiveReplication(), MAX_INLINE_BYTES);
      meta = RaftMeta.start(config, groupId, namespace, config.dataDir().resolve("raft"),
          joining);
      NodeConfig.Healing healing = config.healing();
      ClusterState cluster = new ClusterState(config.peers());
      Liveness liveness = new Liveness(healing, clock);
      Placement placement = new Placement(config.id(), cluster, clock);
      ClusterProbe probe = new ClusterProbe(cluster::addresses, peers, rpcExecutor, clock);
      Healer healer = new Healer(meta, peers, cluster, liveness, config.orphanGrace(),
          healing.copyRateBytesPerSec(), clock);
      Scrubber scrubber = new Scrubber(config.id(), store, healing.scrubRateBytesPerSec());
      ReplicationSettings settings = new ReplicationSettings(
          config.effectiveReplication(), config.effectiveMinReplicas(), config.reservedBytes());
      BlockStore theStore = store;
      RaftMeta theMeta = meta;
      Supplier<NodeStatus> status = () -> nodeStatus(config, theStore, theMeta, scrubber);
      Supplier<ClusterView> view = () -> {
        ClusterView.Builder v = ClusterView.newBuilder().setStatus(Statuses.OK)
            .setHealing(healer.progress());
        for (NodeStatus n : liveness.view(cluster.addresses())) {
          v.addNodes(n.toBuilder().setMembership(cluster.membership(n.getId())));
        }
        return v.build();
      };
      BlockGrpcService.LeaderDuties duties = new BlockGrpcService.LeaderDuties() {
        @Override
        public boolean isLeader() {
          return theMeta.isLeader();
        }

        @Override
        public void heartbeat(NodeStatus s) {
          liveness.heartbeat(s);
          cluster.learnAddress(s.getId(), s.getAddress());
        }

        @Override
        public ClusterView view() {
          return view.get();
        }
      };
      InetSocketAddress listen = NodeConfig.parseAddress(config.listen());
      BlockDataServer data;
      MetaGrpcService metaService = new MetaGrpcService(meta, clock, probe, peers, cluster,
          config.effectiveReplication(), config.orphanGrace());
      Server server = NettyServerBuilder
          .forAddress(new InetSocketAddress(listen.getHostString(), listen.getPort()))
          .executor(Runnable::run)
          .callExecutor(new ServerCallExecutorSupplier() {
            @Override
            public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
              // null keeps the call on the transport's thread.
              return NON_BLOCKING_CALLS.contains(call.getMethodDescriptor().getFullMethodName())
                  ? null
                  : rpcExecutor;
            }
          })
          .maxInboundMessageSize(PeerChannels.MAX_MESSAGE_BYTES)
          .addService(ServerInterceptors.intercept(metaService,
              new LeaderHints(theMeta::isLeader, theMeta::leaderAddress)))
          .addService(new BlockGrpcService(config.id(), store, status, duties))
          .build();
      try {
        server.start();
      } catch (IOException e) {
        throw new IOException("cannot listen on " + config.listen() + ": " + e.getMessage(), e);
      }
      try {
        data = new BlockDataServer(BlockWire.dataSocketAddress(config.listen()), config.id(),
            store, placement, settings, scrubber::quarantine, clock,
            new MetaWireHandler(metaService, theMeta::isLeader, theMeta::leaderAddress));
      } catch (IOException e) {
        server.shutdownNow();
        throw e;
      }
      registerWhenReady(meta, config, maintenance, clock);
      long beat = healing.heartbeatInterval().toMillis();
      Heartbeater heartbeater =
          new Heartbeater(config.id(), meta, peers, cluster, liveness, status, view);
      maintenance.scheduleWithFixedDelay(heartbeater, 0, beat, TimeUnit.MILLISECONDS);
      meta.onLeaderChange(() -> heartbeater.leaderChanged(maintenance, beat));
      long every = config.maintenanceInterval().toMillis();
      maintenance.scheduleWithFixedDelay(healer, every, every, TimeUnit.MILLISECONDS);
      Thread scrubberThread = null;
      if (healing.scrubRateBytesPerSec() > 0) {
        scrubberThread = new Thread(scrubber, "cairn-scrubber-" + config.id());
        scrubberThread.setDaemon(true);
        scrubberThread.start();
      }
      log.info("node {} listening on {} (raft {}, block data {}), data in {}", config.id(),
          config.listen(), NodeConfig.raftAddress(config.listen()),
          BlockWire.dataAddress(config.listen()), config.dataDir());
      return new CairnNode(config, lock, store, meta, peers, server, data, rpcExecutor,
          maintenance, scrubberThread);
    } catch (IOException | RuntimeException e) {
      maintenance.shutdownNow();
      closeQuietly(meta);
      closeQuietly(store);
      peers.close();
      rpcExecutor.shutdownNow();
      lock.close();
      throw e;
    }
  }

  /**
   * Namespace calls whose handlers never block: they only hand the request to Raft. The server's
   * own executor runs tasks in place, so these run on the transport's thread from method lookup
   * to answer, with no hand-off to another thread; every other call (block streams, disk I/O,
   * calls that wait on the cluster) moves to a virtual thread of its own before its handler
   * starts.
   */
  private static final Set<String> NON_BLOCKING_CALLS = Set.of(
      MetaServiceGrpc.getStatMethod().getFullMethodName(),
      MetaServiceGrpc.getLookupMethod().getFullMethodName(),
      MetaServiceGrpc.getListMethod().getFullMethodName(),
      MetaServiceGrpc.getMkdirMethod().getFullMethodName(),
      MetaServiceGrpc.getCommitMethod().getFullMethodName(),
      MetaServiceGrpc.getDeleteMethod().getFullMethodName(),
      MetaServiceGrpc.getRenameMethod().getFullMethodName());

  /**
   * Records this node's address in the namespace's node table (readers find replicas there), once
   * the cluster has a leader; retried every 200 ms until it succeeds, since a new cluster is ready
   * only when every node is registered.
   */
  private static void registerWhenReady(
      RaftMeta meta, NodeConfig config, ScheduledExecutorService executor, Clock clock) {
    MetaCommand command = MetaCommand.newBuilder()
        .setTimeMs(clock.millis())
        .setRegisterNode(RegisterNode.newBuilder()
            .setNode(NodeAddress.newBuilder().setId(config.id()).setAddress(config.listen())))
        .build();
    executor.execute(new Runnable() {
      @Override
      public void run() {
        try {
          meta.submit(command).get(10, TimeUnit.SECONDS);
          log.info("node {} registered at {}", config.id(), config.listen());
        } catch (Exception e) {
          if (!executor.isShutdown()) {
            executor.schedule(this, 200, TimeUnit.MILLISECONDS);
          }
        }
      }
    });
  }

  private static NodeStatus nodeStatus(
      NodeConfig config, BlockStore store, RaftMeta meta, Scrubber scrubber) {
    long free;
    try {
      free = store.bytesFree();
    } catch (IOException e) {
      free = -1;
    }
    String leader = meta.leaderId();
    return NodeStatus.newBuilder()
        .setId(config.id())
        .setAddress(config.listen())
        .setUp(true)
        .setRaftRole(meta.role())
        .setLeaderId(leader == null ? "" : leader)
        .setAppliedIndex(meta.appliedIndex())
        .setBlocks(store.blockCount())
        .setBytesUsed(store.bytesUsed())
        .setBytesFree(free)
        .setFull(free >= 0 && free < config.reservedBytes())
        .setCorruptBlocksFound(scrubber.corruptFound())
        .setScrubbedBytes(scrubber.scrubbedBytes())
        .setScrubPasses(scrubber.passes())
        .build();
  }

  public String id() {
    return config.id();
  }

  /** host:port of the client service. */
  public String address() {
    return config.listen();
  }

  public NodeConfig config() {
    return config;
  }

  public boolean isLeader() {
    return meta.isLeader();
  }

  /** The index of the last namespace entry this node has applied. */
  public long appliedIndex() {
    return meta.appliedIndex();
  }

  /** The first namespace entry this node's Raft log still holds; see {@link RaftMeta}. */
  public long logStartIndex() throws IOException {
    return meta.logStartIndex();
  }

  /** The leader this node knows of, or null. */
  public String leaderId() {
    return meta.leaderId();
  }

  /** Waits until this node knows a leader that is ready to serve; false on timeout. */
  public boolean awaitLeader(Duration timeout) throws InterruptedException {
    return meta.awaitLeader(timeout);
  }

  /** Blocks until {@link #close} is called (for the `cairn server` command). */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /**
   * Stops the node abruptly, as a crash would: no snapshot, no goodbye to peers. What was
   * acknowledged is on disk already; what was in flight is lost. For tests.
   */
  public void kill() {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdownNow();
    data.close(0);
    maintenance.shutdownNow();
    stopScrubber();
    try {
      meta.kill();
    } catch (IOException | RuntimeException e) {
      log.warn("error while stopping the Raft server: {}", e.toString());
    }
    closeQuietly(store);
    peers.close();
    rpcExecutor.shutdownNow();
    lock.close();
    terminated.countDown();
  }

  /** Stops the node gracefully: in-flight calls get a moment to finish. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    maintenance.shutdownNow();
    stopScrubber();
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    data.close(5_000);
    closeQuietly(meta);
    closeQuietly(store);
    peers.close();
    rpcExecutor.shutdownNow();
    lock.close();
    terminated.countDown();
    log.info("node {} stopped", config.id());
  }

  private void stopScrubber() {
    if (scrubberThread != null) {
      scrubberThread.interrupt();
    }
  }

  private static void closeQuietly(Closeable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      log.warn("error while closing {}: {}", c.getClass().getSimpleName(), e.toString());
    }
  }
}
