package dev.cairn.testing;

import dev.cairn.client.CairnClient;
import dev.cairn.client.ClusterStatus;
import dev.cairn.client.internal.BlockReadStream;
import dev.cairn.client.internal.BlockWire;
import dev.cairn.proto.BlockReportRequest;
import dev.cairn.proto.BlockReportResponse;
import dev.cairn.proto.BlockServiceGrpc;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Extent;
import dev.cairn.proto.FileInfo;
import dev.cairn.proto.ListResponse;
import dev.cairn.proto.LookupResponse;
import dev.cairn.proto.MetaServiceGrpc;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.Status;
import dev.cairn.server.CairnNode;
import dev.cairn.server.NodeConfig;
import dev.cairn.server.Ports;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole Cairn cluster in this JVM, for tests: N real {@link CairnNode}s on free 127.0.0.1
 * ports, each with its own data directory under one temp directory, plus named fault actions on
 * each node (kill, stop, restart, wipe, corrupt a replica).
 *
 * <pre>{@code
 * try (MiniCluster cluster = MiniCluster.builder().nodes(3).blockSize(64 * 1024).build().start();
 *     CairnClient client = cluster.newClient()) {
 *   client.write("/a", bytes);
 *   cluster.kill(cluster.leaderId());
 *   assertThat(client.readAllBytes("/a")).isEqualTo(bytes);
 * }
 * }</pre>
 *
 * <p>A fixture you build and close, not a base class: a test holds one in a field or a
 * try-with-resources block.
 *
 * <p><b>Ownership.</b> The cluster owns its nodes, its temp directory, the clients returned by
 * {@link #newClient()} and the gRPC channels it uses to probe nodes; {@link #close()} releases all
 * of them and deletes the temp directory. A test may close a client of {@link #newClient()}
 * earlier; closing it again is harmless. Clients built from {@link #clientBuilder()} belong to the
 * caller. Ports and data directories are chosen once, at {@link Builder#build()}, and keep their
 * values across restarts, so close the cluster even if {@link #start()} was never called or
 * failed. If the JVM exits without {@link #close()} (a build timeout, Ctrl-C), a shutdown hook
 * kills the nodes and deletes the temp directory.
 *
 * <p><b>Threading.</b> Lifecycle actions ({@link #start}, {@link #kill}, {@link #stop}, {@link
 * #restart}, {@link #wipe}, {@link #close}) are serialized on the cluster and may be called from
 * any thread, including while other threads use clients of this cluster (that is how failover is
 * tested). Probes ({@link #leaderId}, {@link #blockFiles}, {@link #blocksOf}, {@link
 * #blockReport}, {@link #missingReplicas}) do not take the lock and may run concurrently with
 * anything; they see the cluster as it is at the moment they look. Methods that wait do so by
 * bounded polling and fail with {@link IllegalStateException} when their deadline passes.
 *
 * <p><b>Ports.</b> {@link Ports#freeRange()} finds ports that were free a moment ago; another
 * process may take one before a node binds it, and a port freed by a killed node may be reused by
 * an outgoing connection before the node restarts. Either shows as a bind error from {@link
 * #start} or {@link #restart}.
 */
public final class MiniCluster implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(MiniCluster.class);
  private static final Duration PROBE_DEADLINE = Duration.ofSeconds(10);
  private static final Duration CLOSE_DEADLINE = Duration.ofSeconds(60);
  private static final int BLOCK_TRAILER_BYTES = 20;

  private final Builder settings;
  private final Path baseDir;
  private final Map<String, String> peers;
  private final List<Node> nodes;
  private final List<CairnClient> clients = new CopyOnWriteArrayList<>();
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final Object lifecycle = new Object();
  private final Thread cleanupOnExit;
  private CairnClient statusClient;
  private boolean closed;

  private MiniCluster(Builder settings) throws IOException {
    this.settings = settings;
    this.baseDir = Files.createTempDirectory("cairn-minicluster-");
    List<Integer> ports = pickPorts(settings.nodes);
    Map<String, String> peerMap = new LinkedHashMap<>();
    List<Node> nodeList = new ArrayList<>();
    for (int i = 0; i < settings.nodes; i++) {
      String id = "n" + (i + 1);
      String address = "127.0.0.1:" + ports.get(i);
      peerMap.put(id, address);
      nodeList.add(new Node(id, ports.get(i), baseDir.resolve(id)));
    }
    this.peers = Map.copyOf(peerMap);
    this.nodes = List.copyOf(nodeList);
    for (Node node : nodes) {
      Files.createDirectories(node.dataDir);
    }
    // A test JVM stopped from outside (a build timeout, Ctrl-C) never reaches close(): kill the
    // nodes and delete the temp directory then, so that no data directory is left behind.
    this.cleanupOnExit = new Thread(this::cleanUpAtExit, "minicluster-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanupOnExit);
  }

  private void cleanUpAtExit() {
    for (Node node : nodes) {
      CairnNode running = node.server;
      if (running != null) {
        node.server = null;
        try {
          running.kill();
        } catch (RuntimeException e) {
          // The JVM is going away; the directory delete below is what matters.
        }
      }
    }
    try {
      deleteRecursively(baseDir);
    } catch (IOException e) {
      // Nothing more can be done while the JVM exits.
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Settings of a cluster; {@link #build()} picks ports and creates the temp directory. */
  public static final class Builder {
    private int nodes = 3;
    private int blockSize = 8 * 1024 * 1024;
    private int inlineThreshold = 64 * 1024;
    private int replication = 0;
    private int minReplicas = 2;
    private Duration electionTimeout = NodeConfig.DEFAULT_ELECTION_TIMEOUT;
    private Duration orphanGrace = Duration.ofMinutes(10);
    private Duration maintenanceInterval = Duration.ofSeconds(1);
    private Duration startTimeout = Duration.ofSeconds(60);
    private Duration clientFailoverTimeout = Duration.ofSeconds(30);
    private java.util.function.UnaryOperator<NodeConfig> customizer = c -> c;

    private Builder() {}

    /** Number of nodes, all voters (default 3). */
    public Builder nodes(int count) {
      if (count < 1 || count > 9) {
        throw new IllegalArgumentException("nodes must be 1-9, not " + count);
      }
      this.nodes = count;
      return this;
    }

    /** Bytes per block, for the nodes and for clients of {@link #newClient()} (default 8 MiB). */
    public Builder blockSize(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("blockSize must be positive");
      }
      this.blockSize = bytes;
      return this;
    }

    /** Files up to this size are inlined by clients of {@link #newClient()} (default 64 KiB). */
    public Builder inlineThreshold(int bytes) {
      this.inlineThreshold = bytes;
      return this;
    }

    /** Replicas per block (default 0: min(3, nodes)). */
    public Builder replication(int replicas) {
      this.replication = replicas;
      return this;
    }

    /** Replicas a block write needs to succeed (default 2, capped at the replication). */
    public Builder minReplicas(int replicas) {
      this.minReplicas = replicas;
      return this;
    }

    /** Raft's minimum election timeout (default: a node's, 750 ms). */
    public Builder electionTimeout(Duration timeout) {
      this.electionTimeout = timeout;
      return this;
    }

    /** Age at which an unreferenced block is deleted (default 10 min). */
    public Builder orphanGrace(Duration grace) {
      this.orphanGrace = grace;
      return this;
    }

    /** How often the leader checks replication and garbage (default 1 s). */
    public Builder maintenanceInterval(Duration interval) {
      this.maintenanceInterval = interval;
      return this;
    }

    /** How long {@link #start}, {@link #restart} and {@link #leaderId} wait (default 60 s). */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = timeout;
      return this;
    }

    /** Failover timeout of clients from {@link #newClient()} (default 30 s). */
    public Builder clientFailoverTimeout(Duration timeout) {
      this.clientFailoverTimeout = timeout;
      return this;
    }

    /**
     * Adjusts each node's configuration before it starts (healing timers, the free-space reserve
     * of one node...); the function gets the node's default config and returns the one to use.
     */
    public Builder configure(java.util.function.UnaryOperator<NodeConfig> customizer) {
      this.customizer = customizer;
      return this;
    }

    /** Picks ports and creates the temp directory; nothing runs until {@link #start()}. */
    public MiniCluster build() {
      try {
        return new MiniCluster(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the cluster's temp directory", e);
      }
    }
  }

  // ------------------------------------------------------------------------------ lifecycle

  /**
   * Starts every node that is not running, in parallel, and waits until a leader is ready and the
   * cluster status shows every node up.
   *
   * @return this cluster
   * @throws IllegalStateException if a node fails to start or the cluster is not up within the
   *     start timeout; the nodes that did start keep running until {@link #close()}
   */
  public MiniCluster start() {
    synchronized (lifecycle) {
      checkOpen();
      List<Node> stopped = nodes.stream().filter(n -> !n.isRunning()).toList();
      try (ExecutorService starters = Executors.newVirtualThreadPerTaskExecutor()) {
        List<Future<?>> started = new ArrayList<>();
        for (Node node : stopped) {
          started.add(starters.submit(() -> {
            node.launch();
            return null;
          }));
        }
        for (int i = 0; i < started.size(); i++) {
          try {
            started.get(i).get();
          } catch (ExecutionException e) {
            throw new IllegalStateException(
                "node " + stopped.get(i).id + " failed to start", e.getCause());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting nodes", e);
          }
        }
      }
      awaitUp(settings.startTimeout);
      return this;
    }
  }

  /**
   * Kills a node abruptly, as a crash would ({@link CairnNode#kill}). Its data directory stays.
   *
   * @throws IllegalStateException if the node is not running
   */
  public void kill(String id) {
    node(id).kill();
  }

  /** Stops a node gracefully ({@link CairnNode#close}). Its data directory stays. */
  public void stop(String id) {
    node(id).stop();
  }

  /**
   * Starts a stopped or killed node again with the same id, ports and data directory (stopping it
   * first if it runs), and waits until the node knows a leader and the cluster status shows it up.
   */
  public void restart(String id) {
    node(id).restart();
  }

  /** Deletes a stopped node's data directory, as if its disk were replaced. */
  public void wipe(String id) {
    node(id).wipe();
  }

  /** Stops every running node gracefully, in parallel; {@link #start()} brings them back. */
  public void stopAll() {
    synchronized (lifecycle) {
      parallel(nodes.stream().filter(Node::isRunning).toList(), Node::shutDown);
    }
  }

  /**
   * Closes the clients of {@link #newClient()}, stops every node (gracefully; a node that does not
   * stop within a minute is killed) and deletes the temp directory. Idempotent.
   *
   * @throws IOException if the temp directory cannot be deleted, or a node failed to stop; every
   *     step is attempted regardless
   */
  @Override
  public void close() throws IOException {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      List<Exception> failures = new ArrayList<>();
      for (CairnClient client : clients) {
        try {
          client.close();
        } catch (RuntimeException e) {
          failures.add(e);
        }
      }
      clients.clear();
      if (statusClient != null) {
        try {
          statusClient.close();
        } catch (RuntimeException e) {
          failures.add(e);
        }
      }
      for (ManagedChannel channel : channels.values()) {
        channel.shutdownNow();
      }
      channels.clear();
      try {
        parallel(nodes.stream().filter(Node::isRunning).toList(), Node::shutDown);
      } catch (RuntimeException e) {
        failures.add(e);
      }
      try {
        deleteRecursively(baseDir);
      } catch (IOException e) {
        failures.add(e);
      }
      try {
        Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down; the hook runs and finds nothing left to do.
      }
      if (!failures.isEmpty()) {
        IOException failure = new IOException("closing the mini cluster failed", failures.get(0));
        failures.stream().skip(1).forEach(failure::addSuppressed);
        throw failure;
      }
    }
  }

  // ------------------------------------------------------------------------------ access

  /** The node with this number, counting from 1: {@code node(2)} is "n2". */
  public Node node(int number) {
    if (number < 1 || number > nodes.size()) {
      throw new IllegalArgumentException(
          "node number " + number + " is not in 1.." + nodes.size());
    }
    return nodes.get(number - 1);
  }

  /** The node with this id ("n1".."nN"). */
  public Node node(String id) {
    return nodes.stream()
        .filter(n -> n.id.equals(id))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node '" + id + "' in " + ids()));
  }

  /** Every node, in id order. */
  public List<Node> nodes() {
    return nodes;
  }

  /** The ids of all nodes, in order. */
  public List<String> ids() {
    return nodes.stream().map(Node::id).toList();
  }

  /** The nodes that run now. */
  public List<Node> runningNodes() {
    return nodes.stream().filter(Node::isRunning).toList();
  }

  /** The client addresses of all nodes, comma-separated, running or not. */
  public String addresses() {
    return nodes.stream().map(Node::address).collect(Collectors.joining(","));
  }

  /** The temp directory all data directories live under. */
  public Path baseDir() {
    return baseDir;
  }

  /** The data directory of a node (it survives stop, kill and restart; not wipe). */
  public Path dataDir(String id) {
    return node(id).dataDir;
  }

  /**
   * The directory where a node's Raft state machine keeps its namespace snapshots ({@code
   * raft/GROUP/sm} under its data directory).
   */
  public Path snapshotDir(String id) throws IOException {
    try (Stream<Path> paths = Files.walk(dataDir(id))) {
      return paths.filter(p -> p.getFileName().toString().equals("sm") && Files.isDirectory(p))
          .findFirst()
          .orElseThrow(() -> new IOException("node " + id + " has no snapshot directory"));
    }
  }

  private static final Pattern SNAPSHOT_FILE = Pattern.compile("snapshot\\.\\d+_(\\d+)");

  /**
   * The indexes of the complete namespace snapshots in a snapshot directory ({@link
   * #snapshotDir}), oldest first; partial ({@code .tmp}) files and MD5 sidecars are not counted.
   */
  public static List<Long> snapshotIndexes(Path smDir) throws IOException {
    try (Stream<Path> files = Files.list(smDir)) {
      return files.map(p -> SNAPSHOT_FILE.matcher(p.getFileName().toString()))
          .filter(Matcher::matches)
          .map(m -> Long.parseLong(m.group(1)))
          .sorted()
          .toList();
    }
  }

  /** Block size the nodes were configured with. */
  public int blockSize() {
    return settings.blockSize;
  }

  /** Replicas per block, with the default resolved. */
  public int replication() {
    return settings.replication > 0 ? settings.replication : Math.min(3, nodes.size());
  }

  /**
   * A client over the addresses of all nodes, configured like the cluster (block size, inline
   * threshold, failover timeout). The cluster closes it on {@link #close()}.
   */
  public CairnClient newClient() {
    checkOpen();
    CairnClient client = clientBuilder().build();
    clients.add(client);
    return client;
  }

  /** A builder preset like {@link #newClient()}; a client built from it belongs to the caller. */
  public CairnClient.Builder clientBuilder() {
    return CairnClient.builder()
        .addresses(addresses())
        .failoverTimeout(settings.clientFailoverTimeout)
        .blockSize(settings.blockSize)
        .inlineThreshold(settings.inlineThreshold);
  }

  // ------------------------------------------------------------------------------ probes

  /**
   * The id of the node that is leader now, waiting up to the start timeout for one to be elected.
   */
  public String leaderId() {
    return Await.value(
        settings.startTimeout,
        "a leader among " + runningNodes(),
        () -> nodes.stream().filter(Node::isLeader).map(Node::id).findFirst().orElse(null),
        id -> id != null);
  }

  /** The cluster status as a running node reports it. */
  public ClusterStatus clusterStatus() throws IOException {
    return statusClient().clusterStatus();
  }

  /**
   * Waits until every node is up, a leader is known, no block is under-replicated, and every node
   * the namespace names as a replica of a block reports that it holds it ({@link
   * #missingReplicas}). The last condition matters because the status counts replicas as the
   * namespace lists them, which lags behind a node that lost blocks until the leader's next
   * maintenance round.
   *
   * @return the healthy status
   * @throws IllegalStateException on timeout, naming the last status (or missing replicas) seen
   */
  public ClusterStatus awaitHealthy(Duration timeout) {
    return Await.value(
        timeout,
        "a healthy cluster of " + nodes.size() + " nodes with every replica in place",
        () -> {
          ClusterStatus status = statusClient().clusterStatus();
          if (!status.healthy() || status.nodes().size() != nodes.size()) {
            return new Health(status, List.of());
          }
          return new Health(status, missingReplicas("/"));
        },
        h -> h.status().healthy()
            && h.status().nodes().size() == nodes.size()
            && h.missing().isEmpty())
        .status();
  }

  private record Health(ClusterStatus status, List<String> missing) {}

  /**
   * The regular files of a node's block store: every file under its data directory except the
   * Raft log and snapshots and the node's own identity files. Works on stopped nodes too.
   */
  public List<Path> blockFiles(String id) throws IOException {
    return node(id).blockFiles();
  }

  /**
   * The ids of the blocks a node holds on disk, read from the names of its block files. Works on
   * stopped nodes too.
   */
  public Set<Long> blockIdsOnDisk(String id) throws IOException {
    return node(id).blockIdsOnDisk();
  }

  /** The block files of one block on one node (data and, if the store keeps them, checksums). */
  public List<Path> blockFiles(String id, long blockId) throws IOException {
    return node(id).blockFiles(blockId);
  }

  /** The block ids a running node reports it holds (BlockService.BlockReport). */
  public Set<Long> blockReport(String id) throws IOException {
    Node node = node(id);
    BlockReportResponse response =
        call(() -> BlockServiceGrpc.newBlockingStub(channel(node.address()))
            .withDeadlineAfter(PROBE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .blockReport(BlockReportRequest.getDefaultInstance()));
    check(response.getStatus(), "block report of " + id);
    return new HashSet<>(response.getBlockIdsList());
  }

  /**
   * Damages one node's replica of a block on disk, as silent corruption would: flips {@code
   * count} bytes in the middle of the block's data, leaving its stored checksums as they were.
   * Works on running and stopped nodes; a running node notices only when the block is read or
   * scrubbed.
   *
   * @return the file that was damaged
   * @throws IllegalStateException if the node holds no file for the block
   */
  public Path corruptReplica(String id, long blockId, int count) throws IOException {
    List<Path> files = blockFiles(id, blockId);
    if (files.isEmpty()) {
      throw new IllegalStateException(
          "node " + id + " has no file for block " + Long.toHexString(blockId));
    }
    Path file = files.get(0);
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      // The block file holds the data first and ends with a trailer whose first 8 bytes are the
      // data length; flipping bytes inside the data makes its chunk checksum fail.
      long dataLength = channel.size();
      if (channel.size() >= BLOCK_TRAILER_BYTES) {
        ByteBuffer trailer = ByteBuffer.allocate(8);
        channel.read(trailer, channel.size() - BLOCK_TRAILER_BYTES);
        dataLength = Math.min(trailer.flip().getLong(), channel.size());
      }
      long offset = Math.max(0, dataLength / 2 - count / 2);
      int length = (int) Math.max(1, Math.min(count, dataLength - offset));
      ByteBuffer bytes = ByteBuffer.allocate(length);
      channel.read(bytes, offset);
      for (int i = 0; i < length; i++) {
        bytes.put(i, (byte) ~bytes.get(i));
      }
      bytes.rewind();
      channel.write(bytes, offset);
      channel.force(true);
    }
    LOG.info("corrupted block {} on node {} ({})", Long.toHexString(blockId), id, file);
    return file;
  }

  /**
   * Reads one node's replica of a block over the block data protocol, so a test can look
   * at a chosen replica rather than whichever one a client picks.
   *
   * @throws IOException if the node reports an error (for example CORRUPT), is unreachable, or
   *     serves a chunk whose CRC32C does not match its data
   */
  public byte[] readReplica(String id, long blockId) throws IOException {
    Node node = node(id);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[BlockWire.CHUNK_SIZE];
    // The stream checks every chunk against the CRC32C stored with it: bytes that do not match
    // are never handed out.
    try (BlockReadStream in = BlockReadStream.open(node.address(), blockId, 0,
        (int) PROBE_DEADLINE.toMillis())) {
      int n;
      while ((n = in.next(buf)) > 0) {
        out.write(buf, 0, n);
      }
    } catch (IOException e) {
      throw new IOException("read of block " + Long.toHexString(blockId) + " on " + id
          + " failed: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  /** One block of a file and the nodes the namespace says hold it. */
  public record BlockLocation(long blockId, long length, List<String> replicas) {}

  /**
   * The blocks of a file, in order, with their replicas, as the namespace has them now (a Lookup
   * on a running node). Inline content has no blocks.
   */
  public List<BlockLocation> blocksOf(String path) throws IOException {
    LookupResponse response =
        onAnyNode("lookup " + path, address -> MetaServiceGrpc.newBlockingStub(channel(address))
            .withDeadlineAfter(PROBE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .lookup(PathRequest.newBuilder().setPath(path).build()));
    check(response.getStatus(), "lookup " + path);
    List<BlockLocation> blocks = new ArrayList<>();
    for (Extent extent : response.getInfo().getExtentsList()) {
      if (extent.hasBlock()) {
        blocks.add(new BlockLocation(
            extent.getBlock().getId(),
            extent.getBlock().getLength(),
            List.copyOf(extent.getBlock().getReplicasList())));
      }
    }
    return blocks;
  }

  /**
   * Every file path in the namespace under {@code dir} (recursively), by walking List on a running
   * node.
   */
  public List<String> filesUnder(String dir) throws IOException {
    List<String> files = new ArrayList<>();
    List<String> pending = new ArrayList<>(List.of(dir));
    while (!pending.isEmpty()) {
      String current = pending.remove(pending.size() - 1);
      ListResponse response =
          onAnyNode("list " + current, address -> MetaServiceGrpc.newBlockingStub(channel(address))
              .withDeadlineAfter(PROBE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
              .list(PathRequest.newBuilder().setPath(current).build()));
      check(response.getStatus(), "list " + current);
      for (FileInfo entry : response.getEntriesList()) {
        if (entry.getDirectory()) {
          pending.add(entry.getPath());
        } else {
          files.add(entry.getPath());
        }
      }
    }
    files.sort(null);
    return files;
  }

  /**
   * A replica checker: for every block of every file under {@code dir}, every running node the
   * namespace names as a replica must report the block, and the block must have at least {@code
   * replication()} replicas named. Returns one line per problem; empty when all is well.
   */
  public List<String> missingReplicas(String dir) throws IOException {
    Map<String, Set<Long>> reports = new LinkedHashMap<>();
    for (Node node : runningNodes()) {
      reports.put(node.id, blockReport(node.id));
    }
    List<String> problems = new ArrayList<>();
    for (String file : filesUnder(dir)) {
      for (BlockLocation block : blocksOf(file)) {
        if (block.replicas().size() < replication()) {
          problems.add(file + ": block " + block.blockId() + " has replicas " + block.replicas()
              + ", fewer than " + replication());
        }
        for (String replica : block.replicas()) {
          Set<Long> held = reports.get(replica);
          if (held != null && !held.contains(block.blockId())) {
            problems.add(file + ": block " + block.blockId() + " is named on " + replica
                + " but " + replica + " does not report it");
          }
        }
      }
    }
    return problems;
  }

  @Override
  public String toString() {
    return "MiniCluster" + nodes + " in " + baseDir;
  }

  // ------------------------------------------------------------------------------ nodes

  /**
   * One node of the cluster: its fixed identity (id, port, data directory) and the {@link
   * CairnNode} running it now, if any. Fault actions are serialized with the cluster's other
   * lifecycle actions.
   */
  public final class Node {
    private final String id;
    private final int port;
    private final Path dataDir;
    private volatile CairnNode server;

    private Node(String id, int port, Path dataDir) {
      this.id = id;
      this.port = port;
      this.dataDir = dataDir;
    }

    public String id() {
      return id;
    }

    /** host:port of the client service; the Raft service listens on the next port. */
    public String address() {
      return peers.get(id);
    }

    public int port() {
      return port;
    }

    public Path dataDir() {
      return dataDir;
    }

    public boolean isRunning() {
      return server != null;
    }

    /** The running server. */
    public CairnNode server() {
      CairnNode running = server;
      if (running == null) {
        throw new IllegalStateException("node " + id + " is not running");
      }
      return running;
    }

    /** True if this node runs and is the Raft leader now. */
    public boolean isLeader() {
      CairnNode running = server;
      return running != null && running.isLeader();
    }

    /** The configuration the node starts with. */
    public NodeConfig config() {
      return settings.customizer.apply(defaultConfig());
    }

    private NodeConfig defaultConfig() {
      return new NodeConfig(
          id,
          dataDir,
          address(),
          peers,
          settings.blockSize,
          settings.replication,
          settings.minReplicas,
          settings.electionTimeout,
          settings.orphanGrace,
          settings.maintenanceInterval);
    }

    /** Kills the node abruptly ({@link CairnNode#kill}). */
    public void kill() {
      synchronized (lifecycle) {
        checkOpen();
        CairnNode running = server();
        LOG.info("killing node {}", id);
        server = null;
        running.kill();
      }
    }

    /** Stops the node gracefully ({@link CairnNode#close}). */
    public void stop() {
      synchronized (lifecycle) {
        shutDown();
      }
    }

    /**
     * Starts the node again on the same ports and data directory (stopping it first if it runs)
     * and waits until it knows a leader and the cluster status shows it up.
     */
    public void restart() {
      synchronized (lifecycle) {
        checkOpen();
        if (isRunning()) {
          shutDown();
        }
        try {
          launch();
        } catch (IOException e) {
          throw new UncheckedIOException("node " + id + " failed to restart", e);
        }
        awaitUp(settings.startTimeout);
      }
    }

    /** Deletes the data directory of this stopped node and leaves an empty one in its place. */
    public void wipe() {
      synchronized (lifecycle) {
        if (isRunning()) {
          throw new IllegalStateException("stop node " + id + " before wiping it");
        }
        try {
          deleteRecursively(dataDir);
          Files.createDirectories(dataDir);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot wipe " + dataDir, e);
        }
      }
    }

    /** See {@link MiniCluster#blockFiles(String)}. */
    public List<Path> blockFiles() throws IOException {
      if (!Files.isDirectory(dataDir)) {
        return List.of();
      }
      try (Stream<Path> files = Files.walk(dataDir)) {
        return files
            .filter(Files::isRegularFile)
            .filter(path -> isBlockFile(dataDir.relativize(path)))
            .sorted()
            .toList();
      } catch (UncheckedIOException e) {
        // A file vanished while walking (the node deleted a block or rolled a log).
        if (e.getCause() instanceof NoSuchFileException) {
          return blockFiles();
        }
        throw e;
      }
    }

    /** See {@link MiniCluster#blockIdsOnDisk(String)}. */
    public Set<Long> blockIdsOnDisk() throws IOException {
      Set<Long> ids = new HashSet<>();
      for (Path file : blockFiles()) {
        Long blockId = blockIdOf(file);
        if (blockId != null) {
          ids.add(blockId);
        }
      }
      return ids;
    }

    /** See {@link MiniCluster#blockFiles(String, long)}. */
    public List<Path> blockFiles(long blockId) throws IOException {
      return blockFiles().stream().filter(f -> Long.valueOf(blockId).equals(blockIdOf(f))).toList();
    }

    @Override
    public String toString() {
      return id + "@" + address() + (isRunning() ? "" : "(down)");
    }

    /**
     * Closes the server, killing it if it does not stop within the close deadline. Called with the
     * lifecycle lock held by the caller (or by a helper thread of a caller that holds it).
     */
    private void shutDown() {
      CairnNode running = server();
      LOG.info("stopping node {}", id);
      server = null;
      // Not try-with-resources: ExecutorService.close() would wait for a close() that hangs.
      ExecutorService closer = Executors.newVirtualThreadPerTaskExecutor();
      try {
        Future<?> closing = closer.submit(() -> {
          running.close();
          return null;
        });
        try {
          closing.get(CLOSE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          LOG.warn("node {} did not stop within {}; killing it", id, CLOSE_DEADLINE);
          running.kill();
          throw new IllegalStateException("node " + id + " did not stop within " + CLOSE_DEADLINE);
        } catch (ExecutionException e) {
          throw new IllegalStateException("node " + id + " failed to stop", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          running.kill();
          throw new IllegalStateException("interrupted while stopping node " + id, e);
        }
      } finally {
        closer.shutdownNow();
      }
    }

    private void launch() throws IOException {
      LOG.info("starting node {} on {}", id, address());
      server = CairnNode.start(config());
    }
  }

  // ------------------------------------------------------------------------------ internals

  /**
   * Whether a file of a node's data directory is a committed block. The block store (the
   * server's FileBlockStore) keeps one file per block, "blocks/&lt;xx&gt;/&lt;16 hex digits of the
   * id&gt;.blk", beside "tmp/" (blocks being written), "corrupt/" (quarantined blocks) and
   * "free/" (files of deleted blocks kept for reuse), which do not count; the Raft storage holds
   * no ".blk" files.
   */
  private static boolean isBlockFile(Path relative) {
    for (Path part : relative) {
      String name = part.toString();
      if (name.equals("tmp") || name.equals("corrupt") || name.equals("free")) {
        return false;
      }
    }
    return blockIdOf(relative) != null;
  }

  /** A block file is named after its block id: 16 hex digits, ".blk". */
  private static final Pattern BLOCK_NAME = Pattern.compile("^([0-9a-f]{16})\\.blk$");

  private static Long blockIdOf(Path file) {
    Matcher m = BLOCK_NAME.matcher(file.getFileName().toString());
    return m.matches() ? Long.parseUnsignedLong(m.group(1), 16) : null;
  }

  /** Ports for every node, chosen up front so that no two nodes' port ranges overlap. */
  private static List<Integer> pickPorts(int count) {
    return Ports.disjoint(count, Ports::freeRange);
  }

  private void awaitUp(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Node node : runningNodes()) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      boolean ready;
      try {
        ready = node.server().awaitLeader(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for a leader", e);
      }
      if (!ready) {
        throw new IllegalStateException("node " + node.id + " knows no leader after " + timeout);
      }
    }
    Set<String> running = runningNodes().stream().map(Node::id).collect(Collectors.toSet());
    Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    Await.value(
        left,
        "a leader and nodes " + running + " up in the cluster status",
        () -> statusClient().clusterStatus(),
        s -> s.leaderId() != null
            && !s.leaderId().isEmpty()
            && s.nodes().stream()
                .filter(n -> running.contains(n.id()))
                .filter(ClusterStatus.NodeState::up)
                .count() == running.size());
  }

  private CairnClient statusClient() {
    synchronized (channels) {
      if (statusClient == null) {
        // A short failover timeout: a probe that fails is retried by the caller's polling.
        statusClient = clientBuilder().failoverTimeout(Duration.ofSeconds(5)).build();
      }
      return statusClient;
    }
  }

  private ManagedChannel channel(String address) {
    return channels.computeIfAbsent(
        address, a -> ManagedChannelBuilder.forTarget(a).usePlaintext().build());
  }

  @FunctionalInterface
  private interface WireCall<T> {
    T call(String address);
  }

  /** Runs a probe on the first running node that answers. */
  private <T> T onAnyNode(String what, WireCall<T> wireCall) throws IOException {
    IOException failure = new IOException("no running node answered " + what);
    for (Node node : runningNodes()) {
      try {
        return wireCall.call(node.address());
      } catch (StatusRuntimeException e) {
        failure.addSuppressed(e);
      }
    }
    throw failure;
  }

  private static <T> T call(java.util.function.Supplier<T> wireCall) throws IOException {
    try {
      return wireCall.get();
    } catch (StatusRuntimeException e) {
      throw new IOException(e.getStatus().toString(), e);
    }
  }

  private static void check(Status status, String what) throws IOException {
    if (status.getCode() != ErrorCode.OK) {
      throw new IOException(what + " failed: " + status.getCode() + " " + status.getMessage());
    }
  }

  @FunctionalInterface
  private interface NodeAction {
    void run(Node node) throws Exception;
  }

  /** Runs an action on several nodes at once and waits for all of them. */
  private static void parallel(List<Node> targets, NodeAction action) {
    if (targets.isEmpty()) {
      return;
    }
    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (Node node : targets) {
        futures.add(pool.submit(() -> {
          action.run(node);
          return null;
        }));
      }
      RuntimeException failure = null;
      for (int i = 0; i < futures.size(); i++) {
        try {
          futures.get(i).get();
        } catch (ExecutionException e) {
          if (failure == null) {
            failure = new IllegalStateException("action on node " + targets.get(i).id + " failed",
                e.getCause());
          } else {
            failure.addSuppressed(e.getCause());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the mini cluster is closed");
    }
  }

  /** Deletes a directory tree; files that vanish meanwhile are fine. For fixtures' cleanup. */
  public static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null && !(e instanceof NoSuchFileException)) {
          throw e;
        }
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
