package dev.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReportTest {

  /** A quick run of one round on a 2-core machine, with these limits and results. */
  private static Report oneRound(Machine.Limits limits, Map<String, Double> cairn,
      Map<String, Double> hdfs) {
    return oneRound(limits, cairn, hdfs, Map.of(), Map.of());
  }

  /** The same, with the in-memory round's results. */
  private static Report oneRound(Machine.Limits limits, Map<String, Double> cairn,
      Map<String, Double> hdfs, Map<String, Double> cairnInMemory,
      Map<String, Double> hdfsInMemory) {
    return new Report(new Report.Run(Plan.quickRun(), "./cairn bench --quick", "today",
        new Machine.Facts("cpu", 2, 1L << 34, "Linux", "java", List.of("disk"), ""), limits,
        List.of(cairn), List.of(hdfs), List.of(), List.of(), "java", Map.of(), 1.0, cairnInMemory,
        hdfsInMemory));
  }

  @Test
  void statTakesTheMedianOfWhatWasMeasured() {
    assertThat(Report.Stat.of(List.of(3.0, 1.0, 2.0)).median()).isEqualTo(2.0);
    assertThat(Report.Stat.of(List.of(4.0, 1.0, Double.NaN, 2.0, 3.0)).median()).isEqualTo(2.5);
    Report.Stat none = Report.Stat.of(List.of(Double.NaN));
    assertThat(none.n()).isZero();
    assertThat(none.median()).isNaN();
  }

  @Test
  void ratiosArePerRoundAndTargetsFollowThem() {
    Plan plan = Plan.quickRun();
    Report report = new Report(new Report.Run(plan, "./cairn bench --quick", "today",
        new Machine.Facts("cpu", 2, 1L << 34, "Linux", "java", List.of("disk"),
            "net.core.rmem_max 4194304"),
        new Machine.Limits(600, "dd", 1000, "dd", 500, null, 2000, 3, 6000),
        List.of(Map.of("stat_ops", 30_000.0, "stat_last_ops", 40_000.0, "ready_s", 3.0),
            Map.of("stat_ops", 20_000.0, "stat_last_ops", 30_000.0, "ready_s", 4.0)),
        List.of(Map.of("stat_ops", 10_000.0, "stat_last_ops", 12_000.0, "ready_s", 6.0),
            Map.of("stat_ops", 10_000.0, "stat_last_ops", 12_000.0, "ready_s", 6.0)),
        List.of(), List.of(), "java", Map.of(), 1.0, Map.of(), Map.of()));
    assertThat(report.ratios("stat_ops")).containsExactly(3.0, 2.0);
    assertThat(report.medianRatio("stat_ops")).isEqualTo(2.5);
    assertThat(report.targets()).filteredOn(t -> t.goal().startsWith("stat"))
        .singleElement().satisfies(t -> assertThat(t.met()).isTrue());
    assertThat(report.targets()).filteredOn(t -> t.goal().startsWith("cluster ready"))
        .singleElement().satisfies(t -> assertThat(t.met()).isTrue());
    assertThat(report.targets()).filteredOn(t -> t.goal().startsWith("Cairn ahead"))
        .singleElement().satisfies(t -> assertThat(t.met()).isTrue());
    assertThat(report.markdown()).contains("| stat, 8 threads | ops/s | 25,000 (20,000-30,000)")
        .contains("| &nbsp;&nbsp;the last fifth of the stats | ops/s | 35,000 (30,000-40,000)")
        .contains("- TCP receive buffers (bytes): net.core.rmem_max 4194304");
  }

  @Test
  void aWorkloadBehindIsExplainedWithTheCpuEachOperationCost() {
    Map<String, Double> cairn = Map.of("rename_ops", 4_000.0, "cpu_servers_s", 30.0,
        "cpu_servers_jit_s", 10.0, "cpu_client_s", 5.0, "cpu_client_jit_s", 2.0,
        "cpu_rename_servers_us", 400.0, "cpu_rename_servers_jit_us", 150.0,
        "cpu_rename_client_us", 60.0, "cpu_rename_busy_pct", 97.0);
    Map<String, Double> hdfs = Map.of("rename_ops", 6_000.0, "cpu_servers_s", 90.0,
        "cpu_servers_jit_s", 15.0, "cpu_client_s", 30.0, "cpu_client_jit_s", 9.0,
        "cpu_rename_servers_us", 120.0, "cpu_rename_servers_jit_us", 20.0,
        "cpu_rename_client_us", 90.0, "cpu_rename_busy_pct", 70.0);
    Report report = oneRound(new Machine.Limits(600, "dd", 1000, "dd", 500, null, 2000, 3, 6000), cairn,
        hdfs);
    assertThat(report.targets()).filteredOn(t -> t.goal().startsWith("Cairn ahead"))
        .singleElement().satisfies(t -> {
          assertThat(t.met()).isFalse();
          assertThat(t.measured()).contains("Per rename: Cairn's nodes 400 us of CPU (150 us of"
              + " it compiling), its client 60 us, all cores 97% busy; HDFS's servers 120 us of"
              + " CPU (20 us of it compiling), its client 90 us, all cores 70% busy")
              .doesNotContain("Per delete");
        });
    assertThat(report.markdown())
        .contains("| CPU per rename in the server JVMs | us | 400 | 120 |")
        .contains("| &nbsp;&nbsp;share of all cores busy during the renames | % | 97.0 | 70.0 |")
        .doesNotContain("In memory");
  }

  @Test
  void theInMemoryRoundSaysWhatTheDiskTookFromEachSide() {
    Plan plan = Plan.quickRun();
    Map<String, Double> cairn = Map.of("rename_ops", 4_000.0, "delete_ops", 5_000.0,
        "stat_ops", 40_000.0);
    Map<String, Double> hdfs = Map.of("rename_ops", 5_000.0, "delete_ops", 6_000.0,
        "stat_ops", 15_000.0);
    Map<String, Double> cairnInMemory = Map.of("rename_ops", 7_000.0, "delete_ops", 9_000.0,
        "cpu_rename_servers_us", 300.0, "small_write_t" + plan.opThreads() + "_fps", 6_500.0);
    Map<String, Double> hdfsInMemory = Map.of("rename_ops", 8_000.0, "delete_ops", 8_500.0,
        "cpu_rename_servers_us", 140.0);
    Report report = oneRound(new Machine.Limits(600, "dd", 1000, "dd", 500, null, 2000, 3, 6000), cairn,
        hdfs, cairnInMemory, hdfsInMemory);
    assertThat(report.targets()).filteredOn(t -> t.goal().startsWith("Cairn ahead"))
        .singleElement().satisfies(t -> assertThat(t.measured()).contains("With all data of"
            + " both sides in memory (the in-memory round: no disk time in any operation):"
            + " renames Cairn 7,000 vs HDFS 8,000 ops/s (on disk 4,000 vs 5,000); deletes Cairn"
            + " 9,000 vs HDFS 8,500 ops/s (on disk 5,000 vs 6,000)"));
    assertThat(report.markdown()).contains("## In memory: where the namespace operations' time"
            + " goes")
        .contains("| rename, " + plan.opThreads() + " threads | ops/s | 7,000 | 8,000 | 0.88 |"
            + " 4,000 | 5,000 |")
        .contains("| CPU per rename in the server JVMs | us | 300 | 140 | 2.14 | - | - |")
        .contains("created+written+closed, " + plan.opThreads() + " threads | files/s | 6,500 |"
            + " - | - |")
        // Measured on disk only: not a row of the in-memory table.
        .doesNotContain("| stat, " + plan.opThreads() + " threads | ops/s | - | - |");
  }

  @Test
  void aSpanCountsTheCpuUsedBetweenItsEnds() throws Exception {
    long pid = ProcessHandle.current().pid();
    CpuUse.Span span = CpuUse.Span.start(() -> CpuUse.of(List.of(pid)));
    long spin = System.nanoTime() + 200_000_000L;
    long x = 0;
    while (System.nanoTime() < spin) {
      x += Long.numberOfTrailingZeros(x + System.nanoTime());
    }
    assertThat(x).isPositive();
    CpuUse.PerOperation cpu = span.finish(2);
    // 200 ms of spinning on one thread, counted as 2 operations: this JVM, read as "servers" and
    // as the client, used at least 75 ms of CPU per operation, and kept one core busy.
    assertThat(cpu.serversUs()).isGreaterThan(75_000.0);
    assertThat(cpu.clientUs()).isGreaterThan(75_000.0);
    assertThat(cpu.busyPct()).isGreaterThan(75.0 / Runtime.getRuntime().availableProcessors());
  }

  @Test
  void theLimitsMeasuredExplainTheReadAndTheOneThreadWrites() {
    Map<String, Double> cairn = Map.of("large_read_MBps", 3_000.0, "small_write_t1_fps", 1_000.0,
        "small_write_t1_p50_ms", 0.8);
    Map<String, Double> hdfs = Map.of("large_read_MBps", 2_500.0, "small_write_t1_fps", 50.0,
        "small_write_t1_p50_ms", 9.0);
    Report report = oneRound(new Machine.Limits(600, "dd", 5000, "dd", 2500,
        new Machine.Quorum(4000, 0.25), 2000, 3, 6000), cairn,
        hdfs);
    assertThat(report.targets()).filteredOn(t -> t.goal().startsWith("large-file read"))
        .singleElement().satisfies(t -> {
          assertThat(t.met()).isFalse();
          assertThat(t.measured()).contains("One core checks CRC32C at 6000 MB/s here: at"
              + " Cairn's 3000 MB/s a MB took 0.333 ms, and checking a MB takes 0.167 (50% of"
              + " it); 1.5x HDFS (3750 MB/s) needs a MB every 0.267 ms");
        });
    assertThat(report.targets()).filteredOn(t -> t.goal().startsWith("small files, 1 thread"))
        .singleElement().satisfies(t -> assertThat(t.measured()).contains("30x HDFS needs a"
            + " file every 0.67 ms. The disk alone allows 4000 per second: 3 logs on it, each"
            + " appending 4224 bytes and forcing them, had 2 of the 3 done in 0.25 ms (p50), so"
            + " 0.55 ms of Cairn's p50 is its own"));
    assertThat(report.markdown())
        .contains("| the same from 3 writers at once (as Cairn's 3 Raft logs), each | 2500 /s"
            + " (0.40 ms each) |")
        .contains("| a quorum of 3 log appends (the disk's bound on one writer of small files) |"
            + " 4000 /s (p50 0.25 ms) |")
        .contains("| CRC32C on one core | 6000 MB/s |");
  }

  @Test
  void limitsFromBeforeTheNewRowsRenderWithoutThem() {
    Report report = oneRound(new Machine.Limits(600, "dd", 5000, "dd", Double.NaN, null,
        2000, 3, Double.NaN), Map.of("large_read_MBps", 3_000.0), Map.of("large_read_MBps", 2_500.0));
    assertThat(report.markdown()).doesNotContain("CRC32C").doesNotContain("3 writers")
        .doesNotContain("quorum").doesNotContain("NaN");
  }

  @Test
  void aRatioIsNeverRoundedOntoTheOtherSideOfItsGoal() {
    assertThat(Report.ratioText(1.52, 1.5)).isEqualTo("1.52");
    assertThat(Report.ratioText(1.497, 1.5)).isEqualTo("1.497");
    assertThat(Report.ratioText(1.4996, 1.5)).isEqualTo("1.4996");
    assertThat(Report.ratioText(1.5, 1.5)).isEqualTo("1.50");
    assertThat(Report.ratioText(0.63, 1.0)).isEqualTo("0.63");
  }

  @Test
  void aTimedRunCountsEveryCallAndRatesItsLastFifth() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Workloads.Timing run = Workloads.runOps(50, 4, i -> calls.incrementAndGet(), null);
    assertThat(calls).hasValue(50);
    assertThat(run.count()).isEqualTo(50);
    assertThat(run.perSecond()).isPositive().isFinite();
    assertThat(run.lastFifthPerSecond()).isPositive().isFinite();
    Workloads.Timing one = Workloads.runOps(1, 1, i -> calls.incrementAndGet(), null);
    assertThat(one.lastFifthPerSecond()).isPositive().isFinite();
  }

  @Test
  void theLastFifthIsTimedInClockOrderWhateverOrderTheThreadsRecordedIn() {
    // 10 completions a millisecond apart, the last 3 recorded out of order, as threads finishing
    // together can record them: the last fifth is the 2 at 9 and 10 ms, timed from the one at 8.
    long ms = 1_000_000;
    long[] recorded = {ms, 2 * ms, 3 * ms, 4 * ms, 5 * ms, 6 * ms, 7 * ms, 10 * ms, 9 * ms, 8 * ms};
    assertThat(Workloads.lastFifthPerSecond(0, recorded)).isCloseTo(1000, within(1e-6));
    assertThat(Workloads.lastFifthPerSecond(0, new long[] {4 * ms})).isCloseTo(250, within(1e-6));
  }

  @Test
  void patternStreamGivesExactlyTheLengthAsked() throws IOException {
    byte[] pattern = {1, 2, 3};
    try (Workloads.PatternStream in = new Workloads.PatternStream(pattern, 10)) {
      byte[] all = in.readAllBytes();
      assertThat(all).containsExactly(1, 2, 3, 1, 2, 3, 1, 2, 3, 1);
    }
  }
}
