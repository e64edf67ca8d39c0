package dev.cairn.bench;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The workload suite, written once against {@link FsClient} so that Cairn and HDFS run the same
 * code. Every measurement is printed as a {@link Results} line; "MB" is 10^6 bytes, as dd's.
 */
final class Workloads {
  static final int SMALL_FILE_BYTES = 4096;
  private static final int IO_BUFFER = 1 << 20;

  private final FsClient client;
  // Where the servers' CPU use is read, for the phases whose CPU per operation is reported; null
  // when it is not (a training round).
  private final CpuUse.Source serverCpu;
  private final byte[] pattern;
  private final byte[] small;

  Workloads(FsClient client, CpuUse.Source serverCpu) {
    this.client = client;
    this.serverCpu = serverCpu;
    // Random bytes, so that no layer can compress or deduplicate its way through.
    Random random = new Random(42);
    this.pattern = new byte[IO_BUFFER];
    random.nextBytes(pattern);
    this.small = new byte[SMALL_FILE_BYTES];
    random.nextBytes(small);
  }

  /** One large file written, then read back, through 1 MiB buffers. */
  void largeFile(long bytes) throws IOException {
    String path = "/large/file";
    client.mkdirs("/large");
    Progress.say("writing one file of %d MiB", bytes >> 20);
    long start = System.nanoTime();
    client.writeStream(path, new PatternStream(pattern, bytes));
    double writeSeconds = seconds(start);
    Results.result("large_write_MBps", bytes / 1e6 / writeSeconds);
    Progress.say("  write: %.1f MB/s; reading it back", bytes / 1e6 / writeSeconds);

    byte[] buffer = new byte[IO_BUFFER];
    start = System.nanoTime();
    long read = client.read(path, buffer);
    double readSeconds = seconds(start);
    if (read != bytes) {
      throw new IOException("read " + read + " bytes of a file of " + bytes);
    }
    Results.result("large_read_MBps", bytes / 1e6 / readSeconds);
    Progress.say("  read: %.1f MB/s", bytes / 1e6 / readSeconds);
    client.delete(path, false);
  }

  /**
   * The warm-up runs again until, in a pass, the servers' JIT compiler threads used less than this
   * share of the servers' CPU: their hot paths are compiled.
   */
  static final double SETTLED_JIT_SHARE = 0.05;
  /** The most passes of the warm-up, settled or not (its time limit usually ends it first). */
  static final int MAX_WARM_UP_PASSES = 50;
  /** Passes of the warm-up where the compilers' share cannot be read (not Linux). */
  static final int UNMEASURED_WARM_UP_PASSES = 3;

  /**
   * The measured workloads at a smaller size and unmeasured, before the measured ones, in passes
   * until the servers' JIT compilers have settled (see {@link #SETTLED_JIT_SHARE}): a server runs
   * for weeks, so what users meet is its speed once its JVMs have compiled their hot paths, not
   * the first seconds of a fresh process. A pass runs the measured phases in their order and with
   * their thread counts, since a JVM compiles each shape of load anew (one writer's log entries
   * carry one command, 32 writers' many). Both systems run the same warm-up under the same rule,
   * and it leaves nothing behind.
   *
   * @param files small files of each phase of a pass
   * @param maxSeconds no pass starts after the warm-up has run this long, settled or not
   * @param writeThreads the thread counts of the small-file writes
   * @param opThreads the threads of the reads, stats, renames and deletes
   */
  void warmUp(long largeBytes, int files, double maxSeconds, List<Integer> writeThreads,
      int opThreads, int statPasses) throws Exception {
    Progress.say("warming up, not measured: the workloads with one file of %d MiB and %d small"
        + " files, in passes until the servers' JIT compilers use less than %.0f%% of their CPU"
        + " (for %.0f s and %d passes at most)", largeBytes >> 20, files, 100 * SETTLED_JIT_SHARE,
        maxSeconds, MAX_WARM_UP_PASSES);
    long start = System.nanoTime();
    int passes = 0;
    double jitShare;
    do {
      CpuUse before = serverCpu == null ? null : serverCpu.read();
      long passStart = System.nanoTime();
      warmUpPass(largeBytes, files, writeThreads, opThreads, statPasses);
      passes++;
      jitShare = before == null ? Double.NaN : serverCpu.read().jitShareSince(before);
      Progress.say("  pass %d: %.1f s, the servers' JIT compilers used %.1f%% of their CPU",
          passes, seconds(passStart), 100 * jitShare);
    } while (passes < MAX_WARM_UP_PASSES && seconds(start) < maxSeconds
        && (Double.isNaN(jitShare)
        ? serverCpu != null && passes < UNMEASURED_WARM_UP_PASSES
        : jitShare >= SETTLED_JIT_SHARE));
    Results.result("warm_up_passes", passes);
    Results.result("warm_up_jit_pct", 100 * jitShare);
    Progress.say("  warmed up in %.1f s", seconds(start));
  }

  /** One pass of the warm-up: the measured phases in order, in a directory it removes. */
  private void warmUpPass(long largeBytes, int files, List<Integer> writeThreads, int opThreads,
      int statPasses) throws Exception {
    String root = "/warm-up";
    client.mkdirs(root);
    client.writeStream(root + "/large", new PatternStream(pattern, largeBytes));
    byte[] buffer = new byte[IO_BUFFER];
    long read = client.read(root + "/large", buffer);
    if (read != largeBytes) {
      throw new IOException("warm-up: read " + read + " bytes of a file of " + largeBytes);
    }
    client.delete(root + "/large", false);
    for (int t : writeThreads) {
      String dir = root + smallDir(t);
      client.mkdirs(dir);
      runOps(files, t, i -> client.write(file(dir, i), small), null);
    }
    String dir = root + smallDir(operatedOn(writeThreads, opThreads));
    ThreadLocal<byte[]> smallBuffer =
        ThreadLocal.withInitial(() -> new byte[SMALL_FILE_BYTES * 2]);
    runOps(files, opThreads, i -> client.read(file(dir, i), smallBuffer.get()), null);
    runOps(files * statPasses, opThreads, i -> client.stat(file(dir, i % files)), null);
    int listed = client.list(dir);
    if (listed != files) {
      throw new IOException("warm-up: listed " + listed + " entries, expected " + files);
    }
    runOps(files, opThreads, i -> client.rename(file(dir, i), renamed(dir, i)), null);
    runOps(files, opThreads, i -> client.delete(renamed(dir, i), false), null);
    client.delete(root, true);
  }

  /** {@code files} files of 4 KiB created, written and closed by {@code threads} threads. */
  void smallWrites(int files, int threads) throws Exception {
    String dir = smallDir(threads);
    client.mkdirs(dir);
    Progress.say("creating %d files of 4 KiB with %d thread%s", files, threads,
        threads == 1 ? "" : "s");
    Latencies latencies = new Latencies(files);
    Timing run = runOps(files, threads, i -> client.write(file(dir, i), small), latencies);
    String key = "small_write_t" + threads;
    run.record(key + "_fps", key + "_last_fps");
    Results.result(key + "_p50_ms", latencies.percentileMs(50));
    Results.result(key + "_p99_ms", latencies.percentileMs(99));
    Progress.say("  %s, p50 %.2f ms, p99 %.2f ms", run.rates("files/s"),
        latencies.percentileMs(50), latencies.percentileMs(99));
  }

  /**
   * The files written with {@code writtenWith} threads: read, stat, listed, renamed and deleted,
   * with {@code threads} threads (listing with one).
   */
  void smallOps(int files, int writtenWith, int threads, int statPasses, int listings)
      throws Exception {
    String dir = smallDir(writtenWith);
    ThreadLocal<byte[]> buffer = ThreadLocal.withInitial(() -> new byte[SMALL_FILE_BYTES * 2]);
    guarded("small_read", () -> {
      Progress.say("reading the %d files with %d thread%s", files, threads,
          threads == 1 ? "" : "s");
      Latencies latencies = new Latencies(files);
      Timing run = runOps(files, threads, i -> {
        long n = client.read(file(dir, i), buffer.get());
        if (n != SMALL_FILE_BYTES) {
          throw new IOException(file(dir, i) + ": read " + n + " bytes, wrote " + SMALL_FILE_BYTES);
        }
      }, latencies);
      run.record("small_read_fps", "small_read_last_fps");
      Results.result("small_read_p50_ms", latencies.percentileMs(50));
      Results.result("small_read_p99_ms", latencies.percentileMs(99));
      Progress.say("  %s, p50 %.2f ms", run.rates("files/s"), latencies.percentileMs(50));
    });
    guarded("stat", () -> {
      int ops = files * statPasses;
      Progress.say("stat of the files, %d times over, with %d thread%s", statPasses, threads,
          threads == 1 ? "" : "s");
      Latencies latencies = new Latencies(ops);
      Timing run = runOps(ops, threads, i -> client.stat(file(dir, i % files)), latencies);
      run.record("stat_ops", "stat_last_ops");
      Results.result("stat_p50_ms", latencies.percentileMs(50));
      Progress.say("  %s, p50 %.2f ms", run.rates("ops/s"), latencies.percentileMs(50));
    });
    guarded("list", () -> {
      Progress.say("listing the directory of %d files, %d times", files, listings);
      long start = System.nanoTime();
      for (int i = 0; i < listings; i++) {
        int n = client.list(dir);
        if (n != files) {
          throw new IOException("listed " + n + " entries in " + dir + ", expected " + files);
        }
      }
      double msPerListing = seconds(start) * 1000 / listings;
      Results.result("list_ms", msPerListing);
      Progress.say("  %.1f ms per listing", msPerListing);
    });
    guarded("rename", () -> {
      Progress.say("renaming the files with %d threads", threads);
      CpuUse.Span cpu = cpuSpan();
      Timing run = runOps(files, threads,
          i -> client.rename(file(dir, i), renamed(dir, i)), null);
      run.record("rename_ops", "rename_last_ops");
      recordCpu(cpu, "rename", files);
      Progress.say("  %s", run.rates("ops/s"));
    });
    guarded("delete", () -> {
      Progress.say("deleting the files with %d threads", threads);
      CpuUse.Span cpu = cpuSpan();
      Timing run = runOps(files, threads,
          i -> client.delete(renamed(dir, i), false), null);
      run.record("delete_ops", "delete_last_ops");
      recordCpu(cpu, "delete", files);
      Progress.say("  %s", run.rates("ops/s"));
    });
  }

  /** The start of a phase's CPU accounting, or null when none is kept. */
  private CpuUse.Span cpuSpan() throws IOException {
    return serverCpu == null ? null : CpuUse.Span.start(serverCpu);
  }

  private static void recordCpu(CpuUse.Span span, String name, int ops) throws IOException {
    if (span != null) {
      span.finish(ops).record(name);
    }
  }

  /** Removes what the small-file workloads left, outside any measurement. */
  void cleanUp(List<Integer> threadCounts) {
    for (int threads : threadCounts) {
      try {
        client.delete(smallDir(threads), true);
      } catch (IOException | RuntimeException e) {
        Progress.say("  (could not remove %s: %s)", smallDir(threads), e.getMessage());
      }
    }
  }

  /**
   * A client writing 4 KiB files one after another while the namespace's leader is killed: the
   * longest time between two successive acknowledged writes, from the last one before the kill
   * until writes have flowed again for a while, in seconds. A failed write is retried (same path,
   * overwrite) until it succeeds; each client's own failover does the rest.
   */
  void leaderLoss(SystemUnderTest system, double settleSeconds, double timeoutSeconds)
      throws Exception {
    client.mkdirs("/stall");
    List<Long> acks = new ArrayList<>();
    AtomicLong failures = new AtomicLong();
    Thread writer = new Thread(() -> {
      int i = 0;
      while (!Thread.currentThread().isInterrupted()) {
        try {
          client.write("/stall/f" + i, small);
        } catch (IOException | RuntimeException e) {
          failures.incrementAndGet();
          try {
            Thread.sleep(10);
          } catch (InterruptedException interrupted) {
            return;
          }
          continue;
        }
        long now = System.nanoTime();
        synchronized (acks) {
          acks.add(now);
        }
        i++;
      }
    }, "stall-writer");
    writer.setDaemon(true);
    writer.start();
    try {
      sleepSeconds(settleSeconds);
      int ackedBefore;
      synchronized (acks) {
        ackedBefore = acks.size();
      }
      if (ackedBefore == 0) {
        throw new IOException("no write succeeded in " + settleSeconds + " s before the kill");
      }
      AtomicLong killedAt = new AtomicLong();
      String what = system.killLeader(killedAt::set);
      long kill = killedAt.get();
      Progress.say("killed %s after %d writes; waiting for writes to go on", what, ackedBefore);
      // Watch until writes have gone on for a while after the kill: 5 s, and 50 writes since the
      // first acknowledged after it.
      long deadline = kill + (long) (timeoutSeconds * 1e9);
      long firstAfter = 0;
      while (System.nanoTime() < deadline) {
        int after;
        synchronized (acks) {
          after = 0;
          for (int k = acks.size() - 1; k >= 0 && acks.get(k) > kill; k--) {
            after++;
            firstAfter = acks.get(k);
          }
        }
        if (after >= 50 && System.nanoTime() - kill > 5_000_000_000L) {
          break;
        }
        Thread.sleep(20);
      }
      if (firstAfter == 0) {
        throw new IOException("no write was acknowledged within " + timeoutSeconds
            + " s of killing " + what + " (" + failures.get() + " failed tries)");
      }
      long longest = 0;
      synchronized (acks) {
        int k = acks.size() - 1;
        while (k > 0 && acks.get(k - 1) > kill) {
          k--;
        }
        // acks.get(k - 1) is the last acknowledged before the kill.
        for (int j = Math.max(1, k); j < acks.size(); j++) {
          longest = Math.max(longest, acks.get(j) - acks.get(j - 1));
        }
      }
      double stall = longest / 1e9;
      Results.result("stall_s", stall);
      Progress.say("  the client stalled %.2f s (%d failed tries; first write acknowledged"
          + " %.2f s after the kill)", stall, failures.get(), (firstAfter - kill) / 1e9);
    } finally {
      writer.interrupt();
      writer.join(30_000);
    }
    Progress.say("restarting what was killed");
    system.recover();
  }

  // ------------------------------------------------------------------ helpers

  interface Op {
    void run(int index) throws Exception;
  }

  interface Body {
    void run() throws Exception;
  }

  /** Runs a workload step; a failure is reported and the suite goes on with the next step. */
  static void guarded(String key, Body body) {
    try {
      body.run();
    } catch (Exception | Error e) {
      Results.error(key, e);
    }
  }

  /**
   * A timed run of operations: its whole wall time, and the rate over its last fifth (from the
   * completion before that fifth to the last one). Set against the whole run's rate, the last
   * fifth shows how much of the run went into warming up.
   */
  record Timing(int count, double seconds, double lastFifthPerSecond) {
    double perSecond() {
      return count / seconds;
    }

    /** Records both rates: the whole run's under {@code key}, the last fifth's under lastKey. */
    void record(String key, String lastKey) {
      Results.result(key, perSecond());
      Results.result(lastKey, lastFifthPerSecond);
    }

    /** "N unit (last fifth M/s)", for the progress display. */
    String rates(String unit) {
      return String.format(Locale.ROOT, "%.0f %s (last fifth %.0f/s)", perSecond(), unit,
          lastFifthPerSecond);
    }
  }

  /**
   * Runs operations 0..count-1 on {@code threads} threads, each taking the next index, and times
   * them. The first failure stops the run and is thrown.
   */
  static Timing runOps(int count, int threads, Op op, Latencies latencies) throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    long[] finishedAt = new long[count];
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        futures.add(pool.submit(() -> {
          int i;
          while ((i = next.getAndIncrement()) < count) {
            long begin = System.nanoTime();
            op.run(i);
            long end = System.nanoTime();
            finishedAt[finished.getAndIncrement()] = end;
            if (latencies != null) {
              latencies.record(i, end - begin);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          next.set(count); // stop the other threads
          Throwable cause = e.getCause();
          if (cause instanceof Exception ex) {
            throw ex;
          }
          throw new IOException(cause);
        }
      }
      double seconds = seconds(start);
      return new Timing(count, seconds, lastFifthPerSecond(start, finishedAt));
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The rate over the last fifth of the completions timed at {@code finishedAt} (at least one),
   * from the completion before that fifth, or from {@code start} if there is none. The times are
   * sorted first: a thread takes its slot after reading the clock, so another thread that read the
   * clock later can take an earlier slot, and a short run then came out with a negative rate.
   */
  static double lastFifthPerSecond(long start, long[] finishedAt) {
    long[] times = finishedAt.clone();
    Arrays.sort(times);
    int count = times.length;
    int fifth = Math.max(1, count / 5);
    long from = count > fifth ? times[count - 1 - fifth] : start;
    return fifth / (Math.max(1, times[count - 1] - from) / 1e9);
  }

  /**
   * The thread count whose files the reads, stats, renames and deletes work on: the files written
   * with as many threads as they use, else those of the first writes.
   */
  static int operatedOn(List<Integer> writeThreads, int opThreads) {
    return writeThreads.contains(opThreads) ? opThreads : writeThreads.get(0);
  }

  static String smallDir(int threads) {
    return "/small-t" + threads;
  }

  static String file(String dir, int i) {
    return dir + "/f" + String.format(Locale.ROOT, "%05d", i);
  }

  /** Where the rename phases move {@link #file}{@code (dir, i)}. */
  static String renamed(String dir, int i) {
    return dir + "/renamed-" + i;
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  static void sleepSeconds(double seconds) throws InterruptedException {
    Thread.sleep((long) (seconds * 1000));
  }

  /** {@code length} bytes repeating {@code pattern}, generated on the fly. */
  static final class PatternStream extends InputStream {
    private final byte[] pattern;
    private final long length;
    private long position;

    PatternStream(byte[] pattern, long length) {
      this.pattern = pattern;
      this.length = length;
    }

    @Override
    public int read() {
      if (position >= length) {
        return -1;
      }
      return pattern[(int) (position++ % pattern.length)] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position >= length) {
        return -1;
      }
      int offset = (int) (position % pattern.length);
      int n = (int) Math.min(Math.min(len, pattern.length - offset), length - position);
      System.arraycopy(pattern, offset, b, off, n);
      position += n;
      return n;
    }
  }
}
