package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.ClusterStatus;
import dev.cairn.server.Ports;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A cluster of node processes on this machine, kept in one directory:
 *
 * <pre>
 * DIR/nodes          one line per node: id, client address, pid ("-" when stopped)
 * DIR/cluster        the client addresses, comma-separated, once the cluster has come up
 * DIR/nK/data        node nK's data directory
 * DIR/nK/server.log  its stdout and stderr
 * DIR/nK/pid         its process id while it runs
 * DIR/nK/classes.aot its AOT cache (JDK 25+; classes.jsa, a class-data archive, on JDK 19-24),
 *                    which makes its later starts and its warm-up faster; a node that maps a cache
 *                    shared by an earlier cluster has none of its own (see NodeClassData)
 * DIR/classpath/     the copy of Cairn's jars the nodes run from
 * </pre>
 *
 * The nodes file is written before the nodes are waited for, so a restart reuses the same ids,
 * ports and data. Nodes run detached (started in the background through sh, in their own session
 * where {@code setsid} exists), so they outlive the command that started them, ignore the
 * terminal's Ctrl-C, and are no children of its JVM.
 */
final class LocalCluster {
  static final String DEFAULT_DIR = "cairn-local";
  static final String CLUSTER_FILE = "cluster";
  static final String NODES_FILE = "nodes";
  static final String CLASSPATH_DIR = "classpath";
  static final int DEFAULT_NODES = 3;
  static final int MAX_NODES = 15;
  static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  // A node's first stop after a build writes its AOT cache, which took 10-15 s with 3 nodes
  // writing theirs at once on 2 cores; a node killed meanwhile only writes it on a later stop.
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
  private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);
  private static final int LOG_TAIL_LINES = 20;

  /**
   * One node as the nodes file records it: pid 0 when not running, and the process's start time
   * (epoch ms, 0 if unknown), which tells the node from an unrelated process that got its pid later.
   */
  record Node(String id, String address, long pid, long startedMs) {
    Node(String id, String address, long pid) {
      this(id, address, pid, 0);
    }

    Node withProcess(long newPid, long newStartedMs) {
      return new Node(id, address, newPid, newStartedMs);
    }

    int port() {
      return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    String line() {
      return pid > 0 ? id + " " + address + " " + pid + " " + startedMs : id + " " + address + " -";
    }

    static Node parse(String line) {
      String[] parts = line.strip().split("\\s+");
      if (parts.length < 2) {
        throw new IllegalArgumentException("bad line in nodes file: '" + line + "'");
      }
      long pid = parts.length > 2 && !parts[2].equals("-") ? Long.parseLong(parts[2]) : 0;
      long started = parts.length > 3 ? Long.parseLong(parts[3]) : 0;
      return new Node(parts[0], parts[1], pid, started);
    }
  }

  private final Path dir;
  private final PrintWriter out;
  private final PrintWriter err;
  private final NodeClassData classData;

  /** A cluster whose nodes share no class data with other clusters' (see {@link NodeClassData}). */
  LocalCluster(Path dir, PrintWriter out, PrintWriter err) {
    this(dir, out, err, new NodeClassData(null));
  }

  LocalCluster(Path dir, PrintWriter out, PrintWriter err, NodeClassData classData) {
    this.dir = dir.toAbsolutePath().normalize();
    this.out = out;
    this.err = err;
    this.classData = classData;
  }

  Path dir() {
    return dir;
  }

  /** The nodes recorded in DIR/nodes; empty if there is no cluster in DIR. */
  List<Node> nodes() throws IOException {
    Path file = dir.resolve(NODES_FILE);
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    List<Node> nodes = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank() && !line.startsWith("#")) {
        nodes.add(Node.parse(line));
      }
    }
    return nodes;
  }

  /** True if DIR has a cluster and every one of its nodes runs. */
  boolean isRunning() throws IOException {
    List<Node> nodes = nodes();
    return !nodes.isEmpty() && nodes.stream().allMatch(n -> process(n).isPresent());
  }

  String addresses() throws IOException {
    return addresses(nodes());
  }

  /**
   * Starts the cluster in DIR: a new one of {@code wanted} nodes (default 3) if DIR has none, else
   * the recorded nodes that are not running, on their old ports and data. Waits until a leader is
   * elected and every node is up.
   *
   * @param wanted number of nodes asked for on the command line, or null
   * @return exit status
   */
  int start(Integer wanted) throws IOException, InterruptedException {
    List<Node> nodes = nodes();
    if (nodes.isEmpty()) {
      int count = wanted == null ? DEFAULT_NODES : wanted;
      if (count < 1 || count > MAX_NODES) {
        throw new IllegalArgumentException("--nodes must be between 1 and " + MAX_NODES);
      }
      nodes = newNodes(count, Ports::freeRange);
    } else if (wanted != null && wanted != nodes.size()) {
      throw new IllegalStateException(dir + " holds a cluster of " + nodes.size()
          + " nodes; start it without --nodes, or use another --dir");
    }
    List<Node> stopped = new ArrayList<>();
    List<Node> alreadyRunning = new ArrayList<>();
    for (Node node : nodes) {
      (process(node).isPresent() ? alreadyRunning : stopped).add(node);
    }
    if (stopped.isEmpty()) {
      err.println("cairn: a cluster is already running in " + dir + " (pids "
          + nodes.stream().map(n -> Long.toString(n.pid())).collect(Collectors.joining(", "))
          + "); stop it with 'cairn local stop" + dirFlag() + "'");
      return Main.FAILED;
    }

    long startNanos = System.nanoTime();
    Files.createDirectories(dir);
    String peers = nodes.stream()
        .map(n -> n.id() + "=" + n.address())
        .collect(Collectors.joining(","));
    out.println((alreadyRunning.isEmpty() ? "starting " : "restarting ") + stopped.size() + " of "
        + nodes.size() + " nodes in " + dir);
    for (Node node : stopped) {
      checkPortsFree(node);
    }
    // A fresh copy of the code for a whole new start; nodes restarted next to running ones get
    // the copy those run, so that one cluster never mixes two builds.
    String classPath = classPathSnapshot(alreadyRunning.isEmpty());
    Map<String, Long> spawned = new LinkedHashMap<>();
    List<Node> updated = new ArrayList<>(nodes);
    for (int i = 0; i < updated.size(); i++) {
      Node node = updated.get(i);
      if (stopped.contains(node)) {
        long pid = spawn(node, peers, classPath);
        spawned.put(node.id(), pid);
        updated.set(i, node.withProcess(pid, ProcessHandle.of(pid)
            .flatMap(p -> p.info().startInstant())
            .map(Instant::toEpochMilli).orElse(0L)));
        // Recorded at once, so that 'local stop' finds every node even if a later spawn fails.
        writeNodes(updated);
        out.println("  " + node.id() + " on " + node.address() + ", pid " + pid
            + ", log " + logFile(node));
      }
    }
    writeNodes(updated);

    Optional<ClusterStatus> ready = awaitReady(updated, spawned, startNanos);
    if (ready.isEmpty()) {
      return Main.FAILED;
    }
    String addresses = addresses(updated);
    writeAtomically(dir.resolve(CLUSTER_FILE), addresses + "\n");
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    out.printf(Locale.ROOT, "cluster of %d nodes up in %.1f s, leader %s%n", updated.size(),
        seconds, ready.get().leaderId());
    out.println("  addresses: " + addresses);
    out.println("  shell:     cairn shell --cluster " + addresses);
    out.println("  stop:      cairn local stop" + dirFlag());
    out.flush();
    return Main.OK;
  }

  /** Stops every running node: SIGTERM, then SIGKILL for those still up after 60 s. */
  int stop() throws IOException, InterruptedException {
    List<Node> nodes = nodes();
    if (nodes.isEmpty()) {
      err.println("cairn: no local cluster in " + dir);
      return Main.FAILED;
    }
    Map<Node, ProcessHandle> running = new LinkedHashMap<>();
    for (Node node : nodes) {
      process(node).ifPresent(handle -> {
        handle.destroy();
        running.put(node, handle);
      });
    }
    long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
    for (Node node : nodes) {
      ProcessHandle handle = running.get(node);
      if (handle == null) {
        out.println(node.id() + ": not running");
        continue;
      }
      if (awaitExit(handle, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
        out.println(node.id() + ": stopped (pid " + handle.pid() + ")");
      } else {
        handle.destroyForcibly();
        boolean gone = awaitExit(handle, Duration.ofSeconds(5));
        out.println(node.id() + ": did not stop within " + STOP_TIMEOUT.toSeconds() + " s; "
            + (gone ? "killed" : "could not be killed") + " (pid " + handle.pid() + ")");
      }
    }
    List<Node> updated = new ArrayList<>();
    for (Node node : nodes) {
      Files.deleteIfExists(pidFile(node));
      updated.add(node.withProcess(0, 0));
    }
    writeNodes(updated);
    classData.share(nodes.stream().map(this::nodeDir).toList()).ifPresent(out::println);
    out.flush();
    return Main.OK;
  }

  /** Each node's process, then the cluster as the client sees it if any node runs. */
  int status() throws IOException {
    List<Node> nodes = nodes();
    if (nodes.isEmpty()) {
      err.println("cairn: no local cluster in " + dir);
      return Main.FAILED;
    }
    TextTable table = new TextTable(false, false, true, false, false);
    table.row("NODE", "ADDRESS", "PID", "PROCESS", "LOG");
    int running = 0;
    for (Node node : nodes) {
      Optional<ProcessHandle> process = process(node);
      running += process.isPresent() ? 1 : 0;
      table.row(node.id(), node.address(),
          process.map(p -> Long.toString(p.pid())).orElse("-"),
          process.isPresent() ? "running" : "stopped", logFile(node).toString());
    }
    out.println("local cluster in " + dir);
    out.print(table.render());
    if (running == 0) {
      out.println("no node is running; start them with 'cairn local start" + dirFlag() + "'");
      out.flush();
      return Main.OK;
    }
    out.println();
    try (CairnClient client = CairnClient.builder()
        .addresses(addresses(nodes))
        .failoverTimeout(Duration.ofSeconds(3))
        .build()) {
      out.print(StatusTable.render(client.clusterStatus()));
    } catch (IOException | RuntimeException e) {
      out.println("cluster not reachable: " + e.getMessage());
    }
    out.flush();
    return Main.OK;
  }

  /** New nodes n1..nN on disjoint port ranges (each node takes P, P+1 and P+2). */
  static List<Node> newNodes(int count, IntSupplier freeRange) {
    List<Node> nodes = new ArrayList<>();
    for (int port : Ports.disjoint(count, freeRange)) {
      nodes.add(new Node("n" + (nodes.size() + 1), "127.0.0.1:" + port, 0));
    }
    return nodes;
  }

  /**
   * The flags of this JVM worth giving to node JVMs: memory, module access and the warnings
   * switches the launcher sets. Debugger and agent flags are left out, since a second JVM would
   * fight over the same port or file, and so are the flags meant for the command alone ({@link
   * #isCommandOnly}).
   */
  static List<String> childJvmFlags(List<String> flags) {
    List<String> kept = new ArrayList<>();
    for (String flag : flags) {
      boolean keep = flag.startsWith("--enable-native-access")
          || flag.startsWith("--sun-misc-unsafe-memory-access")
          || flag.startsWith("--add-opens")
          || flag.startsWith("--add-exports")
          || flag.equals("--enable-preview")
          || flag.startsWith("-Xmx")
          || flag.startsWith("-Xms")
          || flag.startsWith("-Xss")
          || ((flag.startsWith("-XX:") || flag.startsWith("-Dcairn.")) && !isCommandOnly(flag))
          || flag.startsWith("-Dfile.encoding=")
          || flag.startsWith("-Djava.net.prefer");
      if (keep) {
        kept.add(flag);
      }
    }
    return kept;
  }

  /**
   * True for a flag of the command's JVM that a node must not inherit: the launcher's limit on the
   * command's JIT (a node runs for weeks and needs its optimizing compiler), and the command's
   * class data and folder of shared class data (a node has its own, {@link NodeClassData}).
   */
  private static boolean isCommandOnly(String flag) {
    return flag.startsWith("-D" + NodeClassData.SHARED_DIR_PROPERTY + "=")
        || flag.startsWith("-XX:TieredStopAtLevel")
        || flag.startsWith("-XX:AOT")
        || flag.startsWith("-XX:SharedArchiveFile")
        || flag.startsWith("-XX:+AutoCreateSharedArchive");
  }

  /**
   * The JIT flag of a node JVM: its methods are compiled after a fifth of HotSpot's usual number
   * of calls. Raft's paths run once per log entry, not once per command, so with group commit
   * they reach the usual thresholds late, and a fresh node ran well below its speed for its first
   * 50,000 renames (see docs/architecture.md, "Start-up and warm-up"). The launcher gives `cairn
   * server` the same.
   */
  static final String NODE_JIT_FLAG = "-XX:CompileThresholdScaling=0.2";

  /**
   * A node JVM's flags: {@link #NODE_JIT_FLAG}, then those of {@code parentFlags} worth passing
   * on ({@link #childJvmFlags}). HotSpot takes the last of two settings of one flag, so a flag the
   * user gave this JVM overrides the node's own.
   */
  static List<String> nodeJvmFlags(List<String> parentFlags) {
    List<String> flags = new ArrayList<>();
    flags.add(NODE_JIT_FLAG);
    flags.addAll(childJvmFlags(parentFlags));
    return flags;
  }

  /** The command line that runs {@code node} as `cairn server` from {@code classPath}. */
  List<String> serverCommand(Node node, String peers, String classPath) throws IOException {
    List<String> command = new ArrayList<>();
    setsid().ifPresent(command::add);
    command.add(javaBinary());
    List<String> jvmFlags = nodeJvmFlags(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.addAll(jvmFlags);
    command.addAll(
        classData.flags(nodeDir(node), jvmFlags, classPath, Runtime.version().feature()));
    command.add("-cp");
    command.add(classPath);
    command.add(Main.class.getName());
    command.addAll(List.of("server", "--id", node.id(),
        "--data", nodeDir(node).resolve("data").toString(),
        "--listen", node.address(),
        "--peers", peers));
    return command;
  }

  /** Starts a node and returns its pid. */
  private long spawn(Node node, String peers, String classPath) throws IOException {
    Path nodeDir = nodeDir(node);
    Files.createDirectories(nodeDir);
    List<String> command = serverCommand(node, peers, classPath);
    Path log = logFile(node);
    Files.writeString(log, "=== " + Instant.now() + " cairn local: " + String.join(" ", command)
        + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    long pid = startInBackground(command, nodeDir, log);
    writeAtomically(pidFile(node), pid + "\n");
    return pid;
  }

  /**
   * Starts {@code command} in {@code dir}, its output appended to {@code log}, as a child of
   * sh(1), which prints its pid and exits: the node is no child of this JVM. A JVM that exits
   * while one of its threads waits for a child (the process reaper, one per child) lets that
   * thread run for 300 ms first, and a command that had started a cluster ended that much later.
   */
  static long startInBackground(List<String> command, Path dir, Path log) throws IOException {
    List<String> sh = new ArrayList<>(List.of("/bin/sh", "-c",
        "log=$1; shift; \"$@\" >>\"$log\" 2>&1 </dev/null & echo $!", "sh", log.toString()));
    sh.addAll(command);
    Process launcher = new ProcessBuilder(sh)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    String said = new String(launcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
        .strip();
    try {
      launcher.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting " + command.get(0), e);
    }
    try {
      return Long.parseLong(said);
    } catch (NumberFormatException e) {
      throw new IOException("could not start " + String.join(" ", command) + ": " + said);
    }
  }

  /**
   * Polls until the client reports a leader and every node up, a spawned node exits, or the start
   * timeout passes; prints progress every few seconds and a node's log tail if it died.
   */
  private Optional<ClusterStatus> awaitReady(
      List<Node> nodes, Map<String, Long> spawned, long startNanos)
      throws InterruptedException, IOException {
    long deadline = startNanos + START_TIMEOUT.toNanos();
    long nextProgress = System.nanoTime() + PROGRESS_INTERVAL.toNanos();
    String problem = "no answer yet";
    out.println("waiting for a leader and all nodes (up to " + START_TIMEOUT.toSeconds() + " s)...");
    out.flush();
    CairnClient client = null;
    try {
      while (true) {
        for (Node node : nodes) {
          Long pid = spawned.get(node.id());
          boolean dead = pid != null
              ? ProcessHandle.of(pid).filter(LocalCluster::running).isEmpty()
              : process(node).isEmpty();
          if (dead) {
            err.println("cairn: node " + node.id() + " exited during start; last lines of "
                + logFile(node) + ":");
            tail(logFile(node), LOG_TAIL_LINES).forEach(line -> err.println("  " + line));
            err.println("other nodes are left running; stop them with 'cairn local stop"
                + dirFlag() + "'");
            return Optional.empty();
          }
        }
        try {
          if (client == null) {
            client = CairnClient.builder()
                .addresses(addresses(nodes))
                .failoverTimeout(Duration.ofSeconds(2))
                .build();
          }
          ClusterStatus status = client.clusterStatus();
          long up = status.nodes().stream().filter(ClusterStatus.NodeState::up).count();
          boolean leader = status.leaderId() != null && !status.leaderId().isEmpty();
          if (leader && up == nodes.size()) {
            return Optional.of(status);
          }
          problem = (leader ? "leader " + status.leaderId() : "no leader yet") + ", " + up + " of "
              + nodes.size() + " nodes up";
        } catch (IOException | RuntimeException e) {
          problem = e.getMessage() != null ? e.getMessage() : e.toString();
        }
        long now = System.nanoTime();
        if (now > deadline) {
          err.println("cairn: the cluster did not come up within " + START_TIMEOUT.toSeconds()
              + " s (" + problem + "); see the logs in " + dir + "/n*/server.log."
              + " The nodes are left running; stop them with 'cairn local stop" + dirFlag()
              + "'");
          return Optional.empty();
        }
        if (now > nextProgress) {
          out.printf(Locale.ROOT, "  still waiting (%d s): %s%n",
              TimeUnit.NANOSECONDS.toSeconds(now - startNanos), problem);
          out.flush();
          nextProgress = now + PROGRESS_INTERVAL.toNanos();
        }
        Thread.sleep(POLL_INTERVAL.toMillis());
      }
    } finally {
      if (client != null) {
        client.close();
      }
    }
  }

  /**
   * The node's process if it runs. A pid can be reused by an unrelated process after the node
   * died, so the process must also have the recorded start time or, when that is unknown, a
   * command line naming this node's directory.
   */
  Optional<ProcessHandle> process(Node node) {
    if (node.pid() <= 0) {
      return Optional.empty();
    }
    return ProcessHandle.of(node.pid())
        .filter(LocalCluster::running)
        .filter(handle -> isNodeProcess(handle, node));
  }

  /**
   * Alive and not a zombie. A node is no child of this JVM (see {@link #startInBackground}): when
   * it dies, init reaps it, and until then Java takes it for alive. Where there is no /proc,
   * {@link ProcessHandle#isAlive} alone.
   */
  static boolean running(ProcessHandle handle) {
    if (!handle.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"),
          StandardCharsets.UTF_8);
      // pid (command) state ...: the command may hold spaces and parentheses, the state follows
      // the last ')'.
      int end = stat.lastIndexOf(')');
      return end < 0 || end + 2 >= stat.length() || stat.charAt(end + 2) != 'Z';
    } catch (IOException e) {
      return true;
    }
  }

  private boolean isNodeProcess(ProcessHandle handle, Node node) {
    Optional<Instant> started = handle.info().startInstant();
    if (node.startedMs() > 0 && started.isPresent()) {
      // Start times are derived from clock ticks; allow for rounding between two readings.
      return Math.abs(started.get().toEpochMilli() - node.startedMs()) < 1000;
    }
    String marker = nodeDir(node).toString();
    return commandLine(handle)
        .map(line -> line.contains(Main.class.getName()) && line.contains(marker))
        .orElse(true);
  }

  /**
   * The full command line: ProcessHandle.Info cuts long ones (a Maven test class path is), so on
   * Linux it is read from /proc.
   */
  private static Optional<String> commandLine(ProcessHandle handle) {
    Path proc = Path.of("/proc", Long.toString(handle.pid()), "cmdline");
    try {
      if (Files.isReadable(proc)) {
        return Optional.of(Files.readString(proc, StandardCharsets.UTF_8).replace('\0', ' '));
      }
    } catch (IOException e) {
      // Fall back on what the JDK knows.
    }
    return handle.info().commandLine();
  }

  /**
   * Refuses to start a node whose ports are taken: its server would fail to bind, while whatever
   * holds the ports (often a node of this very cluster started from elsewhere) answered for it.
   */
  private void checkPortsFree(Node node) {
    for (int port = node.port(); port < node.port() + Ports.PER_NODE; port++) {
      try (ServerSocket probe = new ServerSocket()) {
        probe.setReuseAddress(true);
        probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      } catch (IOException e) {
        throw new IllegalStateException("port " + port + " of node " + node.id() + " ("
            + node.address() + ") is in use by another process; stop it, or move this cluster"
            + " aside and start a new one");
      }
    }
  }

  Path nodeDir(Node node) {
    return dir.resolve(node.id());
  }

  Path logFile(Node node) {
    return nodeDir(node).resolve("server.log");
  }

  Path pidFile(Node node) {
    return nodeDir(node).resolve("pid");
  }

  private void writeNodes(List<Node> nodes) throws IOException {
    StringBuilder text = new StringBuilder("# id client-address pid (written by cairn local)\n");
    nodes.forEach(n -> text.append(n.line()).append('\n'));
    writeAtomically(dir.resolve(NODES_FILE), text.toString());
  }

  private static void writeAtomically(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(temp, text, StandardCharsets.UTF_8);
    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static String addresses(List<Node> nodes) {
    return nodes.stream().map(Node::address).collect(Collectors.joining(","));
  }

  /** " --dir DIR" unless DIR is the default ./cairn-local, for the hints printed to the user. */
  private String dirFlag() {
    Path defaultDir = Path.of(DEFAULT_DIR).toAbsolutePath().normalize();
    return dir.equals(defaultDir) ? "" : " --dir " + CommandLineSplitter.quote(dir.toString());
  }

  private static List<String> tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return all.subList(Math.max(0, all.size() - lines), all.size());
    } catch (IOException e) {
      return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
    }
  }

  /**
   * Waits up to {@code timeout} for the process to end; a zombie has (see {@link #running}).
   * Polled: Java learns that a process that is not its child has ended by polling too.
   */
  private static boolean awaitExit(ProcessHandle handle, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (running(handle)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(EXIT_POLL.toMillis());
    }
    return true;
  }

  private static final Duration EXIT_POLL = Duration.ofMillis(20);

  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /**
   * The class path nodes run from: a copy of this JVM's class path in DIR/classpath, made afresh
   * when {@code refresh} and reused otherwise. Nodes load classes lazily for as long as they run;
   * running them from the build's own jars would break them (NoClassDefFoundError) as soon as
   * Cairn is rebuilt, which the launcher does by itself whenever a source changes.
   */
  private String classPathSnapshot(boolean refresh) throws IOException {
    Path snapshot = dir.resolve(CLASSPATH_DIR);
    Path list = snapshot.resolve("classpath.txt");
    if (!refresh && Files.isRegularFile(list)) {
      return Files.readString(list, StandardCharsets.UTF_8).strip();
    }
    deleteRecursively(snapshot);
    Files.createDirectories(snapshot);
    List<String> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path source = entry.isEmpty() ? null : Path.of(entry).toAbsolutePath();
      if (source == null || !Files.exists(source)) {
        continue;
      }
      // Numbered, since two entries may share a name (target/classes of two modules).
      Path target = snapshot.resolve(String.format(Locale.ROOT, "%03d-%s", entries.size(),
          source.getFileName()));
      copyRecursively(source, target);
      entries.add(target.toString());
    }
    String classPath = String.join(File.pathSeparator, entries);
    Files.writeString(list, classPath + "\n", StandardCharsets.UTF_8);
    return classPath;
  }

  private static void copyRecursively(Path source, Path target) throws IOException {
    try (Stream<Path> paths = Files.walk(source)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        Path copy = target.resolve(source.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(copy);
        } else {
          // With their times: a class-data archive is valid only for jars of the same time
          // and size, and an unchanged build must not invalidate the nodes' archives.
          Files.copy(path, copy, StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  /**
   * setsid(1) puts a node in its own session, away from the terminal's signals and hangup. A child
   * of the JVM is not a process group leader, so setsid execs in place and the pid stays the
   * node's.
   */
  private static Optional<String> setsid() {
    for (String candidate : new String[] {"/usr/bin/setsid", "/bin/setsid"}) {
      if (Files.isExecutable(Path.of(candidate))) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
