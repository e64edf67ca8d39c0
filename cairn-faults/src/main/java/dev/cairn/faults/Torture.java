package dev.cairn.faults;

import dev.cairn.cli.Logging;
import dev.cairn.client.CairnClient;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;

/**
 * The fault-injection soak, {@code ./cairn torture --minutes N [--seed S] [--nodes 3]}: a cluster
 * of real node processes, client threads writing, overwriting, appending, renaming, deleting and
 * reading back files while others use small files as registers, and a {@link Nemesis} killing and
 * restarting nodes, for as long as asked.
 *
 * <p>The run is cut into epochs (a minute each by default). Each epoch uses fresh directories,
 * and ends with every check: the nodes come back, each serves the namespace, every acknowledged
 * write reads back, the register history is linearizable, every block converges to its
 * replication factor with no orphan left, replicas are identical, and nothing was quarantined.
 * The files of an epoch stay for two more epochs and are checked again at the end of each (data
 * at rest must survive later faults), then deleted. The run stops at the first failure and prints
 * it with the seed.
 *
 * <p>The seed fixes every random choice (when the nemesis strikes, whether it goes for the leader
 * or which node, for how long; what the clients do and with which bytes); thread timing, and so
 * which node leads at a given moment, is not reproducible: a seed reproduces a run's plan, not its
 * exact interleaving.
 *
 * <p>{@code NemesisTest} runs one epoch of this, so the soak and the default test suite share
 * their code.
 */
public final class Torture {
  /** Settings of a run. */
  public record Options(
      Duration duration,
      Duration epoch,
      long seed,
      int nodes,
      int fileThreads,
      int registerThreads,
      int registerKeys,
      Path dir,
      boolean keep) {

    public static Options defaults(Duration duration, long seed) {
      return new Options(duration, Duration.ofSeconds(60), seed, 3, 3, 3, 3, null, false);
    }

    public Options withNodes(int n) {
      return new Options(duration, epoch, seed, n, fileThreads, registerThreads, registerKeys,
          dir, keep);
    }

    public Options withDir(Path d, boolean keepIt) {
      return new Options(duration, epoch, seed, nodes, fileThreads, registerThreads,
          registerKeys, d, keepIt);
    }
  }

  /**
   * What a run did and found.
   *
   * @param checksPassed names of the checks that passed, in order ("epoch 1: history
   *     linearizable", ...)
   * @param failure the first failure, or null if every check passed
   * @param details what helps to understand the failure (every problem found, the nodes' log
   *     tails), or ""
   */
  public record Report(
      long seed,
      int nodes,
      Duration ran,
      int epochs,
      Map<Workload.Op, Long> fileOps,
      long registerOps,
      long indeterminate,
      long refusedWrites,
      long readErrors,
      int faults,
      int leaderKills,
      Map<String, Integer> killsPerNode,
      long linearizedOps,
      List<String> checksPassed,
      String failure,
      String details) {

    public boolean passed() {
      return failure == null;
    }

    public long operations() {
      return fileOps.values().stream().mapToLong(Long::longValue).sum() + registerOps;
    }

    /** The summary the soak prints at the end. */
    public String summary(String reproduce) {
      StringBuilder b = new StringBuilder();
      b.append(String.format(Locale.ROOT, "torture summary: seed %d, %d nodes, %s, %d epoch(s)%n",
          seed, nodes, human(ran), epochs));
      StringBuilder kinds = new StringBuilder();
      fileOps.forEach((k, v) -> kinds.append(kinds.isEmpty() ? "" : ", ")
          .append(k.name().toLowerCase(Locale.ROOT)).append(' ').append(v));
      b.append(String.format(Locale.ROOT,
          "  operations: %d acknowledged (files: %s; registers: %d), %d indeterminate, %d writes"
              + " refused as too slow, %d failed reads%n", operations(), kinds, registerOps,
          indeterminate, refusedWrites, readErrors));
      b.append(String.format(Locale.ROOT, "  faults:     %d kill -9 (%s; the leader %d times)%n",
          faults, killsPerNode, leaderKills));
      b.append(String.format(Locale.ROOT,
          "  checks:     %d passed; %d register operations checked for linearizability%n",
          checksPassed.size(), linearizedOps));
      if (passed()) {
        b.append("  result:     PASSED\n");
      } else {
        b.append("  result:     FAILED: ").append(failure).append('\n');
        b.append("  reproduce:  ").append(reproduce).append('\n');
      }
      return b.toString();
    }
  }

  private Torture() {}

  // ------------------------------------------------------------------------------ main

  static final String USAGE = "usage: cairn torture --minutes N [--seed S] [--nodes 3]"
      + " [--dir DIR] [--keep]\n"
      + "  --minutes N   time under faults (decimals allowed; --seconds N also works)\n"
      + "  --seed S      replays the plan of an earlier run (random if not given)\n"
      + "  --nodes N     node processes, 3 to 7 (the nemesis kills up to (N-1)/2 at once)\n"
      + "  --dir DIR     where the nodes' data and logs go (a temp directory if not given)\n"
      + "  --keep        keep DIR afterwards (it is always kept when a check fails)";

  /**
   * {@code --minutes N [--seed S] [--nodes 3] [--dir DIR] [--keep]}: exit status 0 if every
   * check passed, 1 at the first failure, 2 for bad arguments.
   */
  public static void main(String[] args) {
    quietLogging();
    if (List.of(args).contains("-h") || List.of(args).contains("--help")) {
      System.out.println(USAGE);
      System.exit(0);
      return;
    }
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("torture: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    Report report = run(options, System.out);
    System.out.print(report.summary(reproduceLine(options)));
    if (!report.passed() && !report.details().isEmpty()) {
      System.out.println(report.details());
    }
    System.out.flush();
    System.exit(report.passed() ? 0 : 1);
  }

  static String reproduceLine(Options o) {
    long seconds = o.duration().toSeconds();
    String length = seconds % 60 == 0 ? "--minutes " + seconds / 60 : "--seconds " + seconds;
    return "./cairn torture " + length + " --seed " + o.seed() + " --nodes " + o.nodes();
  }

  static Options parse(String[] args) {
    Duration duration = null;
    Long seed = null;
    int nodes = 3;
    Path dir = null;
    boolean keep = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--minutes" -> duration = Duration.ofSeconds(
            Math.round(Double.parseDouble(value(args, ++i, a)) * 60));
        case "--seconds" -> duration = Duration.ofSeconds(Long.parseLong(value(args, ++i, a)));
        case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
        case "--nodes" -> nodes = Integer.parseInt(value(args, ++i, a));
        case "--dir" -> dir = Path.of(value(args, ++i, a));
        case "--keep" -> keep = true;
        default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
      }
    }
    if (duration == null) {
      throw new IllegalArgumentException("--minutes is required");
    }
    if (duration.toSeconds() < 10) {
      throw new IllegalArgumentException("run for at least 10 seconds");
    }
    if (nodes < 3 || nodes > 7) {
      throw new IllegalArgumentException("--nodes must be 3 to 7");
    }
    long s = seed != null ? seed : System.nanoTime() ^ 0x5DEECE66DL;
    return Options.defaults(duration, s).withNodes(nodes).withDir(dir, keep);
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }

  /**
   * Only errors from Cairn and the libraries: the soak's own lines are the output. Must run before
   * anything logs.
   */
  static void quietLogging() {
    Logging.setLevels("ERROR", "ERROR", Level.SEVERE);
  }

  // ------------------------------------------------------------------------------ the run

  /** Runs the soak and returns its report; prints progress lines to {@code out}. */
  public static Report run(Options options, PrintStream out) {
    return new Run(options, out).execute();
  }

  private static final class Run {
    final Options o;
    final PrintStream out;
    final long started = System.nanoTime();
    final Map<Workload.Op, Long> fileOps = new EnumMap<>(Workload.Op.class);
    final List<String> passed = new ArrayList<>();
    final Map<String, Integer> killsPerNode = new LinkedHashMap<>();
    final AtomicLong registerOps = new AtomicLong();
    final Deque<Workload> retained = new ArrayDeque<>();
    long indeterminate;
    long refusedWrites;
    long readErrors;
    long linearized;
    int faults;
    int leaderKills;
    int epochs;
    String failure;
    String details = "";
    ProcessCluster cluster;

    Run(Options o, PrintStream out) {
      this.o = o;
      this.out = out;
      for (Workload.Op op : Workload.Op.values()) {
        fileOps.put(op, 0L);
      }
    }

    Report execute() {
      ProcessCluster.Options settings = new ProcessCluster.Options()
          .nodes(o.nodes())
          .baseDir(o.dir())
          .keepBaseDir(o.keep());
      try {
        cluster = ProcessCluster.onLoopback(settings);
        say("seed %d: %d nodes in %s, %s in epochs of %s", o.seed(), o.nodes(),
            cluster.baseDir(), human(o.duration()), human(o.epoch()));
        cluster.start(Duration.ofSeconds(120));
        say("cluster up: %s", cluster.addresses());
        // The duration is the time under faults; starting the cluster does not count.
        long end = System.nanoTime() + o.duration().toNanos();
        while (failure == null && System.nanoTime() < end) {
          Duration left = Duration.ofNanos(end - System.nanoTime());
          // A short remainder is folded into the epoch before it rather than run on its own.
          Duration length = left.compareTo(o.epoch().plus(o.epoch().dividedBy(2))) < 0
              ? left : o.epoch();
          epoch(++epochs, length);
        }
      } catch (Exception e) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        fail("the run itself failed: " + e, trace.toString());
      } finally {
        if (cluster != null) {
          if (failure != null) {
            details = details + (details.isEmpty() ? "" : "\n") + cluster.logTails()
                + "node data and logs (with thread dumps) kept in " + cluster.baseDir();
            cluster.dumpThreads();
            settings.keepBaseDir(true);
          }
          try {
            cluster.close();
          } catch (IOException e) {
            say("cannot clean up %s: %s", cluster.baseDir(), e);
          }
        }
      }
      return new Report(o.seed(), o.nodes(), Duration.ofNanos(System.nanoTime() - started),
          epochs, fileOps, registerOps.get(), indeterminate, refusedWrites, readErrors, faults,
          leaderKills, killsPerNode, linearized, passed, failure, details);
    }

    void epoch(int n, Duration length) throws Exception {
      long seed = mix(o.seed(), n);
      String root = "/torture/e" + n;
      say("epoch %d: %s of faults and load under %s", n, human(length), root);
      Workload files = new Workload(root + "/files", o.fileThreads(), seed,
          cluster.options().blockSize(), () -> cluster.newClient(Duration.ofSeconds(30)));
      RegisterWorkload registers = new RegisterWorkload(root + "/registers", o.registerKeys(),
          o.registerThreads(), seed, () -> cluster.newClient(Duration.ofSeconds(30)));
      Nemesis nemesis = new Nemesis(cluster, seed, line -> say("  %s", line));
      try (CairnClient client = cluster.newClient(Duration.ofSeconds(30))) {
        files.start(client);
        registers.start(client);
        nemesis.start();
        long epochEnd = System.nanoTime() + length.toNanos();
        long nextProgress = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < epochEnd && files.failures().isEmpty()
            && nemesis.failures().isEmpty() && cluster.unexpectedExits().isEmpty()) {
          Thread.sleep(200); // pacing of the progress lines
          if (System.nanoTime() >= nextProgress) {
            nextProgress += 10_000_000_000L;
            say("  %d file ops, %d register ops, %d indeterminate, %d faults, down: %s",
                files.acknowledgedTotal(), registers.completed(),
                files.indeterminate() + registers.indeterminate(), nemesis.faults(),
                nemesis.down());
          }
        }
        nemesis.stop();
        files.stop();
        registers.stop();
        account(files, registers, nemesis);
        say("  load stopped: %d file ops, %d register ops; checking", files.acknowledgedTotal(),
            registers.completed());

        check(n, "the nemesis brought every node back", () -> nemesis.failures());
        check(n, "no node process died by itself", cluster::unexpectedExits);
        check(n, "no operation read wrong data or was refused", () -> {
          List<String> problems = new ArrayList<>(files.failures());
          problems.addAll(registers.refusals());
          return problems;
        });
        check(n, "the nodes are all up with a leader", () -> {
          cluster.awaitReady(Duration.ofSeconds(90));
          return List.of();
        });
        check(n, "every node serves the namespace itself", this::everyNodeServes);
        check(n, "every acknowledged write reads back", () -> files.verify(client));
        for (Workload earlier : retained) {
          check(n, "files of an earlier epoch (" + earlier.root() + ") still read back",
              () -> earlier.verify(client));
        }
        check(n, "the register history is linearizable", () -> linearizable(registers));
        try (ClusterChecker checker = new ClusterChecker(client, cluster.addressMap(),
            cluster.dataDirs(), cluster.options().effectiveReplication())) {
          Duration patience = cluster.options().orphanGrace().plus(Duration.ofSeconds(60));
          check(n, "every block has its replicas and no orphan is left",
              () -> checker.awaitConverged(patience));
          check(n, "the replicas of every block are identical", checker::replicaProblems);
          check(n, "no replica was quarantined", checker::quarantined);
        }
        if (failure == null) {
          retained.addLast(files);
          while (retained.size() > 2) {
            Workload old = retained.removeFirst();
            client.delete(old.root().substring(0, old.root().lastIndexOf('/')), true);
          }
          say("epoch %d passed (%d checks so far)", n, passed.size());
        }
      } finally {
        // On an early exit (a failure) the threads must not outlive the epoch.
        nemesis.stop();
        files.stop();
        registers.stop();
      }
    }

    void account(Workload files, RegisterWorkload registers, Nemesis nemesis) {
      files.acknowledged().forEach((k, v) -> fileOps.merge(k, v, Long::sum));
      registerOps.addAndGet(registers.completed());
      indeterminate += files.indeterminate() + registers.indeterminate();
      refusedWrites += files.refusedUploads();
      readErrors += files.readErrors();
      faults += nemesis.faults();
      leaderKills += nemesis.leaderKills();
      nemesis.killsPerNode().forEach((k, v) -> killsPerNode.merge(k, v, Integer::sum));
      if (!files.firstErrors().isEmpty()) {
        say("  errors seen (first of each kind): %s", files.firstErrors());
      }
    }

    /**
     * Asks every node on its own (a client that knows only that node) for the root directory: a
     * node whose path to the namespace is broken fails here even while the others hide it from
     * clients that can fail over.
     */
    List<String> everyNodeServes() {
      List<String> problems = new ArrayList<>();
      for (String id : cluster.ids()) {
        try (CairnClient only = cluster.clientFor(List.of(id), Duration.ofSeconds(10))) {
          only.stat("/");
        } catch (IOException | RuntimeException e) {
          problems.add(id + " cannot serve the namespace: " + e.getMessage());
        }
      }
      return problems;
    }

    List<String> linearizable(RegisterWorkload registers) {
      List<History.Op> ops = registers.history().ops();
      List<String> problems = new ArrayList<>();
      for (LinearizabilityChecker.Result r : LinearizabilityChecker.check(ops)) {
        linearized += r.ops();
        if (!r.linearizable()) {
          problems.add(r.toString());
        }
      }
      return problems;
    }

    interface Check {
      List<String> problems() throws Exception;
    }

    void check(int epoch, String name, Check check) {
      if (failure != null) {
        return;
      }
      long t0 = System.nanoTime();
      List<String> problems;
      try {
        problems = check.problems();
      } catch (Exception e) {
        problems = List.of(e.toString());
      }
      String label = "epoch " + epoch + ": " + name;
      if (problems.isEmpty()) {
        passed.add(label);
        say("  ok   %s (%.1f s)", name, (System.nanoTime() - t0) / 1e9);
      } else {
        say("  FAIL %s", name);
        fail(label + ": " + problems.get(0) + (problems.size() > 1
            ? " (and " + (problems.size() - 1) + " more)" : ""), String.join("\n", problems));
      }
    }

    void fail(String what, String more) {
      if (failure == null) {
        failure = what;
        details = more;
      }
    }

    void say(String format, Object... args) {
      double t = (System.nanoTime() - started) / 1e9;
      out.printf(Locale.ROOT, "[%6.1fs] %s%n", t, String.format(Locale.ROOT, format, args));
      out.flush();
    }
  }

  /** A seed per epoch, well mixed (SplitMix64). */
  static long mix(long seed, int epoch) {
    long z = seed + epoch * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  static String human(Duration d) {
    long s = d.toSeconds();
    return s >= 60 ? String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60) : s + " s";
  }
}
