package dev.cairn.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One reported measurement: the key the children print it under, how it reads in the table, and
 * which way is better.
 *
 * @param scale multiplies the raw value for display (heap bytes per file to MiB per 1M files)
 */
record Metric(String key, String label, String unit, boolean higherIsBetter, double scale) {

  /** Every metric of the table, in order, for a run of {@code files} files. */
  static List<Metric> all(Plan plan) {
    String files = String.format(Locale.ROOT, "%,d", plan.files());
    String large = plan.largeMib() % 1024 == 0
        ? (plan.largeMib() / 1024) + " GiB" : plan.largeMib() + " MiB";
    List<Metric> m = new ArrayList<>();
    m.add(new Metric("large_write_MBps", "one " + large + " file: write", "MB/s", true, 1));
    m.add(new Metric("large_read_MBps", "one " + large + " file: read", "MB/s", true, 1));
    for (int t : plan.threads()) {
      String th = t + " thread" + (t == 1 ? "" : "s");
      m.add(new Metric("small_write_t" + t + "_fps",
          files + " x 4 KiB files created+written+closed, " + th, "files/s", true, 1));
      m.add(new Metric("small_write_t" + t + "_last_fps", "  the last fifth of them, " + th,
          "files/s", true, 1));
      m.add(new Metric("small_write_t" + t + "_p50_ms", "  latency p50, " + th, "ms", false, 1));
      m.add(new Metric("small_write_t" + t + "_p99_ms", "  latency p99, " + th, "ms", false, 1));
    }
    String ot = plan.opThreads() + " threads";
    m.add(new Metric("small_read_fps", "the " + files + " files read, " + ot, "files/s", true, 1));
    m.add(new Metric("small_read_last_fps", "  the last fifth of them", "files/s", true, 1));
    m.add(new Metric("small_read_p50_ms", "  read latency p50", "ms", false, 1));
    m.add(new Metric("small_read_p99_ms", "  read latency p99", "ms", false, 1));
    m.add(new Metric("stat_ops", "stat, " + ot, "ops/s", true, 1));
    m.add(new Metric("stat_last_ops", "  the last fifth of the stats", "ops/s", true, 1));
    m.add(new Metric("stat_p50_ms", "  stat latency p50", "ms", false, 1));
    m.add(new Metric("list_ms", "listing of " + files + " entries, 1 thread", "ms", false, 1));
    m.add(new Metric("rename_ops", "rename, " + ot, "ops/s", true, 1));
    m.add(new Metric("rename_last_ops", "  the last fifth of the renames", "ops/s", true, 1));
    m.add(new Metric("delete_ops", "delete, " + ot, "ops/s", true, 1));
    m.add(new Metric("delete_last_ops", "  the last fifth of the deletes", "ops/s", true, 1));
    m.add(new Metric("ready_s", "start to a cluster ready for writes", "s", false, 1));
    m.add(new Metric("stall_s", "client stall when the leader is killed", "s", false, 1));
    m.add(new Metric("heap_empty_bpf", "namespace heap per 1M files (empty files)",
        "MiB", false, 1e6 / (1 << 20)));
    m.add(new Metric("heap_block_bpf", "  Cairn, files of one block (3 replicas)",
        "MiB", false, 1e6 / (1 << 20)));
    m.add(new Metric("heap_inline4k_bpf", "  Cairn, 4 KiB files (content inline)",
        "MiB", false, 1e6 / (1 << 20)));
    m.add(new Metric("warm_up_passes", "warm-up passes until the servers' JIT compilers settled",
        "passes", false, 1));
    m.add(new Metric("warm_up_jit_pct", "  the compilers' share of the servers' CPU, last pass",
        "%", false, 1));
    m.add(new Metric("cpu_servers_s", "CPU used by the server JVMs, start to the last delete",
        "s", false, 1));
    m.add(new Metric("cpu_servers_jit_s", "  of which by their JIT compiler threads", "s", false,
        1));
    m.add(new Metric("cpu_client_s", "CPU used by the benchmark's client JVM, same span", "s",
        false, 1));
    m.add(new Metric("cpu_client_jit_s", "  of which by its JIT compiler threads", "s", false,
        1));
    for (String op : List.of("rename", "delete")) {
      m.add(new Metric("cpu_" + op + "_servers_us", "CPU per " + op + " in the server JVMs",
          "us", false, 1));
      m.add(new Metric("cpu_" + op + "_servers_jit_us",
          "  of which by their JIT compiler threads", "us", false, 1));
      m.add(new Metric("cpu_" + op + "_client_us", "  CPU per " + op + " in the client JVM",
          "us", false, 1));
      m.add(new Metric("cpu_" + op + "_busy_pct",
          "  share of all cores busy during the " + op + "s", "%", false, 1));
    }
    return m;
  }

  /** True for the rows that account for the run rather than measure a workload. */
  boolean accounting() {
    return key.startsWith("cpu_") || key.startsWith("warm_up_");
  }

  String format(double raw) {
    double v = raw * scale;
    if (Double.isNaN(v)) {
      return "-";
    }
    double a = Math.abs(v);
    if (unit.equals("passes")) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
