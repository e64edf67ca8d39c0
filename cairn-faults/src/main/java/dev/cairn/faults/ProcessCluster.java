package dev.cairn.faults;

import dev.cairn.client.CairnClient;
import dev.cairn.client.ClusterStatus;
import dev.cairn.server.Ports;
import dev.cairn.testing.Await;
import dev.cairn.testing.MiniCluster;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Cairn cluster of real node processes, for fault tests that need a real {@code kill -9}: each
 * node is {@code java -cp <this JVM's class path> dev.cairn.cli.Main server ...}, with its data
 * directory and its log (stdout and stderr) under one base directory:
 *
 * <pre>
 * BASE/nK/data      node nK's data directory (blocks/, tmp/, corrupt/, raft/)
 * BASE/nK/node.log  everything the node printed, across restarts
 * </pre>
 *
 * A node is killed with SIGKILL ({@link ProcessHandle#destroyForcibly}) and restarted with the
 * same command line. Nodes run on 127.0.0.1 ({@link #onLoopback}) or on given addresses, for
 * example inside network namespaces, with a command prefix such as {@code ip netns exec NS}
 * ({@link #on}).
 *
 * <p><b>Ownership.</b> The cluster owns its processes, its status client and its base directory;
 * {@link #close()} kills every process and deletes the directory (unless asked to keep it). A JVM
 * shutdown hook kills the processes too, so that an aborted test run leaves none behind.
 *
 * <p><b>Threading.</b> Lifecycle methods ({@link #start}, {@link #kill}, {@link #restart}, {@link
 * #close}) are synchronized; probes may be called from any thread at any time.
 *
 * <p><b>Ports.</b> On loopback, ports are picked below the kernel's ephemeral range (which starts
 * at 32768 by default), so that a port freed by a killed node cannot be taken by an outgoing
 * connection before the node restarts; {@code Ports.freeRange()} picks ports inside that range.
 */
public final class ProcessCluster implements Closeable {
  private static final Duration STATUS_FAILOVER = Duration.ofSeconds(5);
  private static final int LOG_TAIL_LINES = 40;

  /** Settings of the nodes; defaults suit fault tests (short timers, 64 KiB blocks). */
  public static final class Options {
    int nodes = 3;
    int blockSize = 64 * 1024;
    int replication = 0;
    Duration suspectAfter = Duration.ofSeconds(2);
    Duration deadAfter = Duration.ofSeconds(6);
    Duration orphanGrace = Duration.ofSeconds(20);
    String copyRate = "0";
    String scrubRate = "4MiB";
    Path baseDir;
    boolean keepBaseDir;
    String classPath = System.getProperty("java.class.path");

    public Options nodes(int count) {
      if (count < 1 || count > 9) {
        throw new IllegalArgumentException("nodes must be 1-9, not " + count);
      }
      this.nodes = count;
      return this;
    }

    public Options blockSize(int bytes) {
      this.blockSize = bytes;
      return this;
    }

    /** Replicas per block; 0 = the server's default, min(3, nodes). */
    public Options replication(int replicas) {
      this.replication = replicas;
      return this;
    }

    public Options suspectAfter(Duration d) {
      this.suspectAfter = d;
      return this;
    }

    public Options deadAfter(Duration d) {
      this.deadAfter = d;
      return this;
    }

    public Options orphanGrace(Duration d) {
      this.orphanGrace = d;
      return this;
    }

    /** Scrubber rate as the server's flag takes it ("4MiB", "0" = off). */
    public Options scrubRate(String rate) {
      this.scrubRate = rate;
      return this;
    }

    /** Where the nodes' directories go; a new temp directory if not set. */
    public Options baseDir(Path dir) {
      this.baseDir = dir;
      return this;
    }

    /** Keep the base directory on {@link #close()} (to look at logs and data afterwards). */
    public Options keepBaseDir(boolean keep) {
      this.keepBaseDir = keep;
      return this;
    }

    public int nodes() {
      return nodes;
    }

    public int blockSize() {
      return blockSize;
    }

    public Duration orphanGrace() {
      return orphanGrace;
    }

    public Duration deadAfter() {
      return deadAfter;
    }

    /** Replicas per block once the default is resolved. */
    public int effectiveReplication() {
      return replication > 0 ? replication : Math.min(3, nodes);
    }
  }

  /** Where a node listens, and what its command line starts with (empty: nothing). */
  public record Endpoint(String host, int port, List<String> launchPrefix) {
    public String address() {
      return host + ":" + port;
    }
  }

  private final Options options;
  private final Path baseDir;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final String peers;
  private final List<String> unexpectedExits = new CopyOnWriteArrayList<>();
  private final Thread shutdownHook;
  private CairnClient statusClient;
  private boolean closed;

  private ProcessCluster(Options options, List<Endpoint> endpoints) throws IOException {
    if (endpoints.size() != options.nodes) {
      throw new IllegalArgumentException(
          options.nodes + " nodes but " + endpoints.size() + " endpoints");
    }
    this.options = options;
    this.baseDir = options.baseDir != null
        ? Files.createDirectories(options.baseDir)
        : Files.createTempDirectory("cairn-faults-");
    for (int i = 0; i < endpoints.size(); i++) {
      String id = "n" + (i + 1);
      Path dir = baseDir.resolve(id);
      Files.createDirectories(dir);
      nodes.put(id, new Node(id, endpoints.get(i), dir.resolve("data"), dir.resolve("node.log")));
    }
    this.peers = nodes.values().stream()
        .map(n -> n.id + "=" + n.endpoint.address())
        .collect(Collectors.joining(","));
    this.shutdownHook = new Thread(this::killAll, "cairn-faults-cleanup");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** A cluster on 127.0.0.1, on ports below the ephemeral range. Nothing runs until start. */
  public static ProcessCluster onLoopback(Options options) throws IOException {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int port : loopbackPorts(options.nodes)) {
      endpoints.add(new Endpoint("127.0.0.1", port, List.of()));
    }
    return new ProcessCluster(options, endpoints);
  }

  /** A cluster on the given endpoints, one per node, in order n1..nN. */
  public static ProcessCluster on(Options options, List<Endpoint> endpoints) throws IOException {
    return new ProcessCluster(options, endpoints);
  }

  // ------------------------------------------------------------------------------ lifecycle

  /** Starts every node and waits until a leader is known and every node is up. */
  public synchronized ProcessCluster start(Duration timeout) {
    for (Node node : nodes.values()) {
      if (!node.isRunning()) {
        node.launch();
      }
    }
    awaitReady(timeout);
    return this;
  }

  /** Kills a node with SIGKILL and waits until its process is gone. */
  public synchronized void kill(String id) {
    node(id).kill();
  }

  /**
   * Freezes a node's process with SIGSTOP, as a stalled machine or a long GC pause would: its
   * sockets stay open but nothing on them is read or answered until {@link #resume}.
   */
  public synchronized void pause(String id) throws IOException {
    signal(id, "-STOP");
  }

  /** Lets a node frozen by {@link #pause} run again (SIGCONT). */
  public synchronized void resume(String id) throws IOException {
    signal(id, "-CONT");
  }

  private void signal(String id, String signal) throws IOException {
    Process p = node(id).process;
    if (p == null || !p.isAlive()) {
      throw new IllegalStateException("node " + id + " is not running");
    }
    try {
      int exit = new ProcessBuilder("kill", signal, Long.toString(p.pid())).start().waitFor();
      if (exit != 0) {
        throw new IOException("kill " + signal + " " + p.pid() + " exited with " + exit);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while signalling node " + id, e);
    }
  }

  /** Starts a killed node again with the same command line; does not wait for it. */
  public synchronized void restart(String id) {
    Node node = node(id);
    if (node.isRunning()) {
      throw new IllegalStateException("node " + id + " is running");
    }
    node.launch();
  }

  /** Kills every node and deletes the base directory unless it is to be kept. Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (statusClient != null) {
      statusClient.close();
    }
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is exiting; the hook runs anyway.
    }
    if (!options.keepBaseDir) {
      MiniCluster.deleteRecursively(baseDir);
    }
  }

  private void killAll() {
    for (Node node : nodes.values()) {
      node.expectExit();
    }
    for (Node node : nodes.values()) {
      Process p = node.process;
      if (p != null) {
        p.destroyForcibly();
      }
    }
    for (Node node : nodes.values()) {
      Process p = node.process;
      if (p != null) {
        try {
          p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  // ------------------------------------------------------------------------------ probes

  public Options options() {
    return options;
  }

  public Path baseDir() {
    return baseDir;
  }

  public List<String> ids() {
    return List.copyOf(nodes.keySet());
  }

  public String address(String id) {
    return node(id).endpoint.address();
  }

  /** Client addresses of all nodes, in id order. */
  public List<String> addresses() {
    return nodes.values().stream().map(n -> n.endpoint.address()).toList();
  }

  /** id to client address, for every node. */
  public Map<String, String> addressMap() {
    Map<String, String> out = new LinkedHashMap<>();
    nodes.forEach((id, n) -> out.put(id, n.endpoint.address()));
    return out;
  }

  /** id to data directory, for every node. */
  public Map<String, Path> dataDirs() {
    Map<String, Path> out = new LinkedHashMap<>();
    nodes.forEach((id, n) -> out.put(id, n.dataDir));
    return out;
  }

  public boolean isRunning(String id) {
    return node(id).isRunning();
  }

  public List<String> runningIds() {
    return nodes.values().stream().filter(Node::isRunning).map(n -> n.id).toList();
  }

  /** How many times each node was started. */
  public int starts(String id) {
    return node(id).starts;
  }

  /**
   * Node processes that ended without being killed by this cluster (a crash, or a failed start),
   * one line each; empty when all is well.
   */
  public List<String> unexpectedExits() {
    return List.copyOf(unexpectedExits);
  }

  /**
   * A client over every node's address, with 64 KiB blocks to match the nodes; the caller closes
   * it.
   */
  public CairnClient newClient(Duration failoverTimeout) {
    return clientFor(ids(), failoverTimeout);
  }

  /** A client that knows only the given nodes; the caller closes it. */
  public CairnClient clientFor(List<String> ids, Duration failoverTimeout) {
    return CairnClient.builder()
        .addresses(ids.stream().map(this::address).toList())
        .failoverTimeout(failoverTimeout)
        .blockSize(options.blockSize)
        .build();
  }

  /** The cluster status as any node reports it (short failover; callers poll). */
  public ClusterStatus status() throws IOException {
    return statusClient().clusterStatus();
  }

  /** The status client: owned by the cluster, shared, do not close. */
  public synchronized CairnClient statusClient() {
    if (statusClient == null) {
      statusClient = newClient(STATUS_FAILOVER);
    }
    return statusClient;
  }

  /**
   * Waits until a leader is known and every running node is up in the cluster status.
   *
   * @throws IllegalStateException on timeout or if a running node's process exits, with the logs'
   *     tails in the message
   */
  public ClusterStatus awaitReady(Duration timeout) {
    try {
      return Await.value(timeout, "a leader and nodes " + runningIds() + " up", () -> {
        checkNoUnexpectedExit();
        return status();
      }, s -> {
        if (s.leaderId() == null) {
          return false;
        }
        Set<String> up = new HashSet<>();
        s.nodes().stream().filter(ClusterStatus.NodeState::up).forEach(n -> up.add(n.id()));
        return up.containsAll(runningIds());
      });
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + "\n" + logTails(), e);
    }
  }

  /** Waits until node {@code id} is up in the cluster status. */
  public void awaitUp(String id, Duration timeout) {
    try {
      Await.until(timeout, "node " + id + " up", () -> {
        checkNoUnexpectedExit();
        ClusterStatus s = status();
        return s.leaderId() != null
            && s.nodes().stream().anyMatch(n -> n.id().equals(id) && n.up());
      });
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + "\n" + logTail(id), e);
    }
  }

  private void checkNoUnexpectedExit() {
    if (!unexpectedExits.isEmpty()) {
      throw new IllegalStateException("a node process exited by itself: " + unexpectedExits);
    }
  }

  /**
   * Asks every running node's JVM for a thread dump (SIGQUIT), which it prints into its log, and
   * gives the JVMs a moment to write it. For diagnosing a failed test: a node that stopped making
   * progress shows where its threads are stuck.
   */
  public void dumpThreads() {
    for (Node node : nodes.values()) {
      Process p = node.process;
      if (p != null && p.isAlive()) {
        try {
          new ProcessBuilder("kill", "-QUIT", Long.toString(p.pid())).start()
              .waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
          // No kill command: no dump, nothing else lost.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    try {
      Thread.sleep(1000); // pacing: the JVMs write their dumps asynchronously
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The last lines of one node's log. */
  public String logTail(String id) {
    return "----- last lines of " + id + "'s log (" + node(id).logFile + ") -----\n"
        + tail(node(id).logFile, LOG_TAIL_LINES);
  }

  /** The last lines of every node's log. */
  public String logTails() {
    StringBuilder b = new StringBuilder();
    for (String id : nodes.keySet()) {
      b.append(logTail(id)).append('\n');
    }
    return b.toString();
  }

  private Node node(String id) {
    Node n = nodes.get(id);
    if (n == null) {
      throw new IllegalArgumentException("no node '" + id + "' in " + nodes.keySet());
    }
    return n;
  }

  // ------------------------------------------------------------------------------ nodes

  private final class Node {
    final String id;
    final Endpoint endpoint;
    final Path dataDir;
    final Path logFile;
    volatile Process process;
    volatile boolean exitExpected;
    int starts;

    Node(String id, Endpoint endpoint, Path dataDir, Path logFile) {
      this.id = id;
      this.endpoint = endpoint;
      this.dataDir = dataDir;
      this.logFile = logFile;
    }

    boolean isRunning() {
      Process p = process;
      return p != null && p.isAlive();
    }

    void expectExit() {
      exitExpected = true;
    }

    void launch() {
      List<String> command = command();
      try {
        // The class path is long and the same every time: the header leaves it out.
        int main = command.indexOf("dev.cairn.cli.Main");
        String shown = String.join(" ", command.subList(0, main - 2)) + " -cp ... "
            + String.join(" ", command.subList(main, command.size()));
        Files.writeString(logFile, "=== " + Instant.now() + " start #" + (starts + 1) + ": "
            + shown + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
        Process p = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
        exitExpected = false;
        process = p;
        starts++;
        int start = starts;
        p.onExit().thenAccept(done -> {
          if (!exitExpected && process == done) {
            unexpectedExits.add(id + " (start #" + start + ", pid " + done.pid()
                + ") exited by itself with status " + done.exitValue() + " at " + Instant.now());
          }
        });
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start node " + id, e);
      }
    }

    void kill() {
      Process p = process;
      if (p == null || !p.isAlive()) {
        throw new IllegalStateException("node " + id + " is not running");
      }
      exitExpected = true;
      // destroyForcibly is SIGKILL on Linux: no shutdown hook, no flush, as in a crash.
      p.destroyForcibly();
      try {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("node " + id + " (pid " + p.pid()
              + ") survived SIGKILL for 30 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while killing " + id, e);
      }
    }

    List<String> command() {
      List<String> c = new ArrayList<>(endpoint.launchPrefix());
      c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      c.addAll(childJvmFlags());
      c.add("-Dcairn.faults.node=" + id);
      c.add("-cp");
      c.add(options.classPath);
      c.add("dev.cairn.cli.Main");
      c.addAll(List.of("server",
          "--id", id,
          "--data", dataDir.toString(),
          "--listen", endpoint.address(),
          "--peers", peers,
          "--block-size", Integer.toString(options.blockSize),
          "--suspect-after", options.suspectAfter.toMillis() + "ms",
          "--dead-after", options.deadAfter.toMillis() + "ms",
          "--orphan-grace", options.orphanGrace.toMillis() + "ms",
          "--copy-rate", options.copyRate,
          "--scrub-rate", options.scrubRate));
      if (options.replication > 0) {
        c.addAll(List.of("--replication", Integer.toString(options.replication)));
      }
      return c;
    }
  }

  /**
   * Flags for node JVMs: small heaps, one GC thread and the client compiler only, because a test
   * runs several nodes and its own JVM on a machine that may have two cores.
   */
  static List<String> childJvmFlags() {
    // Thread stacks keep their default size: Ratis and gRPC run deep call chains.
    List<String> flags = new ArrayList<>(List.of(
        "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"));
    if (Runtime.version().feature() >= 24) {
      // Ratis's shaded Netty and Guava use sun.misc.Unsafe and native access; without these,
      // every node prints warnings at start (as the launcher does for `cairn server`).
      flags.add("--enable-native-access=ALL-UNNAMED");
      flags.add("--sun-misc-unsafe-memory-access=allow");
    }
    return flags;
  }

  /**
   * {@code count} ports P, each with P+1 and P+2 free too, no two ranges overlapping, between
   * 20000 and the start of the ephemeral range.
   */
  static List<Integer> loopbackPorts(int count) {
    int high = ephemeralRangeStart() - Ports.PER_NODE;
    int low = Math.min(20_000, high - 2000);
    Random random = new Random();
    return Ports.disjoint(count, () -> {
      for (int attempt = 0; attempt < 1000; attempt++) {
        int port = low + random.nextInt(high - low);
        if (free(port) && free(port + 1) && free(port + 2)) {
          return port;
        }
      }
      throw new IllegalStateException("cannot find " + Ports.PER_NODE + " adjacent free ports in "
          + low + ".." + high);
    });
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int ephemeralRangeStart() {
    // Not Files.readString: it trusts the file size, which procfs reports as 0.
    try (var in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      String range = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
      int start = Integer.parseInt(range.split("\\s+")[0]);
      return start >= 4096 ? start : 32768;
    } catch (IOException | RuntimeException e) {
      return 32768;
    }
  }

  static String tail(Path file, int lines) {
    if (!Files.exists(file)) {
      return "(no log)\n";
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long length = f.length();
      long start = Math.max(0, length - 64 * 1024);
      byte[] bytes = new byte[(int) (length - start)];
      f.seek(start);
      f.readFully(bytes);
      String[] all = new String(bytes, StandardCharsets.UTF_8).split("\n");
      StringBuilder b = new StringBuilder();
      for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
        b.append(all[i]).append('\n');
      }
      return b.toString();
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")\n";
    }
  }

  @Override
  public String toString() {
    return "ProcessCluster" + nodes.values().stream()
        .map(n -> n.id + "@" + n.endpoint.address() + (n.isRunning() ? "" : "(down)"))
        .toList() + " in " + baseDir;
  }
}
