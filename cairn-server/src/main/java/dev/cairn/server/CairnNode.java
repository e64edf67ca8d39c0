package dev.cairn.server;

import dev.cairn.meta.MemoryNamespace;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.NodeStatus;
import dev.cairn.proto.RegisterNode;
import dev.cairn.server.meta.ratis.RaftMeta;
import dev.cairn.server.replication.ClusterProbe;
import dev.cairn.server.replication.Healer;
import dev.cairn.server.replication.Placement;
import dev.cairn.server.replication.ReplicationSettings;
import dev.cairn.server.rpc.BlockGrpcService;
import dev.cairn.server.rpc.MetaGrpcService;
import dev.cairn.server.rpc.PeerChannels;
import dev.cairn.server.storage.BlockStore;
import dev.cairn.server.storage.FileBlockStore;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
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
  /** A node keeps refusing new blocks while it has less free space than this. */
  private static final long FREE_SPACE_FLOOR = 64L * 1024 * 1024;
  /** Files up to this many bytes may live inline in the namespace. */
  public static final int MAX_INLINE_BYTES = 64 * 1024;

  private final NodeConfig config;
  private final NodeIdentity.Lock lock;
  private final BlockStore store;
  private final RaftMeta meta;
  private final PeerChannels peers;
  private final Server server;
  private final ExecutorService rpcExecutor;
  private final ScheduledExecutorService maintenance;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile boolean closed;

  private CairnNode(
      NodeConfig config,
      NodeIdentity.Lock lock,
      BlockStore store,
      RaftMeta meta,
      PeerChannels peers,
      Server server,
      ExecutorService rpcExecutor,
      ScheduledExecutorService maintenance) {
    this.config = config;
    this.lock = lock;
    this.store = store;
    this.meta = meta;
    this.peers = peers;
    this.server = server;
    this.rpcExecutor = rpcExecutor;
    this.maintenance = maintenance;
  }

  /**
   * Starts a node. Fails with {@link IllegalStateException} if the data directory belongs to
   * another node id or another cluster, or is in use by another process.
   */
  public static CairnNode start(NodeConfig config) throws IOException {
    Files.createDirectories(config.dataDir());
    UUID groupId = RaftMeta.groupIdFor(config.peers());
    NodeIdentity.Lock lock = NodeIdentity.claim(config.dataDir(), config.id(), groupId);
    Clock clock = Clock.systemUTC();
    BlockStore store = null;
    RaftMeta meta = null;
    PeerChannels peers = new PeerChannels();
    ExecutorService rpcExecutor = Executors.newVirtualThreadPerTaskExecutor();
    try {
      store = new FileBlockStore(config.dataDir(), clock);
      MemoryNamespace namespace =
          new MemoryNamespace(config.effectiveReplication(), MAX_INLINE_BYTES);
      meta = RaftMeta.start(config, groupId, namespace, config.dataDir().resolve("raft"));
      Map<String, String> members = Map.copyOf(config.peers());
      Placement placement = new Placement(config.id(), () -> members, clock);
      ClusterProbe probe = new ClusterProbe(() -> members, peers, rpcExecutor, clock);
      ReplicationSettings settings = new ReplicationSettings(
          config.effectiveReplication(), config.effectiveMinReplicas(), FREE_SPACE_FLOOR);
      BlockStore theStore = store;
      RaftMeta theMeta = meta;
      InetSocketAddress listen = NodeConfig.parseAddress(config.listen());
      Server server = NettyServerBuilder
          .forAddress(new InetSocketAddress(listen.getHostString(), listen.getPort()))
          .executor(rpcExecutor)
          .maxInboundMessageSize(PeerChannels.MAX_MESSAGE_BYTES)
          .addService(new MetaGrpcService(meta, clock, probe, config.effectiveReplication()))
          .addService(new BlockGrpcService(config.id(), store, peers, placement, settings,
              () -> nodeStatus(config, theStore, theMeta)))
          .build();
      try {
        server.start();
      } catch (IOException e) {
        throw new IOException("cannot listen on " + config.listen() + ": " + e.getMessage(), e);
      }
      ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cairn-healer-" + config.id());
        t.setDaemon(true);
        return t;
      });
      registerWhenReady(meta, config, maintenance, clock);
      Healer healer = new Healer(meta, peers, () -> members, config.orphanGrace(), clock);
      long every = config.maintenanceInterval().toMillis();
      maintenance.scheduleWithFixedDelay(healer, every, every, TimeUnit.MILLISECONDS);
      log.info("node {} listening on {} (raft {}), data in {}", config.id(), config.listen(),
          NodeConfig.raftAddress(config.listen()), config.dataDir());
      return new CairnNode(config, lock, store, meta, peers, server, rpcExecutor, maintenance);
    } catch (IOException | RuntimeException e) {
      closeQuietly(meta);
      closeQuietly(store);
      peers.close();
      rpcExecutor.shutdownNow();
      lock.close();
      throw e;
    }
  }

  /**
   * Records this node's address in the namespace's node table (readers find replicas there), once
   * the cluster has a leader; retried every second until it succeeds.
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
            executor.schedule(this, 1, TimeUnit.SECONDS);
          }
        }
      }
    });
  }

  private static NodeStatus.Builder nodeStatus(NodeConfig config, BlockStore store, RaftMeta meta) {
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
        .setBytesFree(free);
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
    maintenance.shutdownNow();
    closeQuietly(meta);
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
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    closeQuietly(meta);
    closeQuietly(store);
    peers.close();
    rpcExecutor.shutdownNow();
    lock.close();
    terminated.countDown();
    log.info("node {} stopped", config.id());
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
