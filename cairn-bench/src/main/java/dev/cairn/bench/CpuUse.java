package dev.cairn.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The CPU time some JVMs have used so far, and how much of it went to their JIT compiler threads:
 * on a machine with few cores, compiling the code of the hot paths competes with running it. Cairn
 * runs 3 node JVMs and HDFS one JVM for all its servers, so each of Cairn's nodes compiles the
 * paths that HDFS's one JVM compiles once; this measures what that costs.
 *
 * <p>Process CPU comes from {@link ProcessHandle}; the compiler threads' share from {@code
 * /proc/PID/task/TID/stat} (Linux; elsewhere it is NaN). Only live threads count, which for the
 * compiler threads of a long-running JVM is nearly all of them.
 */
record CpuUse(double seconds, double jitSeconds) {

  /** The share of the CPU used since {@code before} that went to the JIT compiler threads. */
  double jitShareSince(CpuUse before) {
    return (jitSeconds - before.jitSeconds) / (seconds - before.seconds);
  }

  /** Reads the CPU use of the servers of a round, which may have changed since the last read. */
  interface Source {
    CpuUse read() throws IOException;
  }

  /**
   * The CPU a timed phase cost, per operation: what the servers ({@code servers}) and this JVM (the
   * benchmark's client) used between {@link #start} and {@link #finish}, and how busy that kept the
   * machine's cores over the phase's wall time. A phase that keeps the cores near 100% busy is
   * bound by CPU, and then the CPU per operation decides its rate.
   */
  record Span(Source servers, CpuUse serversAtStart, CpuUse clientAtStart, long startNanos) {

    static Span start(Source servers) throws IOException {
      CpuUse s = servers.read();
      return new Span(servers, s, self(), System.nanoTime());
    }

    /** What the phase cost per operation, for {@code ops} operations since {@link #start}. */
    PerOperation finish(int ops) throws IOException {
      double wall = (System.nanoTime() - startNanos) / 1e9;
      CpuUse s = servers.read();
      CpuUse c = self();
      double serverSeconds = s.seconds() - serversAtStart.seconds();
      double clientSeconds = c.seconds() - clientAtStart.seconds();
      return new PerOperation(serverSeconds * 1e6 / ops,
          (s.jitSeconds() - serversAtStart.jitSeconds()) * 1e6 / ops, clientSeconds * 1e6 / ops,
          100 * (serverSeconds + clientSeconds)
              / (wall * Runtime.getRuntime().availableProcessors()));
    }

    private static CpuUse self() {
      return of(List.of(ProcessHandle.current().pid()));
    }
  }

  /**
   * The CPU one operation of a phase cost, in microseconds: in the servers, the part of that spent
   * compiling, and in the client; and the servers and the client together as a share of all cores
   * over the phase's wall time.
   */
  record PerOperation(double serversUs, double serversJitUs, double clientUs, double busyPct) {

    /** Prints them as {@code cpu_NAME_servers_us}, {@code _servers_jit_us}, {@code _client_us}
     * and {@code _busy_pct}. */
    void record(String name) {
      Results.result("cpu_" + name + "_servers_us", serversUs);
      Results.result("cpu_" + name + "_servers_jit_us", serversJitUs);
      Results.result("cpu_" + name + "_client_us", clientUs);
      Results.result("cpu_" + name + "_busy_pct", busyPct);
    }
  }

  /** The servers listed in a round's pids file ({@link ServerProcess#PIDS_FILE}) still running. */
  static CpuUse servers(Path pidsFile) throws IOException {
    List<Long> pids = new ArrayList<>();
    for (String line : Files.readAllLines(pidsFile)) {
      if (!line.isBlank()) {
        pids.add(Long.parseLong(line.strip().split(" ")[0]));
      }
    }
    return of(pids);
  }

  /** The processes of {@code pids} that are still running. */
  static CpuUse of(List<Long> pids) {
    double seconds = 0;
    double jit = 0;
    for (long pid : pids) {
      Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
      Optional<Duration> cpu = handle.flatMap(h -> h.info().totalCpuDuration());
      if (cpu.isEmpty()) {
        continue;
      }
      seconds += cpu.get().toNanos() / 1e9;
      jit += compilerTicks(pid) / TicksPerSecond.VALUE;
    }
    return new CpuUse(seconds, jit);
  }

  /** User plus system ticks of the threads named like HotSpot's compiler threads; NaN off Linux. */
  private static double compilerTicks(long pid) {
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    if (!Files.isDirectory(tasks)) {
      return Double.NaN;
    }
    long ticks = 0;
    try (Stream<Path> threads = Files.list(tasks)) {
      for (Path thread : threads.toList()) {
        try {
          String stat = Files.readString(thread.resolve("stat"));
          // pid (comm) state ppid ... : comm may hold spaces, so split after its closing paren.
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          String comm = stat.substring(open + 1, close);
          if (!comm.startsWith("C1 CompilerThre") && !comm.startsWith("C2 CompilerThre")) {
            continue;
          }
          List<String> fields = List.of(stat.substring(close + 2).split(" "));
          // After the comm: state is field 3, utime 14 and stime 15 (proc(5)), so 11 and 12 here.
          ticks += Long.parseLong(fields.get(11)) + Long.parseLong(fields.get(12));
        } catch (IOException | RuntimeException e) {
          // The thread ended meanwhile.
        }
      }
    } catch (IOException e) {
      return Double.NaN;
    }
    return ticks;
  }

  /**
   * The kernel's USER_HZ, which /proc counts in, asked of getconf once: a reading taken around a
   * timed phase should not start a process in the client it measures.
   */
  private static final class TicksPerSecond {
    static final double VALUE = ask();
  }

  /** USER_HZ as getconf says it; 100 when it cannot say. */
  private static double ask() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      return p.waitFor() == 0 ? Double.parseDouble(out) : 100;
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
