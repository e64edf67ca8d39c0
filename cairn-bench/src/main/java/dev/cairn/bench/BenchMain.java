package dev.cairn.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code ./cairn bench [--quick]}: measures the machine's physical limits, runs the workload
 * suite against Cairn and HDFS in alternating rounds (A B A B), measures the namespace's heap per
 * file on both, runs one more round of each with its data in memory (where the operations' time
 * goes), prints one table and writes it, with the machine and the targets, to BENCHMARKS.md.
 *
 * <p>This JVM needs the JDK only. Every measurement runs in a child JVM with one system's class
 * path (see {@link Driver}); all data lives in one temporary directory that is deleted at the
 * end, and every child process is killed at the end, on failure and on Ctrl-C too.
 *
 * <p>Options: {@code --quick}, {@code --rounds N}, {@code --heap-files N}, {@code --no-heap},
 * {@code --no-warm-up} (each round's workloads on JVMs that have run nothing before them),
 * {@code --only cairn|hdfs}, {@code --out FILE} (default $CAIRN_HOME/BENCHMARKS.md), {@code
 * --work-dir DIR} (parent of the temporary directory), {@code --jfr} (flight recordings of every
 * server into cairn-bench/target/jfr), {@code --command TEXT} (the command
 * line to quote in BENCHMARKS.md).
 */
public final class BenchMain {
  private static final String JAR_PREFIX = "cairn-bench-";
  /** The module with the HDFS side, outside the default build: it needs Hadoop's jars. */
  private static final String HDFS_MODULE = "cairn-bench-hdfs";
  private static final String HDFS_JAR_PREFIX = "cairn-bench-hdfs-";
  /** What follows {@link #roundName} in the name of a round's driver log. */
  private static final String DRIVER_LOG = "-driver.log";

  private final Path home;
  private final Path target;
  private final Plan plan;
  private final Options options;
  private final List<Process> children = new CopyOnWriteArrayList<>();
  private final long startNanos = System.nanoTime();
  private Path work;
  /** The in-memory round's directory while it runs (in {@link Machine#MEMORY_FS}), else null. */
  private volatile Path memoryWork;

  record Options(Path out, Path workParent, boolean jfr, boolean heap, String only,
      String command) {}

  private BenchMain(Path home, Plan plan, Options options) {
    this.home = home;
    this.target = home.resolve("cairn-bench").resolve("target");
    this.plan = plan;
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    Plan plan = Plan.fullRun();
    Integer rounds = null;
    Integer heapFiles = null;
    String envHome = System.getenv("CAIRN_HOME");
    Path home = Path.of(envHome != null && !envHome.isEmpty() ? envHome : ".")
        .toAbsolutePath().normalize();
    Path out = null;
    Path workParent = Path.of(System.getProperty("java.io.tmpdir"));
    boolean jfr = false;
    boolean heap = true;
    boolean warmUp = true;
    String only = null;
    String command = null;
    Path renderLogs = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> plan = Plan.quickRun();
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--heap-files" -> heapFiles = Integer.parseInt(args[++i]);
        case "--no-heap" -> heap = false;
        case "--no-warm-up" -> warmUp = false;
        case "--only" -> only = args[++i];
        case "--out" -> out = Path.of(args[++i]).toAbsolutePath();
        case "--work-dir" -> workParent = Path.of(args[++i]).toAbsolutePath();
        case "--jfr" -> jfr = true;
        case "--command" -> command = args[++i];
        case "--render-logs" -> renderLogs = Path.of(args[++i]).toAbsolutePath();
        case "-h", "--help" -> {
          System.out.println("usage: cairn bench [--quick] [--rounds N] [--heap-files N]"
              + " [--no-heap] [--no-warm-up] [--only cairn|hdfs] [--out FILE] [--work-dir DIR]"
              + " [--jfr]");
          return;
        }
        default -> {
          System.err.println("cairn bench: unknown option " + args[i] + " (try --help)");
          System.exit(2);
        }
      }
    }
    if (rounds != null) {
      plan = plan.withRounds(rounds);
    }
    if (heapFiles != null) {
      plan = plan.withHeapFiles(heapFiles);
    }
    if (!warmUp) {
      plan = plan.withWarmUpFiles(0);
    }
    if (command == null) {
      command = "java -cp cairn-bench.jar " + BenchMain.class.getName() + " "
          + String.join(" ", args);
    }
    if (out == null) {
      out = home.resolve("BENCHMARKS.md");
    }
    if (renderLogs != null) {
      System.exit(render(renderLogs, out));
    }
    BenchMain bench = new BenchMain(home, plan,
        new Options(out, workParent, jfr, heap, only, command.strip()));
    int status = bench.run();
    System.exit(status);
  }

  private int run() throws Exception {
    Path jar = findJar(target, JAR_PREFIX, "cairn-bench");
    String cairnCp = jar + File.pathSeparator + target.resolve("cairn-lib") + File.separator + "*";
    // The HDFS side's code and Hadoop's jars come from the module outside the default build.
    String hadoopCp = null;
    if (!"cairn".equals(options.only())) {
      Path hdfsTarget = home.resolve(HDFS_MODULE).resolve("target");
      hadoopCp = jar + File.pathSeparator + findJar(hdfsTarget, HDFS_JAR_PREFIX, HDFS_MODULE)
          + File.pathSeparator + hdfsTarget.resolve("hadoop-lib") + File.separator + "*";
    }
    Files.createDirectories(options.workParent());
    work = Files.createTempDirectory(options.workParent(), "cairn-bench-");
    Thread cleanup = new Thread(this::cleanUp, "bench-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    String date = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
    List<String> errors = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    List<Map<String, Double>> cairn = new ArrayList<>();
    List<Map<String, Double>> hdfs = new ArrayList<>();
    Path jfrRoot = options.jfr() ? target.resolve("jfr").resolve(stamp()) : null;
    try {
      Files.createDirectories(classDataDir());
      say("Cairn vs HDFS, %s run: %d rounds, %d MiB file, %,d small files, heap with %,d files",
          plan.quick() ? "quick" : "full", plan.rounds(), plan.largeMib(), plan.files(),
          plan.heapFiles());
      say("working in %s", work);
      Machine.Facts facts = Machine.facts(work);
      say("machine: %d cores, %s memory; measuring its physical limits", facts.cores(),
          Machine.gib(facts.memoryBytes()));
      Machine.Limits limits = null;
      try {
        limits = Machine.limits(work, plan.ddMib(), plan.syncWrites());
        say("  dd sequential write with fdatasync %.0f MB/s; %.0f small synchronous writes/s,"
            + " %.0f/s each of 3 at once; quorums of 3 log syncs %.0f/s (p50 %.2f ms);"
            + " loopback TCP %.0f MB/s; CRC32C %.0f MB/s",
            limits.ddWriteMBps(), limits.syncWritesPerSecond(),
            limits.syncWritesPerSecondOfThree(), limits.quorum().roundsPerSecond(),
            limits.quorum().p50Ms(), limits.loopbackMBps(), limits.crc32cMBps());
      } catch (IOException e) {
        errors.add("physical limits: " + e.getMessage());
        say("  could not measure the physical limits: %s", e.getMessage());
      }

      if (!options.jfr()) {
        if (!"hdfs".equals(options.only())) {
          trainIfNeeded("cairn", cairnCp, errors, notes);
        }
        if (!"cairn".equals(options.only())) {
          trainIfNeeded("hdfs", hadoopCp, errors, notes);
        }
      }
      for (int r = 1; r <= plan.rounds(); r++) {
        Map<String, Double> c = new HashMap<>();
        Map<String, Double> h = new HashMap<>();
        cairn.add(c);
        hdfs.add(h);
        Path jfrDir = jfrRoot == null ? null : jfrRoot.resolve("round-" + r);
        if (jfrDir != null) {
          Files.createDirectories(jfrDir);
        }
        if (!"hdfs".equals(options.only())) {
          runDriver("cairn", r, cairnCp, jfrDir, c, errors, notes);
        }
        if (!"cairn".equals(options.only())) {
          runDriver("hdfs", r, hadoopCp, jfrDir, h, errors, notes);
        }
        if (options.heap()) {
          if (!"hdfs".equals(options.only())) {
            for (String shape : List.of("empty", "block", "inline4k")) {
              int n = shape.equals("inline4k") ? Math.min(plan.heapFiles(), 200_000)
                  : plan.heapFiles();
              runChild("round " + r + "/" + plan.rounds() + " cairn heap (" + shape + ")",
                  heapFlags(), cairnCp, "dev.cairn.bench.cairn.CairnHeap",
                  List.of("--files", Integer.toString(n), "--shape", shape),
                  work.resolve("heap-r" + r + "-cairn-" + shape + ".log"), 1800, c, errors,
                  notes);
            }
          }
          if (!"cairn".equals(options.only())) {
            Path dir = work.resolve("heap-r" + r + "-hdfs");
            runChild("round " + r + "/" + plan.rounds() + " hdfs heap", heapFlags(), hadoopCp,
                "dev.cairn.bench.hdfs.HdfsHeap",
                List.of("--dir", dir.toString(), "--files", Integer.toString(plan.heapFiles())),
                work.resolve("heap-r" + r + "-hdfs.log"), 3600, h, errors, notes);
            deleteTree(dir);
          }
        }
      }

      Map<String, Double> cairnInMemory = new HashMap<>();
      Map<String, Double> hdfsInMemory = new HashMap<>();
      Path memory = Machine.memoryDirectory();
      if (memory == null) {
        notes.add("no memory file system (" + Machine.MEMORY_FS + ", with "
            + Machine.gib(Machine.MEMORY_ROOM_BYTES) + " free): the in-memory round was not run");
      } else {
        memoryWork = Files.createTempDirectory(memory, "cairn-bench-");
        try {
          if (!"hdfs".equals(options.only())) {
            runMemoryRound("cairn", cairnCp, cairnInMemory, errors, notes);
          }
          if (!"cairn".equals(options.only())) {
            runMemoryRound("hdfs", hadoopCp, hdfsInMemory, errors, notes);
          }
        } finally {
          deleteTree(memoryWork);
          memoryWork = null;
        }
      }

      double minutes = (System.nanoTime() - startNanos) / 6e10;
      writeRunProperties(plan, date, minutes, limits, errors);
      Report report = new Report(new Report.Run(plan, options.command(), date, facts, limits,
          cairn, hdfs, errors, dedupe(notes), jvmDescription(), flags(), minutes, cairnInMemory,
          hdfsInMemory));
      publish(report, options.out());
      if (jfrRoot != null) {
        System.out.println("flight recordings in " + jfrRoot);
      }
      if (!errors.isEmpty()) {
        System.out.println(errors.size() + " failure(s); see BENCHMARKS.md and the logs");
      }
      return errors.isEmpty() ? 0 : 1;
    } finally {
      cleanUp();
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }

  private static String jvmDescription() {
    return "java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ", "
        + System.getProperty("java.home") + ")";
  }

  private static Map<String, List<String>> flags() {
    Map<String, List<String>> flags = new LinkedHashMap<>();
    flags.put("each Cairn node", serverFlags("cairn"));
    flags.put("the HDFS cluster JVM", serverFlags("hdfs"));
    flags.put("each benchmark client JVM", clientFlags());
    flags.put("each heap-measurement JVM", heapFlags());
    return flags;
  }

  /** Prints the table and the targets, and writes the document. */
  private static void publish(Report report, Path out) throws IOException {
    System.out.println();
    System.out.print(report.text());
    System.out.println();
    for (Report.Target t : report.targets()) {
      System.out.println((t.met() == null ? "[ -- ] " : t.met() ? "[ met ] " : "[NOT met] ")
          + t.goal());
    }
    Files.writeString(out, report.markdown(), StandardCharsets.UTF_8);
    System.out.println();
    System.out.println("written to " + out);
  }

  /**
   * Everything of the run that is not in the children's logs, beside them, so that {@code
   * --render-logs} can write the document again from the kept logs alone.
   */
  private void writeRunProperties(Plan plan, String date, double minutes, Machine.Limits limits,
      List<String> errors) throws IOException {
    Properties p = new Properties();
    p.setProperty("quick", Boolean.toString(plan.quick()));
    p.setProperty("rounds", Integer.toString(plan.rounds()));
    p.setProperty("heapFiles", Integer.toString(plan.heapFiles()));
    p.setProperty("warmUpFiles", Integer.toString(plan.warmUpFiles()));
    p.setProperty("warmUpSeconds", Integer.toString(plan.warmUpSeconds()));
    p.setProperty("command", options.command());
    p.setProperty("date", date);
    p.setProperty("minutes", Double.toString(minutes));
    if (limits != null) {
      p.setProperty("ddWriteMBps", Double.toString(limits.ddWriteMBps()));
      p.setProperty("ddCommand", limits.ddCommand());
      p.setProperty("syncWritesPerSecond", Double.toString(limits.syncWritesPerSecond()));
      p.setProperty("syncCommand", limits.syncCommand());
      p.setProperty("syncWritesPerSecondOfThree",
          Double.toString(limits.syncWritesPerSecondOfThree()));
      if (limits.quorum() != null) {
        p.setProperty("quorumRoundsPerSecond",
            Double.toString(limits.quorum().roundsPerSecond()));
        p.setProperty("quorumRoundP50Ms", Double.toString(limits.quorum().p50Ms()));
      }
      p.setProperty("loopbackMBps", Double.toString(limits.loopbackMBps()));
      p.setProperty("loopbackSeconds", Double.toString(limits.loopbackSeconds()));
      p.setProperty("crc32cMBps", Double.toString(limits.crc32cMBps()));
    }
    // Failures of the orchestrator itself (children's failures are in their logs).
    List<String> own = errors.stream()
        .filter(e -> !e.startsWith("round ") && !e.startsWith("training round ")
            && !e.startsWith(MEMORY_LABEL)).toList();
    for (int i = 0; i < own.size(); i++) {
      p.setProperty("error." + i, own.get(i));
    }
    Path dir = logDir();
    Files.createDirectories(dir);
    try (var w = Files.newBufferedWriter(dir.resolve("run.properties"), StandardCharsets.UTF_8)) {
      p.store(w, "cairn bench run");
    }
  }

  /**
   * {@code --render-logs DIR}: the document again from a run's kept logs (DIR is
   * cairn-bench/target/bench-logs/STAMP): its run.properties and the RESULT, ERROR and INFO lines
   * of its children's logs. The machine's facts are read again from this machine.
   */
  static int render(Path dir, Path out) throws IOException {
    Properties p = new Properties();
    try (var r = Files.newBufferedReader(dir.resolve("run.properties"), StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Plan plan = Boolean.parseBoolean(p.getProperty("quick")) ? Plan.quickRun() : Plan.fullRun();
    plan = plan.withRounds(Integer.parseInt(p.getProperty("rounds")))
        .withHeapFiles(Integer.parseInt(p.getProperty("heapFiles")))
        // Runs from before the warm-up had none.
        .withWarmUpFiles(Integer.parseInt(p.getProperty("warmUpFiles", "0")))
        .withWarmUpSeconds(Integer.parseInt(
            p.getProperty("warmUpSeconds", Integer.toString(plan.warmUpSeconds()))));
    Machine.Limits limits = p.getProperty("ddWriteMBps") == null ? null : new Machine.Limits(
        Double.parseDouble(p.getProperty("ddWriteMBps")), p.getProperty("ddCommand"),
        Double.parseDouble(p.getProperty("syncWritesPerSecond")), p.getProperty("syncCommand"),
        // Runs from before these were measured have none.
        Double.parseDouble(p.getProperty("syncWritesPerSecondOfThree", "NaN")),
        p.getProperty("quorumRoundsPerSecond") == null ? null : new Machine.Quorum(
            Double.parseDouble(p.getProperty("quorumRoundsPerSecond")),
            Double.parseDouble(p.getProperty("quorumRoundP50Ms"))),
        Double.parseDouble(p.getProperty("loopbackMBps")),
        Double.parseDouble(p.getProperty("loopbackSeconds")),
        Double.parseDouble(p.getProperty("crc32cMBps", "NaN")));
    List<String> errors = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (int i = 0; p.getProperty("error." + i) != null; i++) {
      errors.add(p.getProperty("error." + i));
    }
    List<Map<String, Double>> cairn = new ArrayList<>();
    List<Map<String, Double>> hdfs = new ArrayList<>();
    int rounds = plan.rounds();
    // Round 0 is a training round, when there was one: its findings count, its figures do not.
    for (int r = 0; r <= rounds; r++) {
      Map<String, Double> c = new HashMap<>();
      Map<String, Double> h = new HashMap<>();
      if (r > 0) {
        cairn.add(c);
        hdfs.add(h);
      }
      String prefix = roundLabel(r, plan) + " ";
      for (String side : List.of("cairn", "hdfs")) {
        readLog(dir.resolve(roundName(r, side) + DRIVER_LOG), prefix + side,
            side.equals("cairn") ? c : h, errors, notes);
        notes.addAll(serverLogFindings(dir.resolve(roundName(r, side)), prefix + side));
        notes.addAll(snapshotNotes(dir, r, side, prefix + side));
      }
      if (r == 0) {
        continue;
      }
      for (String shape : List.of("empty", "block", "inline4k")) {
        readLog(dir.resolve("heap-r" + r + "-cairn-" + shape + ".log"),
            prefix + "cairn heap (" + shape + ")", c, errors, notes);
      }
      readLog(dir.resolve("heap-r" + r + "-hdfs.log"), prefix + "hdfs heap", h, errors, notes);
    }
    // Runs from before the in-memory round have none.
    Map<String, Double> cairnInMemory = new HashMap<>();
    Map<String, Double> hdfsInMemory = new HashMap<>();
    for (String side : List.of("cairn", "hdfs")) {
      readLog(dir.resolve(MEMORY_ROUND + "-" + side + "-driver.log"), MEMORY_LABEL + " " + side,
          side.equals("cairn") ? cairnInMemory : hdfsInMemory, errors, notes);
      notes.addAll(serverLogFindings(dir.resolve(MEMORY_ROUND + "-" + side),
          MEMORY_LABEL + " " + side));
    }
    Report report = new Report(new Report.Run(plan, p.getProperty("command"),
        p.getProperty("date"), Machine.facts(dir), limits, cairn, hdfs, errors, dedupe(notes),
        jvmDescription(), flags(), Double.parseDouble(p.getProperty("minutes")), cairnInMemory,
        hdfsInMemory));
    publish(report, out);
    return 0;
  }

  /** What server logs say that explains a failure; each pattern with its count and first line. */
  private static final List<String> LOG_PATTERNS = List.of("OutOfMemoryError",
      "exceeds maximum size", " ERROR ");

  /** How progress and findings name round {@code round}; 0 is the training round. */
  private static String roundLabel(int round, Plan plan) {
    return round == 0 ? "training round" : "round " + round + "/" + plan.rounds();
  }

  /**
   * Scans the servers' logs of one round (any *.log under {@code dir}) for signs of trouble, so
   * that the report can say what went wrong inside a server and not only that a workload failed.
   */
  static List<String> serverLogFindings(Path dir, String label) {
    List<String> found = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return found;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path log : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<String, String> first = new HashMap<>();
        try (Stream<String> lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
          lines.forEach(line -> {
            for (String pattern : LOG_PATTERNS) {
              if (line.contains(pattern)) {
                counts.merge(pattern, 1, Integer::sum);
                first.putIfAbsent(pattern, line.strip());
              }
            }
          });
        }
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
          String line = first.get(e.getKey());
          found.add(String.format(Locale.ROOT, "%s, %s: %d line(s) with \"%s\", the first: `%s`",
              label, dir.relativize(log), e.getValue(), e.getKey().strip(),
              line.length() > 240 ? line.substring(0, 240) + "..." : line));
        }
      }
    } catch (IOException | RuntimeException e) {
      found.add(label + ": could not scan the server logs: " + e.getMessage());
    }
    return found;
  }

  private static void readLog(Path log, String label, Map<String, Double> into,
      List<String> errors, List<String> notes) throws IOException {
    if (!Files.isRegularFile(log)) {
      return;
    }
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      parseLine(line, label, into, errors, notes);
    }
  }

  // ------------------------------------------------------------------ child JVMs

  /** JDK 24+ warns about Unsafe and native access in Netty, Guava and Hadoop without these. */
  private static List<String> jdkFlags() {
    List<String> flags = new ArrayList<>();
    flags.add("-XX:+UseG1GC");
    if (Runtime.version().feature() >= 24) {
      flags.add("--enable-native-access=ALL-UNNAMED");
      flags.add("--sun-misc-unsafe-memory-access=allow");
    }
    return flags;
  }

  /**
   * The same flags for every server JVM, and the same heap per side: 2 GiB for each of Cairn's 3
   * nodes, 6 GiB for the one JVM in which MiniDFSCluster runs HDFS's 4 daemons. Both sides'
   * servers compile their methods after a fifth of HotSpot's usual calls, as Cairn's launcher
   * starts its nodes ({@code LocalCluster.NODE_JIT_FLAG} in cairn-cli).
   */
  static List<String> serverFlags(String system) {
    List<String> flags = new ArrayList<>();
    String heap = system.equals("cairn") ? "2g" : "6g";
    flags.add("-Xms" + heap);
    flags.add("-Xmx" + heap);
    flags.add(SERVER_JIT_FLAG);
    flags.addAll(jdkFlags());
    return flags;
  }

  /** The JIT flag of both sides' servers (see {@link #serverFlags}). */
  static final String SERVER_JIT_FLAG = "-XX:CompileThresholdScaling=0.2";

  static List<String> clientFlags() {
    List<String> flags = new ArrayList<>(List.of("-Xms2g", "-Xmx2g"));
    flags.addAll(jdkFlags());
    return flags;
  }

  static List<String> heapFlags() {
    List<String> flags = new ArrayList<>(List.of("-Xmx4g"));
    flags.addAll(jdkFlags());
    return flags;
  }

  /**
   * Where the server JVMs keep their class-data archives, from run to run as {@code cairn local}
   * keeps its nodes': the first run of a build writes them.
   */
  private Path classDataDir() {
    return target.resolve("class-data");
  }

  /**
   * From JDK 25 a server JVM's class data is an AOT cache that also holds the profiles of the
   * methods its first run ran (see {@link ServerProcess#classDataFlags}). A round whose servers
   * lack it would write it, at a clean stop, and a round's leader is killed at its end: the
   * profile would be missing or come from an idle restart. So, when a side's caches are missing
   * or older than its jars, an unmeasured training round of the same workloads (no leader loss)
   * writes them first, and every measured round of both sides starts with them.
   */
  private void trainIfNeeded(String system, String classPath, List<String> errors,
      List<String> notes) throws IOException {
    if (Runtime.version().feature() < 25) {
      return;
    }
    List<Path> jars = new ArrayList<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      if (entry.endsWith("*")) {
        try (var listing = Files.list(Path.of(entry.substring(0, entry.length() - 1)))) {
          listing.forEach(jars::add);
        }
      } else {
        jars.add(Path.of(entry));
      }
    }
    List<String> names = system.equals("cairn")
        ? List.of("cairn-n1", "cairn-n2", "cairn-n3")
        : List.of("hdfs-cluster");
    boolean missing = false;
    for (String name : names) {
      missing |= !Files.exists(ServerProcess.classDataFile(classDataDir(), name, jars));
    }
    if (missing) {
      say("%s: a training round (not measured) to write the servers' AOT caches", system);
      runDriver(system, 0, classPath, null, new HashMap<>(), errors, notes);
    }
  }

  private void runDriver(String system, int round, String classPath, Path jfrDir,
      Map<String, Double> into, List<String> errors, List<String> notes) {
    // A training round need not be as long as a measured one: it runs every code path, and about
    // as many calls as the quick plan makes, for the JIT's profiles.
    List<String> args = driverArgs(system, work.resolve(roundName(round, system)),
        round == 0 ? Math.min(256, plan.largeMib()) : plan.largeMib(),
        round == 0 ? Math.min(2000, plan.files()) : plan.files(), plan.threads(),
        round == 0 ? 0 : plan.warmUpFiles());
    if (jfrDir != null) {
      args.add("--jfr");
      args.add(jfrDir.toString());
    } else {
      // Not with flight recordings: a JVM that writes its archive runs without JFR.
      args.add("--class-data");
      args.add(classDataDir().toString());
    }
    if (round == 0) {
      args.add("--train");
    }
    String label = roundLabel(round, plan);
    runChild(label + " " + system, clientFlags(), classPath, Driver.class.getName(), args,
        work.resolve(roundName(round, system) + DRIVER_LOG), plan.quick() ? 1200 : 3600, into,
        errors, notes);
    notes.addAll(snapshotNotes(work, round, system, label + " " + system));
    keepLogsAndDelete(work.resolve(roundName(round, system)), work, "", label + " " + system,
        notes);
  }

  /** A round's directory in the work directory, and with {@link #DRIVER_LOG} its driver's log. */
  static String roundName(int round, String system) {
    return "r" + round + "-" + system;
  }

  /**
   * The phases of a measured Cairn round that a node's namespace snapshot overlapped (see {@link
   * SnapshotOverlaps}), from the round's logs in {@code dir}; none for HDFS or a training round.
   */
  static List<String> snapshotNotes(Path dir, int round, String system, String label) {
    if (round == 0 || !system.equals("cairn")) {
      return List.of();
    }
    return SnapshotOverlaps.find(dir.resolve(roundName(round, system) + DRIVER_LOG),
        dir.resolve(roundName(round, system)), label);
  }

  /**
   * After a round: notes what its servers' logs say, keeps the logs (see {@link #copyLogs}) and
   * deletes the cluster's directory; its data (gigabytes) is not kept.
   */
  private void keepLogsAndDelete(Path dir, Path base, String prefix, String label,
      List<String> notes) {
    notes.addAll(serverLogFindings(dir, label));
    copyLogs(dir, base, prefix);
    deleteTree(dir);
  }

  /** The name of the in-memory round's logs, and how progress and findings call it. */
  static final String MEMORY_ROUND = "mem";
  static final String MEMORY_LABEL = "in-memory round";

  /**
   * The in-memory round of one side: its cluster with all its data in {@link Machine#MEMORY_FS},
   * where writes and syncs cost no disk time. The same warm-up and small-file phases as a measured
   * round, with the writes of {@link Plan#opThreads} threads only, a file of a tenth of the large
   * size, and no leader loss. It says how much of each operation's time the disk took on either
   * side, and how the two compare without it; it counts in no target.
   */
  private void runMemoryRound(String system, String classPath, Map<String, Double> into,
      List<String> errors, List<String> notes) {
    Path dir = memoryWork.resolve(system);
    List<String> args = driverArgs(system, dir, Math.max(1, plan.largeMib() / 10), plan.files(),
        List.of(plan.opThreads()), plan.warmUpFiles());
    if (!options.jfr()) {
      args.add("--class-data");
      args.add(classDataDir().toString());
    }
    args.add("--no-leader-loss");
    String label = MEMORY_LABEL + " " + system;
    runChild(label, clientFlags(), classPath, Driver.class.getName(), args,
        work.resolve(MEMORY_ROUND + "-" + system + "-driver.log"), plan.quick() ? 1200 : 3600,
        into, errors, notes);
    keepLogsAndDelete(dir, memoryWork, MEMORY_ROUND + "-", label, notes);
  }

  /** The arguments every driver of a round gets, for a cluster in {@code dir}. */
  private List<String> driverArgs(String system, Path dir, long largeMib, int files,
      List<Integer> threads, int warmUpFiles) {
    List<String> args = new ArrayList<>(List.of("--system", system,
        "--dir", dir.toString(),
        "--large-mib", Long.toString(largeMib),
        "--files", Integer.toString(files),
        "--threads", String.join(",", threads.stream().map(String::valueOf).toList()),
        "--op-threads", Integer.toString(plan.opThreads()),
        "--stat-passes", Integer.toString(plan.statPasses()),
        "--listings", Integer.toString(plan.listings()),
        "--warm-up-files", Integer.toString(warmUpFiles),
        "--warm-up-seconds", Integer.toString(plan.warmUpSeconds())));
    for (String flag : serverFlags(system)) {
      args.add("--server-flag");
      args.add(flag);
    }
    return args;
  }

  /**
   * Runs a child JVM, shows its PROGRESS lines, keeps everything else it prints in {@code log},
   * and reads its RESULT, ERROR and INFO lines.
   */
  private void runChild(String label, List<String> flags, String classPath, String mainClass,
      List<String> args, Path log, long timeoutSeconds, Map<String, Double> into,
      List<String> errors, List<String> notes) {
    List<String> command = new ArrayList<>();
    command.add(ServerProcess.javaBinary());
    command.addAll(flags);
    command.add("-cp");
    command.add(classPath);
    command.add(mainClass);
    command.addAll(args);
    say("%s", label);
    try (PrintWriter logWriter = new PrintWriter(Files.newBufferedWriter(log,
        StandardCharsets.UTF_8))) {
      logWriter.println("=== " + String.join(" ", command));
      logWriter.flush();
      Process p = new ProcessBuilder(command).start();
      children.add(p);
      p.getOutputStream().close();
      Thread err = new Thread(() -> pump(p, false, label, logWriter, into, errors, notes),
          "stderr-" + label);
      err.start();
      pump(p, true, label, logWriter, into, errors, notes);
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        errors.add(label + ": did not finish within " + timeoutSeconds + " s; killed");
        kill(p);
      }
      err.join(30_000);
      int exit = p.waitFor();
      if (exit != 0 && errors.stream().noneMatch(e -> e.startsWith(label))) {
        errors.add(label + ": exited with status " + exit + " (see " + log.getFileName() + ")");
      }
      children.remove(p);
    } catch (IOException e) {
      errors.add(label + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      errors.add(label + ": interrupted");
    }
  }

  private void pump(Process p, boolean stdout, String label, PrintWriter log,
      Map<String, Double> into, List<String> errors, List<String> notes) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
        stdout ? p.getInputStream() : p.getErrorStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        synchronized (log) {
          log.println(stdout ? line : loggedErrLine(line, LocalDateTime.now()));
          log.flush();
        }
        if (!stdout && line.startsWith("PROGRESS ")) {
          say("  %s: %s", label, line.substring("PROGRESS ".length()));
        } else if (stdout) {
          String failure = parseLine(line, label, into, errors, notes);
          if (failure != null) {
            say("  FAILED %s", failure);
          }
        }
      }
    } catch (IOException e) {
      // the child is gone
    }
  }

  /** The time on a child's logged progress lines: the format of the servers' own logs. */
  private static final DateTimeFormatter LOG_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT);

  /**
   * A line of a child's stderr as its log keeps it: a progress line with the time it came, so that
   * each phase of a round can be set against what the servers logged meanwhile (a snapshot
   * written, a leader elected); any other line as it is.
   */
  static String loggedErrLine(String line, LocalDateTime now) {
    return line.startsWith("PROGRESS ") ? LOG_TIME.format(now) + " " + line : line;
  }

  /**
   * Reads one line of a child's stdout into the results; returns the failure it reports, if it
   * is an ERROR line.
   */
  static String parseLine(String line, String label, Map<String, Double> into,
      List<String> errors, List<String> notes) {
    if (line.startsWith("RESULT ")) {
      String[] parts = line.split(" ");
      synchronized (into) {
        into.put(parts[1], Double.parseDouble(parts[2]));
      }
    } else if (line.startsWith("ERROR ")) {
      String message = label + ": " + line.substring("ERROR ".length());
      errors.add(message);
      return message;
    } else if (line.startsWith("INFO ")) {
      notes.add(line.substring("INFO ".length()));
    }
    return null;
  }

  // ------------------------------------------------------------------ cleanup

  /**
   * Kills every child and its descendants, and any server a dead driver left; keeps the logs and
   * deletes the rest.
   */
  private synchronized void cleanUp() {
    for (Process p : children) {
      kill(p);
    }
    children.clear();
    if (work == null || !Files.isDirectory(work)) {
      return;
    }
    killListedServers(work);
    Path memory = memoryWork;
    if (memory != null) {
      killListedServers(memory);
      deleteTree(memory);
    }
    copyLogs(work, work, "");
    System.err.println("cairn bench: logs kept in " + logDir());
    deleteTree(work);
    work = null;
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Servers record their pids in pids files under the round's directory; one still running whose
   * command line names that directory is killed (a pid may have been reused since).
   */
  private void killListedServers(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path pids : files.filter(f -> f.getFileName().toString()
          .equals(ServerProcess.PIDS_FILE)).toList()) {
        for (String line : Files.readAllLines(pids)) {
          String[] parts = line.strip().split("\\s+");
          if (parts.length == 0 || parts[0].isEmpty()) {
            continue;
          }
          long pid = Long.parseLong(parts[0]);
          ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresent(h -> {
            String cmdline = readCmdline(pid);
            if (cmdline.contains(root.toString())) {
              h.descendants().forEach(ProcessHandle::destroyForcibly);
              h.destroyForcibly();
            }
          });
        }
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("cairn bench: could not check for leftover servers: " + e);
    }
  }

  private static String readCmdline(long pid) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"))
          .replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  private Path logDir() {
    return target.resolve("bench-logs").resolve(stamp());
  }

  /**
   * Keeps the logs under {@code from} (not the data) in cairn-bench/target/bench-logs/STAMP, each
   * at its path from {@code base}, after {@code prefix}.
   */
  private void copyLogs(Path from, Path base, String prefix) {
    Path dest = logDir();
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".log") && Files.isRegularFile(f))
          .toList()) {
        if (Files.size(f) > 50L << 20) {
          continue;
        }
        Path to = dest.resolve(prefix + base.relativize(f));
        Files.createDirectories(to.getParent());
        Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("cairn bench: could not keep the logs of " + from + ": " + e);
    }
  }

  private static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("cairn bench: could not delete " + dir + ": " + e);
    }
  }

  // ------------------------------------------------------------------ helpers

  private String stampValue;

  private synchronized String stamp() {
    if (stampValue == null) {
      stampValue = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }
    return stampValue;
  }

  /** The jar {@code module} built in {@code dir}, its name starting with {@code prefix}. */
  private static Path findJar(Path dir, String prefix, String module) throws IOException {
    String build = "; build it with: mvn -B -P bench -pl " + module + " -am package -DskipTests";
    if (!Files.isDirectory(dir)) {
      throw new IOException("no " + dir + build);
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> {
        String n = f.getFileName().toString();
        return n.startsWith(prefix) && n.endsWith(".jar") && !n.contains("sources");
      }).findFirst().orElseThrow(() -> new IOException("no " + prefix + "*.jar in " + dir + build));
    }
  }

  private void say(String format, Object... args) {
    long s = (System.nanoTime() - startNanos) / 1_000_000_000L;
    System.err.printf(Locale.ROOT, "[%3d:%02d] %s%n", s / 60, s % 60,
        String.format(Locale.ROOT, format, args));
    System.err.flush();
  }

  private static List<String> dedupe(List<String> notes) {
    return new ArrayList<>(new java.util.LinkedHashSet<>(notes));
  }
}
