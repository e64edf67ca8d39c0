package dev.cairn.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns the rounds' results into the table (printed, and written to BENCHMARKS.md with the
 * machine, its physical limits and the targets).
 */
final class Report {

  /** Everything measured in one run. */
  record Run(
      Plan plan,
      String command,
      String date,
      Machine.Facts facts,
      Machine.Limits limits,
      List<Map<String, Double>> cairn,
      List<Map<String, Double>> hdfs,
      List<String> errors,
      List<String> notes,
      String jvm,
      Map<String, List<String>> flags,
      double minutes,
      Map<String, Double> cairnInMemory,
      Map<String, Double> hdfsInMemory) {}

  /** A metric's values over the rounds, one side. */
  record Stat(double median, double min, double max, int n) {
    static Stat of(List<Double> values) {
      List<Double> v = values.stream().filter(d -> d != null && !d.isNaN()).sorted().toList();
      if (v.isEmpty()) {
        return new Stat(Double.NaN, Double.NaN, Double.NaN, 0);
      }
      int n = v.size();
      double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
      return new Stat(median, v.get(0), v.get(n - 1), n);
    }
  }

  private final Run run;

  Report(Run run) {
    this.run = run;
  }

  static List<Double> values(List<Map<String, Double>> rounds, String key) {
    List<Double> out = new ArrayList<>();
    for (Map<String, Double> r : rounds) {
      out.add(r.getOrDefault(key, Double.NaN));
    }
    return out;
  }

  Stat cairn(String key) {
    return Stat.of(values(run.cairn(), key));
  }

  Stat hdfs(String key) {
    return Stat.of(values(run.hdfs(), key));
  }

  /** Cairn/HDFS of each round where both sides have the value. */
  List<Double> ratios(String key) {
    List<Double> c = values(run.cairn(), key);
    List<Double> h = values(run.hdfs(), key);
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < Math.min(c.size(), h.size()); i++) {
      if (!c.get(i).isNaN() && !h.get(i).isNaN() && h.get(i) != 0) {
        out.add(c.get(i) / h.get(i));
      }
    }
    return out;
  }

  double medianRatio(String key) {
    return Stat.of(ratios(key)).median();
  }

  // ------------------------------------------------------------------ the table

  List<String[]> rows() {
    List<String[]> rows = new ArrayList<>();
    for (Metric m : Metric.all(run.plan())) {
      Stat c = cairn(m.key());
      Stat h = hdfs(m.key());
      if (c.n() == 0 && h.n() == 0) {
        continue;
      }
      List<Double> ratios = ratios(m.key());
      String ratio = ratios.isEmpty() ? "-" : String.format(Locale.ROOT, "%.2f", medianRatio(m.key()));
      String perRound = ratios.stream().map(r -> String.format(Locale.ROOT, "%.2f", r))
          .collect(Collectors.joining(" "));
      String ahead = "-";
      if (!ratios.isEmpty() && !m.accounting()) {
        double r = medianRatio(m.key());
        ahead = r == 1 ? "even" : (r > 1) == m.higherIsBetter() ? "Cairn" : "HDFS";
      }
      rows.add(new String[] {m.label(), m.unit(), cell(m, c), cell(m, h), ratio, perRound,
          ahead});
    }
    return rows;
  }

  private static String cell(Metric m, Stat s) {
    if (s.n() == 0) {
      return "-";
    }
    if (s.n() == 1 || s.min() == s.max()) {
      return m.format(s.median());
    }
    return m.format(s.median()) + " (" + m.format(s.min()) + "-" + m.format(s.max()) + ")";
  }

  static final String[] HEADER = {"workload", "unit", "Cairn median (min-max)",
      "HDFS median (min-max)", "Cairn/HDFS", "per round", "ahead"};

  /** The table as aligned plain text, for the terminal. */
  String text() {
    List<String[]> rows = new ArrayList<>();
    rows.add(HEADER);
    rows.addAll(rows());
    int[] width = new int[HEADER.length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < rows.size(); k++) {
      String[] r = rows.get(k);
      for (int i = 0; i < r.length; i++) {
        boolean left = i == 0 || i == 1 || i == 6;
        String f = "%" + (left ? "-" : "") + width[i] + "s";
        sb.append(String.format(Locale.ROOT, f, r[i])).append(i < r.length - 1 ? "  " : "");
      }
      sb.append('\n');
      if (k == 0) {
        int total = 0;
        for (int w : width) {
          total += w + 2;
        }
        sb.append("-".repeat(total - 2)).append('\n');
      }
    }
    return sb.toString();
  }

  /** A row's label in Markdown: a sub-row's leading spaces become ones the table keeps. */
  private static String markdownLabel(String label) {
    return label.startsWith("  ") ? "&nbsp;&nbsp;" + label.strip() : label;
  }

  String markdownTable() {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(String.join(" | ", HEADER)).append(" |\n");
    sb.append("|---|---|---:|---:|---:|---:|---|\n");
    for (String[] r : rows()) {
      sb.append("| ").append(markdownLabel(r[0]));
      for (int i = 1; i < r.length; i++) {
        sb.append(" | ").append(r[i]);
      }
      sb.append(" |\n");
    }
    return sb.toString();
  }

  // ------------------------------------------------------------------ targets

  record Target(String goal, Boolean met, String measured) {}

  List<Target> targets() {
    List<Target> out = new ArrayList<>();
    Machine.Limits limits = run.limits();
    Plan plan = run.plan();

    // Every workload ahead.
    List<String> behind = new ArrayList<>();
    List<String> compared = new ArrayList<>();
    for (Metric m : Metric.all(plan)) {
      if (m.label().startsWith("  ") || m.accounting() || ratios(m.key()).isEmpty()) {
        continue; // latency sub-rows, Cairn-only rows and CPU accounting are not workloads
      }
      compared.add(m.key());
      double r = medianRatio(m.key());
      boolean ahead = m.higherIsBetter() ? r > 1 : r < 1;
      if (!ahead) {
        behind.add(String.format(Locale.ROOT, "%s (Cairn %s vs HDFS %s %s)", m.label(),
            m.format(cairn(m.key()).median()), m.format(hdfs(m.key()).median()), m.unit()));
      }
    }
    out.add(new Target("Cairn ahead of HDFS in every workload",
        compared.isEmpty() ? null : behind.isEmpty(),
        compared.isEmpty() ? "no workload was measured on both sides"
            : behind.isEmpty() ? "ahead in all " + compared.size() + " compared workloads"
            : "behind in: " + String.join("; ", behind) + cpuContext() + inMemoryContext()));

    out.add(failures(withContext(ratioTarget("large_write_MBps", 2.5,
        "large-file write at least 2.5x HDFS", "MB/s"), diskBoundContext()), "large"));
    double ddBound = limits == null ? Double.NaN : limits.ddWriteMBps() / 3 / 2;
    Stat lw = cairn("large_write_MBps");
    out.add(failures(new Target("large-file write at least half of (dd sequential write / 3)",
        lw.n() == 0 || Double.isNaN(ddBound) ? null : lw.median() >= ddBound,
        String.format(Locale.ROOT, "Cairn %.0f MB/s; dd with fdatasync %.0f MB/s, / 3 replicas on"
            + " this one disk = %.0f MB/s, half of that = %.0f MB/s%s", lw.median(),
            limits == null ? Double.NaN : limits.ddWriteMBps(), ddBound * 2, ddBound,
            largeWriteContext())), "large"));
    out.add(failures(withContext(ratioTarget("large_read_MBps", 1.5,
        "large-file read at least 1.5x HDFS", "MB/s"), largeReadContext()), "large"));
    out.add(failures(withContext(ratioTarget("small_write_t1_fps", 30,
        "small files, 1 thread, at least 30x HDFS", "files/s"), smallWriteContext(1)),
        "small_write_t1"));
    Stat t32 = cairn("small_write_t32_fps");
    out.add(failures(new Target("small files, 32 threads, at least 5,000 files/s",
        t32.n() == 0 ? null : t32.median() >= 5000,
        String.format(Locale.ROOT, "Cairn %.0f files/s (median of %d)", t32.median(), t32.n())
            + smallWriteContext(32)), "small_write_t32"));
    out.add(failures(ratioTarget("small_read_fps", 5, "small-file reads at least 5x HDFS",
        "files/s"), "small_read"));
    Stat stat = cairn("stat_ops");
    out.add(failures(new Target("stat at least 20,000 ops/s with 8 threads",
        stat.n() == 0 ? null : stat.median() >= 20_000,
        String.format(Locale.ROOT, "Cairn %.0f ops/s with %d threads, p50 %.2f ms per stat"
            + " (HDFS %.0f ops/s)", stat.median(), plan.opThreads(),
            cairn("stat_p50_ms").median(), hdfs("stat_ops").median())), "stat"));
    Stat ready = cairn("ready_s");
    out.add(failures(new Target("cluster ready for writes in under 5 s",
        ready.n() == 0 ? null : ready.median() < 5,
        String.format(Locale.ROOT, "Cairn %.2f s (min %.2f, max %.2f), from launching 3 JVMs"
            + " to the first acknowledged write; HDFS %.2f s", ready.median(), ready.min(),
            ready.max(), hdfs("ready_s").median())), "round"));
    Stat stall = cairn("stall_s");
    out.add(failures(new Target("client stall under 2 s when the leader is killed",
        stall.n() == 0 ? null : stall.median() < 2,
        String.format(Locale.ROOT, "Cairn %.2f s (min %.2f, max %.2f): the longest gap between"
            + " two acknowledged writes around a kill -9 of the Raft leader; HDFS (no HA: a"
            + " NameNode restart) %.2f s", stall.median(), stall.min(), stall.max(),
            hdfs("stall_s").median())), "stall"));
    Stat heap = cairn("heap_empty_bpf");
    out.add(failures(new Target("namespace memory at most 200 bytes per file",
        heap.n() == 0 ? null : heap.median() <= 200,
        String.format(Locale.ROOT, "Cairn %.0f bytes per empty file, %.0f per file of one block,"
            + " %.0f per 4 KiB inline file; HDFS NameNode %.0f bytes per empty file",
            heap.median(), cairn("heap_block_bpf").median(), cairn("heap_inline4k_bpf").median(),
            hdfs("heap_empty_bpf").median())), "heap"));
    return out;
  }

  /**
   * Adds to a target the failures of its workload in this run: a target whose measurement failed
   * on Cairn's side in every round is NOT met, with the failure as its reason.
   */
  private Target failures(Target t, String workload) {
    List<String> failed = run.errors().stream()
        .filter(e -> e.startsWith("round ") && e.contains(" cairn")
            && (e.contains(": " + workload + " ") || workload.equals("heap") && e.contains("heap")))
        .toList();
    if (failed.isEmpty()) {
      return t;
    }
    String what = failed.size() + " round(s) failed on Cairn's side: "
        + String.join("; ", failed);
    if (t.met() == null || t.measured().contains("NaN")) {
      return new Target(t.goal(), false, what);
    }
    return new Target(t.goal(), t.met(), t.measured() + ". " + what);
  }

  private Target ratioTarget(String key, double factor, String goal, String unit) {
    List<Double> ratios = ratios(key);
    if (ratios.isEmpty()) {
      return new Target(goal, null, "not measured on both sides");
    }
    double r = medianRatio(key);
    return new Target(goal, r >= factor, String.format(Locale.ROOT,
        "Cairn %.0f vs HDFS %.0f %s: %sx (per round %s)", cairn(key).median(),
        hdfs(key).median(), unit, ratioText(r, factor), ratios.stream()
            .map(x -> String.format(Locale.ROOT, "%.2f", x)).collect(Collectors.joining(", "))));
  }

  /**
   * The ratio to 2 decimals, or to as many more as it takes for the text to fall on the same side
   * of {@code goal} as the ratio itself: 1.497 against a goal of 1.5 shows as 1.497, not 1.50.
   */
  static String ratioText(double ratio, double goal) {
    for (int decimals = 2; decimals <= 6; decimals++) {
      String text = String.format(Locale.ROOT, "%." + decimals + "f", ratio);
      if (Double.parseDouble(text) >= goal == ratio >= goal) {
        return text;
      }
    }
    return Double.toString(ratio);
  }

  private static Target withContext(Target t, String context) {
    return new Target(t.goal(), t.met(), t.measured() + context);
  }

  /**
   * Why the large write cannot go faster here: every replica is fsynced on the same disk, so the
   * disk takes 3 times the file's bytes, against what dd writes with fdatasync.
   */
  private String diskBoundContext() {
    Machine.Limits l = run.limits();
    Stat lw = cairn("large_write_MBps");
    if (l == null || lw.n() == 0) {
      return "";
    }
    return String.format(Locale.ROOT, ". Cairn fsyncs all 3 replicas, all on this one disk: %.0f"
        + " MB/s of file is %.0f MB/s written and synced, against %.0f MB/s for dd with"
        + " fdatasync; 2.5x HDFS would need %.0f MB/s through the disk. HDFS's DataNodes do not"
        + " fsync block files on close, so its write goes to the page cache", lw.median(),
        3 * lw.median(), l.ddWriteMBps(), 3 * 2.5 * hdfs("large_write_MBps").median());
  }

  private String largeWriteContext() {
    Machine.Limits l = run.limits();
    if (l == null) {
      return "";
    }
    return String.format(Locale.ROOT, "; loopback TCP carries %.0f MB/s on one connection, and"
        + " every byte crosses it 3 times (client to node, node to 2 other replicas)",
        l.loopbackMBps());
  }

  /**
   * What bounds the large read: one client thread receives every byte and checks its CRC32C, at a
   * rate measured on this machine in the same run.
   */
  private String largeReadContext() {
    Machine.Limits l = run.limits();
    Stat lr = cairn("large_read_MBps");
    if (l == null || lr.n() == 0 || Double.isNaN(l.crc32cMBps())) {
      return "";
    }
    double goal = 1.5 * hdfs("large_read_MBps").median();
    return String.format(Locale.ROOT, ". Cairn's read is one client thread's work: it receives"
        + " every byte from the kernel and checks its CRC32C before handing it out. One core"
        + " checks CRC32C at %.0f MB/s here: at Cairn's %.0f MB/s a MB took %.3f ms, and"
        + " checking a MB takes %.3f (%.0f%% of it); 1.5x HDFS (%.0f MB/s) needs a MB every %.3f"
        + " ms",
        l.crc32cMBps(), lr.median(), 1000 / lr.median(), 1000 / l.crc32cMBps(),
        100 * lr.median() / l.crc32cMBps(), goal, 1000 / goal);
  }

  /**
   * Where the servers' CPU went: on a machine with few cores the namespace workloads are
   * CPU-bound, and each of Cairn's node JVMs compiles the hot paths that HDFS's one JVM compiles
   * once.
   */
  private String cpuContext() {
    Stat servers = cairn("cpu_servers_s");
    if (servers.n() == 0 || Double.isNaN(cairn("cpu_servers_jit_s").median())) {
      return "";
    }
    return String.format(Locale.ROOT, ". Where the CPU went, from start to the last delete"
        + " (medians, on %d cores): Cairn's 3 node JVMs %s, its client JVM %s; HDFS's one JVM"
        + " for all 4 servers %s, its client JVM %s", run.facts().cores(),
        cpuUse(this::cairn, "servers"), cpuUse(this::cairn, "client"),
        cpuUse(this::hdfs, "servers"), cpuUse(this::hdfs, "client"))
        + perOperationCpu("rename") + perOperationCpu("delete");
  }

  /**
   * The phases the in-memory round compares besides the small writes, with the on-disk rounds'
   * rates.
   */
  private static final List<String> MEMORY_KEYS = List.of("small_read_fps", "stat_ops",
      "rename_ops", "delete_ops");

  /**
   * Where the renames' and deletes' time went, from the in-memory round: their rates on both
   * sides with no disk under either, beside the measured rounds' medians.
   */
  private String inMemoryContext() {
    List<String> parts = new ArrayList<>();
    for (String op : List.of("rename", "delete")) {
      Double c = run.cairnInMemory().get(op + "_ops");
      Double h = run.hdfsInMemory().get(op + "_ops");
      if (c == null || h == null) {
        continue;
      }
      parts.add(String.format(Locale.ROOT, "%ss Cairn %,.0f vs HDFS %,.0f ops/s (on disk %,.0f vs"
          + " %,.0f)", op, c, h, cairn(op + "_ops").median(), hdfs(op + "_ops").median()));
    }
    return parts.isEmpty() ? "" : ". With all data of both sides in memory (the in-memory round:"
        + " no disk time in any operation): " + String.join("; ", parts);
  }

  /** The in-memory round's table: each side's rate in memory and its median on disk. */
  String memoryTable() {
    StringBuilder sb = new StringBuilder();
    sb.append("| workload | unit | Cairn in memory | HDFS in memory | Cairn/HDFS in memory"
        + " | Cairn on disk | HDFS on disk |\n|---|---|---:|---:|---:|---:|---:|\n");
    for (Metric m : Metric.all(run.plan())) {
      boolean shown = MEMORY_KEYS.contains(m.key())
          || m.key().equals("small_write_t" + run.plan().opThreads() + "_fps")
          || m.key().matches("cpu_(rename|delete)_(servers_us|busy_pct)");
      Double c = run.cairnInMemory().get(m.key());
      Double h = run.hdfsInMemory().get(m.key());
      if (!shown || (c == null && h == null)) {
        continue;
      }
      String ratio = c == null || h == null || h == 0 ? "-"
          : String.format(Locale.ROOT, "%.2f", c / h);
      sb.append("| ").append(markdownLabel(m.label())).append(" | ").append(m.unit())
          .append(" | ").append(c == null ? "-" : m.format(c))
          .append(" | ").append(h == null ? "-" : m.format(h))
          .append(" | ").append(ratio)
          .append(" | ").append(m.format(cairn(m.key()).median()))
          .append(" | ").append(m.format(hdfs(m.key()).median())).append(" |\n");
    }
    return sb.toString();
  }

  /**
   * What one operation of a namespace phase cost in CPU on each side, and how busy the cores were
   * meanwhile (medians): at near 100% busy, the CPU per operation sets the rate.
   */
  private String perOperationCpu(String op) {
    if (cairn("cpu_" + op + "_servers_us").n() == 0 || hdfs("cpu_" + op + "_servers_us").n() == 0) {
      return "";
    }
    return ". Per " + op + ": Cairn's nodes " + operationCpu(this::cairn, op) + "; HDFS's servers "
        + operationCpu(this::hdfs, op);
  }

  /**
   * "S us of CPU (J us of it compiling), its client C us, all cores B% busy" for one side in one
   * phase.
   */
  private static String operationCpu(java.util.function.Function<String, Stat> side, String op) {
    String key = "cpu_" + op + "_";
    return String.format(Locale.ROOT, "%.0f us of CPU (%.0f us of it compiling), its client %.0f"
        + " us, all cores %.0f%% busy", side.apply(key + "servers_us").median(),
        side.apply(key + "servers_jit_us").median(), side.apply(key + "client_us").median(),
        side.apply(key + "busy_pct").median());
  }

  /** "T s, J s (P%) of it compiling" for one side's servers or client. */
  private static String cpuUse(java.util.function.Function<String, Stat> side, String who) {
    Stat all = side.apply("cpu_" + who + "_s");
    Stat jit = side.apply("cpu_" + who + "_jit_s");
    return String.format(Locale.ROOT, "%.0f s, %.0f s (%.0f%%) of it compiling", all.median(),
        jit.median(), 100 * jit.median() / all.median());
  }

  private String smallWriteContext(int threads) {
    Machine.Limits l = run.limits();
    Stat p50 = cairn("small_write_t" + threads + "_p50_ms");
    if (l == null || p50.n() == 0) {
      return "";
    }
    double fsyncMs = 1000 / l.syncWritesPerSecond();
    String commits = threads == 1
        ? "Each file is one Raft log entry, its 4 KiB inline in it"
        : "Files whose commits arrive together share one Raft log entry (group commit), their"
            + " 4 KiB inline in it";
    String text = String.format(Locale.ROOT, ". %s; a file is acknowledged after the leader and"
        + " one follower have fsynced its entry; this disk does %.0f small synchronous writes/s"
        + " (%.2f ms each), and Cairn's p50 is %.2f ms per file with %d thread%s (HDFS p50 %.2f"
        + " ms)", commits, l.syncWritesPerSecond(),
        fsyncMs, p50.median(), threads, threads == 1 ? "" : "s",
        hdfs("small_write_t" + threads + "_p50_ms").median());
    if (threads == 1 && l.quorum() != null) {
      // The three nodes' Raft logs are on this one disk, and a commit waits for 2 of them.
      double goalMs = 1000 / (30 * hdfs("small_write_t1_fps").median());
      text += String.format(Locale.ROOT, ". 30x HDFS needs a file every %.2f ms. The disk alone"
          + " allows %.0f per second: 3 logs on it, each appending %d bytes and forcing them, had"
          + " 2 of the 3 done in %.2f ms (p50)", goalMs, l.quorum().roundsPerSecond(),
          Machine.QUORUM_APPEND_BYTES, l.quorum().p50Ms());
      text += l.quorum().p50Ms() < goalMs
          ? String.format(Locale.ROOT, ", so %.2f ms of Cairn's p50 is its own: the messages"
              + " and thread hand-offs of a Raft commit, on 2 cores that the 3 nodes and the"
              + " client share", p50.median() - l.quorum().p50Ms())
          : ", so the disk alone rules the target out here";
    }
    return text;
  }

  // ------------------------------------------------------------------ the document

  String markdown() {
    Plan plan = run.plan();
    Machine.Facts f = run.facts();
    Machine.Limits l = run.limits();
    StringBuilder sb = new StringBuilder();
    sb.append("# Cairn benchmarks\n\n");
    sb.append("Written by `./cairn bench` (cairn-bench/); every number below was measured in the"
        + " run described here. Rerun it to refresh this page.\n\n");
    sb.append("- date: ").append(run.date()).append('\n');
    sb.append("- command: `").append(run.command()).append("`")
        .append(plan.quick() ? " (quick: smaller sizes, fewer rounds)" : "").append('\n');
    sb.append(String.format(Locale.ROOT, "- duration: %.1f minutes%n", run.minutes()));
    sb.append("- machine: ").append(f.cores()).append(" cores (").append(f.cpu()).append("), ")
        .append(Machine.gib(f.memoryBytes())).append(" memory, ").append(f.kernel()).append('\n');
    sb.append("- disk (where all data of the run lived):\n\n```\n");
    f.disk().forEach(line -> sb.append(line).append('\n'));
    sb.append("```\n\n");
    sb.append("- TCP receive buffers (bytes): ").append(f.sockets()).append('\n');
    sb.append("- JVM of every process: ").append(run.jvm()).append('\n');
    for (Map.Entry<String, List<String>> e : run.flags().entrySet()) {
      sb.append("- ").append(e.getKey()).append(": `").append(String.join(" ", e.getValue()))
          .append("`\n");
    }
    sb.append('\n');

    sb.append("## Physical limits of this machine (same run)\n\n");
    if (l != null) {
      sb.append("| limit | measured | how |\n|---|---:|---|\n");
      sb.append(String.format(Locale.ROOT, "| sequential write with fdatasync | %.0f MB/s | `%s` |%n",
          l.ddWriteMBps(), l.ddCommand()));
      sb.append(String.format(Locale.ROOT, "| small synchronous writes (4 KiB, O_DSYNC) | %.0f /s"
          + " (%.2f ms each) | `%s` |%n", l.syncWritesPerSecond(),
          1000 / l.syncWritesPerSecond(), l.syncCommand()));
      if (!Double.isNaN(l.syncWritesPerSecondOfThree())) {
        sb.append(String.format(Locale.ROOT, "| the same from 3 writers at once (as Cairn's 3 Raft"
            + " logs), each | %.0f /s (%.2f ms each) | 3 of the above, started together, on 3"
            + " files |%n", l.syncWritesPerSecondOfThree(),
            1000 / l.syncWritesPerSecondOfThree()));
      }
      if (l.quorum() != null) {
        sb.append(String.format(Locale.ROOT, "| a quorum of 3 log appends (the disk's bound on one"
            + " writer of small files) | %.0f /s (p50 %.2f ms) | 3 threads, 3 files filled with"
            + " zeros first; each round every thread appends %d bytes to its file and forces it"
            + " (`FileChannel.force(false)`), the round done when 2 of the 3 have |%n",
            l.quorum().roundsPerSecond(), l.quorum().p50Ms(), Machine.QUORUM_APPEND_BYTES));
      }
      sb.append(String.format(Locale.ROOT, "| loopback TCP, one connection | %.0f MB/s | Java"
          + " sockets on 127.0.0.1, 1 MiB writes for %.0f s |%n", l.loopbackMBps(),
          l.loopbackSeconds()));
      if (!Double.isNaN(l.crc32cMBps())) {
        sb.append(String.format(Locale.ROOT, "| CRC32C on one core | %.0f MB/s |"
            + " `java.util.zip.CRC32C` over a 64 KiB array for 1 s, after 0.5 s of warm-up |%n",
            l.crc32cMBps()));
      }
      sb.append('\n');
    } else {
      sb.append("(not measured in this run)\n\n");
    }

    sb.append("## Results\n\n");
    sb.append(String.format(Locale.ROOT, "%d round%s of A B (Cairn, then HDFS), each on a fresh"
        + " cluster in a fresh directory%s. Each cell is the median of the rounds with the min"
        + " and max; Cairn/HDFS is the median of the per-round ratios, listed after it. MB = 10^6"
        + " bytes. \"ahead\" says which system did better.%n%n", plan.rounds(),
        plan.rounds() == 1 ? "" : "s", plan.warmUpFiles() > 0
            ? ", warmed up by an unmeasured run of every workload before the measured ones"
            : ", with no warm-up before the measured workloads (`--no-warm-up`)"));
    sb.append(markdownTable()).append('\n');

    if (!run.cairnInMemory().isEmpty() || !run.hdfsInMemory().isEmpty()) {
      sb.append("## In memory: where the namespace operations' time goes\n\n");
      sb.append("One more round of each side after the measured ones, with all its data in a"
          + " memory file system (`" + Machine.MEMORY_FS + "`), where no write or sync costs any"
          + " disk time: the gap to the measured rounds is the disk's part of each operation, and"
          + " what is left between the two systems is their own work. Same warm-up; the small"
          + " files written with " + run.plan().opThreads() + " threads only, then read, stat'ed,"
          + " listed, renamed and deleted as in the measured rounds; no leader loss. A"
          + " diagnostic, not a way to run either system (nothing in it is durable), and it"
          + " counts in no target.\n\n");
      sb.append(memoryTable()).append('\n');
    }

    sb.append("## Targets\n\n");
    sb.append("| target | result | measured |\n|---|---|---|\n");
    for (Target t : targets()) {
      String result = t.met() == null ? "not measured" : t.met() ? "met" : "**NOT met**";
      sb.append("| ").append(t.goal()).append(" | ").append(result).append(" | ")
          .append(t.measured().replace("|", "/").replace("NaN", "n/a")).append(" |\n");
    }
    sb.append('\n');

    if (!run.errors().isEmpty()) {
      sb.append("## Failures in this run\n\n");
      run.errors().forEach(e -> sb.append("- ").append(e).append('\n'));
      sb.append('\n');
    }

    sb.append("## How each number is measured\n\n");
    sb.append(String.join("\n", method(plan))).append("\n\n");
    if (!run.notes().isEmpty()) {
      sb.append("## Notes from the run\n\n");
      run.notes().forEach(n -> sb.append("- ").append(n).append('\n'));
      sb.append('\n');
    }
    return sb.toString();
  }

  private static List<String> method(Plan plan) {
    List<String> m = new ArrayList<>();
    m.add("- **Clusters.** Cairn: 3 node processes (`dev.cairn.cli.Main server`, as `cairn"
        + " server` runs them), replication 3, all defaults (8 MiB blocks, files up to 64 KiB"
        + " inline in the Raft log). HDFS: Apache Hadoop's `MiniDFSCluster` from"
        + " `org.apache.hadoop:hadoop-client-minicluster` (version in cairn-bench/pom.xml), one"
        + " NameNode and 3 DataNodes in one JVM, replication 3, the NameNode's edit log fsynced"
        + " (MiniDFSCluster skips that fsync unless told; the cluster JVM checks and prints it),"
        + " all else at Hadoop's defaults (128 MiB blocks; DataNodes do not fsync block files on"
        + " close, `dfs.datanode.synconclose=false`, whereas Cairn fsyncs every block replica"
        + " before it acknowledges). Everything on 127.0.0.1, on the same disk.");
    m.add("- **Same conditions.** Both systems run on the same JDK with the same JVM flags; the"
        + " server processes of each side get the same heap in total (Cairn 3 x 2 GiB, HDFS's"
        + " single JVM with its 4 daemons 6 GiB); each workload uses the same client thread"
        + " counts, the same code (one workload class over each system's own client library:"
        + " `CairnClient`, Hadoop's `FileSystem`) and a client JVM of the same flags. Cairn and"
        + " HDFS never share a JVM or a class path. Rounds alternate A B A B so that drift of"
        + " the machine (page cache, thermal, other load) hits both.");
    m.add("- **Large file.** One file written from a stream of random bytes through 1 MiB"
        + " buffers, then read back to the end; MB/s over the whole call, including the close"
        + " (Cairn: commit; HDFS: `close()` waits for the pipeline's acks).");
    m.add("- **Small files.** " + String.format(Locale.ROOT, "%,d", plan.files()) + " files of"
        + " 4 KiB, each created, written and closed by one call (Cairn `write`, HDFS"
        + " `create`+`write`+`close`), spread over 1, 8 and 32 threads sharing one client;"
        + " files/s over the wall time, and each call's latency (p50, p99). The files written"
        + " with " + plan.opThreads() + " threads are then read whole, stat'ed (" + plan.statPasses()
        + " passes), listed (" + plan.listings() + " listings of the directory, mean ms),"
        + " renamed and deleted, with " + plan.opThreads() + " threads (listing with 1)."
        + " \"The last fifth\" rows give the rate over the last fifth of a phase's calls (from the"
        + " completion before them to the last one): a phase runs for seconds on JVMs that may"
        + " still be compiling its hot paths, and the gap between the two rates shows how much"
        + " of it went into warming up. They count in no target.");
    m.add(plan.warmUpFiles() > 0
        ? "- **Warm-up.** On each round's fresh cluster, before anything is measured, the"
            + " workloads run at a smaller size, in passes: each pass writes and reads one file"
            + " of a tenth of the large file's size, writes " + String.format(Locale.ROOT, "%,d",
            plan.warmUpFiles()) + " files of 4 KiB with each thread count of the measured"
            + " writes, then reads, stats, lists, renames and deletes those written with "
            + plan.opThreads() + " threads, as the measured phases do and in their order, in a"
            + " directory of its own that it removes. Passes go on until, in one, the servers'"
            + " JIT compiler threads used"
            + String.format(Locale.ROOT, " less than %.0f%% of the servers' CPU; no pass starts"
            + " once the warm-up has run %d s (and %d passes at most)",
            100 * Workloads.SETTLED_JIT_SHARE, plan.warmUpSeconds(), Workloads.MAX_WARM_UP_PASSES)
            + " (the rows \"warm-up passes\" below). Same code, same sizes, same rule for both"
            + " systems. The limit is a time, not a number of passes: a pass of HDFS takes about"
            + " ten times as long as one of Cairn, so a limit in passes warmed HDFS's servers for"
            + " minutes and Cairn's for seconds (docs/architecture.md gives the runs)."
            + " A file system's servers run for weeks,"
            + " so the speed users meet is that of JVMs that have compiled their hot paths;"
            + " without a warm-up the first seconds of each phase measure the JIT compilers, and"
            + " Cairn's 3 node JVMs each compile what HDFS's one JVM compiles once. After a"
            + " single pass of 8-thread writes and operations, the compilers were still busy in"
            + " the measured phases (on Cairn's side up to half of the servers' CPU during the"
            + " renames): a JVM compiles each shape of load anew. `--no-warm-up` measures the"
            + " cold start instead. The start-to-ready time and the leader loss are measured as"
            + " before: the first before the warm-up, the second after the workloads."
        : "- **No warm-up** (`--no-warm-up`): each phase is measured on JVMs that have run only"
            + " the phases before it; its first seconds include the JIT compilers' work.");
    m.add("- **CPU.** After the deletes, before the leader is killed: the CPU time every server"
        + " process of the round, and the round's client JVM, have used since they started, the"
        + " warm-up included (Java's `ProcessHandle`), and the part of it spent by the JVMs' JIT"
        + " compiler threads (`C1`/`C2 CompilerThread`, from `/proc/PID/task`). Cairn runs 3 node"
        + " JVMs, each compiling its own hot paths; HDFS runs its 4 servers in one JVM. Not a"
        + " workload: these rows say where the time went, and count in no ratio target. The same"
        + " is read just before and after the renames and the deletes, and given per operation,"
        + " with the share of all cores the servers and the client kept busy over the phase: near"
        + " 100%, a phase is bound by CPU and its rate by the CPU per operation.");
    m.add("- **Ready.** From launching the server processes (JVM start included) until a 4 KiB"
        + " write succeeds, polled every 20 ms with a fail-fast client. Before it launches them,"
        + " the driver writes once through such a client to a port where nothing listens, so that"
        + " the probe's own first use (loading and compiling the client's code in the driver's"
        + " new JVM) is not timed with the servers' start. Both start from empty"
        + " directories (HDFS formats its NameNode). Every server JVM of both sides starts"
        + " from class data of its own, as `cairn local` starts nodes; a run with `--jfr` goes"
        + " without. " + classDataSentence() + " Every server JVM of both sides also compiles"
        + " its methods after a fifth of HotSpot's usual number of calls"
        + " (`" + BenchMain.SERVER_JIT_FLAG + "`), as Cairn's launcher starts its nodes.");
    m.add("- **Leader loss.** A client writes 4 KiB files one after another; 2 s in, the leader"
        + " is killed: for Cairn, the Raft leader's process gets SIGKILL (found through the"
        + " cluster status); HDFS without HA has no failover, so its NameNode is restarted in"
        + " place at once (`MiniDFSCluster.restartNameNode`), standing for a supervisor that"
        + " restarts it; an HA HDFS (standby NameNode, journal nodes, ZooKeeper) is not"
        + " measured. The stall is the gap between the last write acknowledged before the kill"
        + " and the first after it; a failed write is retried on the same path. Afterwards the"
        + " killed node is restarted.");
    m.add("- **Heap per file.** Measured, not estimated: a JVM of its own per side (same flags,"
        + " -Xmx4g), used heap after repeated full GCs (`System.gc()` with G1) before and after"
        + " creating N files, 1,000 per directory, divided by N. Cairn: its real state machine"
        + " (`MemoryNamespace`) applying the Mkdir and Commit commands its Raft log carries, with"
        + " request ids. HDFS: a NameNode (MiniDFSCluster without DataNodes) whose"
        + " `create`+`complete` RPC methods are called in-process (retry cache off; edit-log"
        + " fsync off for speed, it does not change the heap). Both with empty files, since an"
        + " HDFS file with a block cannot be completed without DataNodes; Cairn is also measured"
        + " with one-block files and with 4 KiB inline files (whose content lives in the"
        + " namespace, and so in every voter's heap). N = " + String.format(Locale.ROOT, "%,d",
        plan.heapFiles()) + (plan.heapFiles() == 1_000_000 ? "" : ", scaled to 1 million")
        + "; the 4 KiB inline shape uses at most 200,000 files, scaled.");
    return m;
  }

  /** How the server JVMs got their class data, on the JDK of this run (that of every process). */
  static String classDataSentence() {
    if (Runtime.version().feature() >= 25) {
      return "On this JDK that is an AOT cache (`-XX:AOTCacheOutput`, then `-XX:AOTCache`):"
          + " the classes a JVM loaded and linked and the profiles of the methods it ran, written"
          + " when it stopped. When a side's caches are missing or older than its jars, an"
          + " unmeasured training round of the same workloads (at most 2,000 small files and"
          + " 256 MiB, no leader loss) writes them before round 1, so every measured server JVM"
          + " of both sides maps its classes and compiles its hot methods from the first call"
          + " with profiles of the same workloads, as a server restarted after a run of its"
          + " usual load would.";
    }
    return "On this JDK that is a class-data archive (`-XX:+AutoCreateSharedArchive`) of the"
        + " classes it loaded, written at exit by the first run after a build.";
  }
}
