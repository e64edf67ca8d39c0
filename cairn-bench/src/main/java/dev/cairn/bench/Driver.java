package dev.cairn.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One round of the suite against one system, in a JVM of its own whose class path holds that
 * system's client only: launches the cluster, measures the time until it takes a write, runs the
 * workloads, kills the leader, and tears everything down. Results go to stdout as {@link Results}
 * lines, progress to stderr.
 *
 * <p>Arguments: {@code --system cairn|hdfs --dir DIR [--large-mib N] [--files N] [--threads
 * 1,8,32] [--op-threads 8] [--stat-passes N] [--listings N] [--warm-up-files N]
 * [--warm-up-seconds S] [--server-flag FLAG]... [--class-data DIR] [--jfr DIR] [--train]
 * [--no-leader-loss]}. With
 * {@code --warm-up-files N} (N > 0), the workloads first run unmeasured, in passes, with N small
 * files per phase and a file a tenth of the large one's size, for S seconds at most (see {@link
 * Workloads#warmUp}). With {@code --train} it is a training round, run for the class data its
 * servers write when they stop: no CPU accounting and no leader loss, so that every server stops
 * cleanly. With {@code --no-leader-loss} the round ends after the CPU accounting: the in-memory
 * round, which measures where the operations' time goes, not a failover.
 */
public final class Driver {
  private Driver() {}

  static final double READY_TIMEOUT_SECONDS = 180;

  public static void main(String[] args) throws Exception {
    String system = null;
    Path dir = null;
    long largeMib = 1024;
    int files = 5000;
    List<Integer> threads = List.of(1, 8, 32);
    int opThreads = 8;
    int statPasses = 4;
    int listings = 10;
    int warmUpFiles = 0;
    double warmUpSeconds = Plan.fullRun().warmUpSeconds();
    List<String> serverFlags = new ArrayList<>();
    Path jfr = null;
    Path classData = null;
    boolean train = false;
    boolean leaderLoss = true;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--system" -> system = args[++i];
        case "--dir" -> dir = Path.of(args[++i]);
        case "--large-mib" -> largeMib = Long.parseLong(args[++i]);
        case "--files" -> files = Integer.parseInt(args[++i]);
        case "--threads" -> threads = parseInts(args[++i]);
        case "--op-threads" -> opThreads = Integer.parseInt(args[++i]);
        case "--stat-passes" -> statPasses = Integer.parseInt(args[++i]);
        case "--listings" -> listings = Integer.parseInt(args[++i]);
        case "--warm-up-files" -> warmUpFiles = Integer.parseInt(args[++i]);
        case "--warm-up-seconds" -> warmUpSeconds = Double.parseDouble(args[++i]);
        case "--server-flag" -> serverFlags.add(args[++i]);
        case "--jfr" -> jfr = Path.of(args[++i]);
        case "--class-data" -> classData = Path.of(args[++i]);
        case "--train" -> train = true;
        case "--no-leader-loss" -> leaderLoss = false;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (system == null || dir == null) {
      throw new IllegalArgumentException("--system and --dir are required");
    }
    Files.createDirectories(dir);
    SystemUnderTest sut = load(system);
    Runtime.getRuntime().addShutdownHook(new Thread(sut::close, "driver-cleanup"));
    int status = 0;
    try {
      rehearseProbe(sut);
      Progress.say("starting the %s cluster", sut.name());
      long start = System.nanoTime();
      sut.launch(dir, serverFlags, classData, jfr);
      double ready = awaitWritable(sut, start);
      Results.result("ready_s", ready);
      Progress.say("  ready for writes after %.2f s", ready);

      Path pids = dir.resolve(ServerProcess.PIDS_FILE);
      try (FsClient client = sut.client()) {
        Workloads w = new Workloads(client, train ? null : () -> CpuUse.servers(pids));
        long large = largeMib << 20;
        if (warmUpFiles > 0) {
          long warmUpBytes = Math.max(1, largeMib / 10) << 20;
          int n = warmUpFiles;
          List<Integer> writers = threads;
          int ot = opThreads;
          int passes = statPasses;
          double limit = warmUpSeconds;
          Workloads.guarded("warm_up",
              () -> w.warmUp(warmUpBytes, n, limit, writers, ot, passes));
        }
        Workloads.guarded("large", () -> w.largeFile(large));
        for (int t : threads) {
          int n = files;
          Workloads.guarded("small_write_t" + t, () -> w.smallWrites(n, t));
        }
        w.smallOps(files, Workloads.operatedOn(threads, opThreads), opThreads, statPasses,
            listings);
        w.cleanUp(threads);
        if (!train) {
          // Before the stall workload, which kills a server and with it that process's count.
          Workloads.guarded("cpu", () -> {
            CpuUse servers = CpuUse.servers(pids);
            Results.result("cpu_servers_s", servers.seconds());
            Results.result("cpu_servers_jit_s", servers.jitSeconds());
            CpuUse self = CpuUse.of(List.of(ProcessHandle.current().pid()));
            Results.result("cpu_client_s", self.seconds());
            Results.result("cpu_client_jit_s", self.jitSeconds());
          });
          if (leaderLoss) {
            Workloads.guarded("stall", () -> w.leaderLoss(sut, 2.0, 120.0));
          }
        }
      }
    } catch (Exception | Error e) {
      Results.error("round", e);
      status = 1;
    } finally {
      Progress.say("stopping the %s cluster", sut.name());
      sut.close();
    }
    System.out.flush();
    System.exit(status);
  }

  /**
   * Writes once through a probe client to a port where nothing listens, and expects it to fail:
   * the first write of a fresh client loads and compiles the client's code, which in this new JVM
   * took the cores from the servers starting beside it and put about half a second on the
   * start-to-ready time of a round. Done the same way for both systems, before the clock starts.
   */
  static void rehearseProbe(SystemUnderTest sut) throws IOException {
    int port = ServerProcess.freeLoopbackPort();
    try (FsClient probe = sut.probeClient(port)) {
      probe.write("/ready-probe", new byte[Workloads.SMALL_FILE_BYTES]);
    } catch (IOException | RuntimeException expected) {
      return;
    }
    throw new IllegalStateException("a write to 127.0.0.1:" + port + " succeeded, where nothing"
        + " listens");
  }

  /**
   * Seconds from launching the processes until a 4 KiB write succeeds. Polls with a fail-fast
   * client every 20 ms.
   */
  static double awaitWritable(SystemUnderTest sut, long startNanos) throws Exception {
    byte[] data = new byte[Workloads.SMALL_FILE_BYTES];
    long deadline = startNanos + (long) (READY_TIMEOUT_SECONDS * 1e9);
    String last = "no attempt yet";
    long nextNote = System.nanoTime() + 10_000_000_000L;
    try (FsClient probe = sut.probeClient()) {
      while (true) {
        try {
          probe.write("/ready-probe", data);
          return Workloads.seconds(startNanos);
        } catch (IOException | RuntimeException e) {
          last = e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
        }
        long now = System.nanoTime();
        if (now > deadline) {
          throw new IOException("the cluster took no write within " + READY_TIMEOUT_SECONDS
              + " s; last error: " + last);
        }
        if (now > nextNote) {
          Progress.say("  still waiting for the cluster (%s)", last);
          nextNote = now + 10_000_000_000L;
        }
        Thread.sleep(20);
      }
    }
  }

  static SystemUnderTest load(String system) throws ReflectiveOperationException {
    String className = switch (system) {
      case "cairn" -> "dev.cairn.bench.cairn.CairnSystem";
      case "hdfs" -> "dev.cairn.bench.hdfs.HdfsSystem";
      default -> throw new IllegalArgumentException("unknown system " + system);
    };
    return (SystemUnderTest) Class.forName(className).getDeclaredConstructor().newInstance();
  }

  static List<Integer> parseInts(String csv) {
    List<Integer> out = new ArrayList<>();
    for (String s : csv.split(",")) {
      out.add(Integer.parseInt(s.strip()));
    }
    return List.copyOf(out);
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
