package dev.cairn.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The machine the benchmark runs on, and its physical limits measured in the same run: what the
 * disk does for sequential writes with fdatasync and for small synchronous writes (from one
 * writer, and from three at once, as Cairn's three nodes sync their Raft logs on this one disk),
 * how fast the disk completes a quorum of three log appends, which bounds one writer of small
 * files, what loopback TCP carries, and how fast one core checks CRC32C, as both clients do for
 * every byte they read. They bound what either system can do here.
 */
final class Machine {
  private static final Pattern DD_RESULT =
      Pattern.compile("(\\d+) bytes .*copied, ([0-9.]+(?:e[-+]?\\d+)?) s");

  /**
   * What the benchmark runs on. {@code sockets} gives the kernel's TCP receive buffer limits,
   * which shape large reads: Cairn's read connections ask for 4 MiB only where rmem_max allows it.
   */
  record Facts(String cpu, int cores, long memoryBytes, String kernel, String java,
      List<String> disk, String sockets) {}

  /**
   * @param syncWritesPerSecondOfThree what each of 3 writers got, syncing at the same time (the
   *     mean of the three); NaN if not measured (runs from before it was)
   * @param quorum rounds of {@link #quorumSyncs}; null if not measured
   * @param crc32cMBps {@link CRC32C} over 64 KiB arrays on one thread; NaN if not measured
   */
  record Limits(double ddWriteMBps, String ddCommand, double syncWritesPerSecond,
      String syncCommand, double syncWritesPerSecondOfThree, Quorum quorum,
      double loopbackMBps, double loopbackSeconds, double crc32cMBps) {}

  /** Rounds per second of {@link #quorumSyncs}, and the median round in milliseconds. */
  record Quorum(double roundsPerSecond, double p50Ms) {}

  /** What one round of {@link #quorumSyncs} appends to each log: a small file's Raft entry. */
  static final int QUORUM_APPEND_BYTES = 4096 + 128;

  /** How large each log of {@link #quorumSyncs} is made before the rounds, by writing zeros. */
  private static final int QUORUM_LOG_BYTES = 16 << 20;

  private static volatile long crcSink;

  private Machine() {}

  static Facts facts(Path dir) {
    String cpu = "unknown";
    long memory = 0;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).strip();
          break;
        }
      }
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          memory = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: leave unknown
    }
    List<String> disk = new ArrayList<>();
    disk.addAll(run(List.of("df", "-h", dir.toString()), 30).lines().toList());
    String device = run(List.of("df", "--output=source", dir.toString()), 30).lines()
        .skip(1).findFirst().orElse("").strip();
    if (device.startsWith("/dev/")) {
      String name = device.substring(5);
      String rotational = readQuietly(Path.of("/sys/block", name, "queue", "rotational"));
      String model = readQuietly(Path.of("/sys/block", name, "device", "model"));
      String scheduler = readQuietly(Path.of("/sys/block", name, "queue", "scheduler"));
      disk.add("device " + device + ": rotational=" + (rotational.isEmpty() ? "?" : rotational)
          + (model.isEmpty() ? "" : ", model " + model)
          + (scheduler.isEmpty() ? "" : ", scheduler " + scheduler));
    }
    String fsType = run(List.of("stat", "-f", "-c", "%T", dir.toString()), 30).strip();
    if (!fsType.isEmpty()) {
      disk.add("file system type: " + fsType);
    }
    return new Facts(cpu, Runtime.getRuntime().availableProcessors(), memory,
        run(List.of("uname", "-sr"), 30).strip(),
        System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"),
        disk, sockets());
  }

  /** Where the in-memory round keeps its data: a RAM-backed file system on Linux. */
  static final Path MEMORY_FS = Path.of("/dev/shm");

  /** The room the in-memory round needs there: both clusters' data of one round, with margin. */
  static final long MEMORY_ROOM_BYTES = 4L << 30;

  /**
   * {@link #MEMORY_FS} if it is a writable directory with {@link #MEMORY_ROOM_BYTES} free, else
   * null.
   */
  static Path memoryDirectory() {
    try {
      if (Files.isDirectory(MEMORY_FS) && Files.isWritable(MEMORY_FS)
          && Files.getFileStore(MEMORY_FS).getUsableSpace() >= MEMORY_ROOM_BYTES) {
        return MEMORY_FS;
      }
    } catch (IOException e) {
      // not usable: the round is skipped
    }
    return null;
  }

  static Limits limits(Path dir, int ddMib, int syncWrites) throws IOException,
      InterruptedException {
    Path file = dir.resolve("dd.bin");
    List<String> dd = List.of("dd", "if=/dev/zero", "of=" + file, "bs=1M", "count=" + ddMib,
        "conv=fdatasync");
    double write = ddRate(run(dd, 600), true);
    Files.deleteIfExists(file);
    Path small = dir.resolve("dsync.bin");
    List<String> sync = List.of("dd", "if=/dev/zero", "of=" + small, "bs=4k",
        "count=" + syncWrites, "oflag=dsync");
    double seconds = ddRate(run(sync, 600), false);
    Files.deleteIfExists(small);
    double loopbackSeconds = 3;
    return new Limits(write, String.join(" ", dd).replace(dir.toString(), "$DIR"),
        syncWrites / seconds, String.join(" ", sync).replace(dir.toString(), "$DIR"),
        syncWritesOfThree(dir, syncWrites), quorumSyncs(dir, syncWrites),
        loopback(loopbackSeconds), loopbackSeconds, crc32cMBps());
  }

  /**
   * The disk's bound on one writer of small files, with no software in the way: 3 log files on
   * this disk, made 16 MiB long with zeros first (as Ratis fills its log segments ahead), and
   * {@code rounds} rounds in which 3 threads each append {@link #QUORUM_APPEND_BYTES} to their
   * own log and force it, a round done when 2 of the 3 have (as a Raft commit is done when the
   * leader and one follower have synced its entry). The third goes on in the background, as the
   * third node does, and starts its next append when its last is forced. The first tenth of the
   * rounds is a warm-up, not counted.
   */
  static Quorum quorumSyncs(Path dir, int rounds) throws IOException, InterruptedException {
    int warmUp = Math.max(1, rounds / 10);
    List<FileChannel> logs = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<BlockingQueue<CountDownLatch>> work = new ArrayList<>();
    AtomicReference<IOException> failure = new AtomicReference<>();
    try {
      for (int i = 0; i < 3; i++) {
        Path file = dir.resolve("quorum-" + i + ".log");
        files.add(file);
        FileChannel log = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
        logs.add(log);
        ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
        for (int written = 0; written < QUORUM_LOG_BYTES; written += zeros.capacity()) {
          zeros.clear();
          while (zeros.hasRemaining()) {
            log.write(zeros);
          }
        }
        log.force(true);
        log.position(0);
      }
      for (int i = 0; i < 3; i++) {
        FileChannel log = logs.get(i);
        BlockingQueue<CountDownLatch> appends = new LinkedBlockingQueue<>();
        work.add(appends);
        Thread t = new Thread(() -> {
          ByteBuffer entry = ByteBuffer.allocateDirect(QUORUM_APPEND_BYTES);
          try {
            while (true) {
              CountDownLatch round = appends.take();
              try {
                if (log.position() + entry.capacity() > QUORUM_LOG_BYTES) {
                  log.position(0);
                }
                entry.clear();
                while (entry.hasRemaining()) {
                  log.write(entry);
                }
                log.force(false);
              } catch (IOException e) {
                failure.compareAndSet(null, e);
                round.countDown(); // end the round now: the caller sees the failure
              }
              round.countDown();
            }
          } catch (InterruptedException e) {
            // done
          }
        }, "quorum-log-" + i);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
      long[] nanos = new long[rounds - warmUp];
      long start = 0;
      for (int r = 0; r < rounds; r++) {
        if (r == warmUp) {
          start = System.nanoTime();
        }
        long roundStart = System.nanoTime();
        CountDownLatch round = new CountDownLatch(2);
        work.forEach(q -> q.add(round));
        if (!round.await(60, TimeUnit.SECONDS)) {
          throw new IOException("a quorum of log syncs took over 60 s");
        }
        if (failure.get() != null) {
          throw new IOException("a log append of the quorum failed", failure.get());
        }
        if (r >= warmUp) {
          nanos[r - warmUp] = System.nanoTime() - roundStart;
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Arrays.sort(nanos);
      return new Quorum(nanos.length / seconds, nanos[nanos.length / 2] / 1e6);
    } finally {
      threads.forEach(Thread::interrupt);
      for (Thread t : threads) {
        t.join(60_000);
      }
      for (FileChannel log : logs) {
        log.close();
      }
      for (Path file : files) {
        Files.deleteIfExists(file);
      }
    }
  }

  /**
   * The small synchronous writes of {@link #limits}, from 3 dd processes started together on 3
   * files; the mean of their rates, each its writes over its own time.
   */
  static double syncWritesOfThree(Path dir, int syncWrites) throws IOException,
      InterruptedException {
    List<Process> writers = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Path file = dir.resolve("dsync-" + i + ".bin");
        files.add(file);
        writers.add(new ProcessBuilder("dd", "if=/dev/zero", "of=" + file, "bs=4k",
            "count=" + syncWrites, "oflag=dsync").redirectErrorStream(true).start());
      }
      double sum = 0;
      for (Process p : writers) {
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
          throw new IOException("dd with oflag=dsync did not finish in 600 s");
        }
        sum += syncWrites / ddRate(out, false);
      }
      return sum / writers.size();
    } finally {
      writers.forEach(Process::destroyForcibly);
      for (Path file : files) {
        Files.deleteIfExists(file);
      }
    }
  }

  /** MB/s of {@link CRC32C} over one 64 KiB array, on this thread, after a warm-up. */
  static double crc32cMBps() {
    byte[] chunk = new byte[64 * 1024];
    new java.util.SplittableRandom(1).nextBytes(chunk);
    CRC32C crc = new CRC32C();
    long sink = 0;
    long bytes = 0;
    long start = 0;
    long warmUpEnd = System.nanoTime() + 500_000_000L;
    long end = warmUpEnd + 1_000_000_000L;
    for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
      if (start == 0 && now >= warmUpEnd) {
        start = now;
        bytes = 0;
      }
      for (int i = 0; i < 16; i++) {
        crc.reset();
        crc.update(chunk, 0, chunk.length);
        sink += crc.getValue();
      }
      bytes += 16L * chunk.length;
    }
    crcSink = sink; // so that the sums cannot be optimized away
    return bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
  }

  /** MB/s (rate) or seconds (not rate) from dd's last line. */
  private static double ddRate(String output, boolean rate) throws IOException {
    Matcher m = DD_RESULT.matcher(output);
    if (!m.find()) {
      throw new IOException("cannot read dd's result from: " + output.strip());
    }
    double bytes = Double.parseDouble(m.group(1));
    double seconds = Double.parseDouble(m.group(2));
    return rate ? bytes / 1e6 / seconds : seconds;
  }

  /** One TCP connection on 127.0.0.1, 1 MiB writes for {@code seconds}; MB/s received. */
  static double loopback(double seconds) throws IOException, InterruptedException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      long[] received = {0};
      long[] elapsed = {0};
      Thread receiver = new Thread(() -> {
        try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
          byte[] buffer = new byte[1 << 20];
          long start = System.nanoTime();
          int n;
          while ((n = in.read(buffer)) > 0) {
            received[0] += n;
          }
          elapsed[0] = System.nanoTime() - start;
        } catch (IOException e) {
          received[0] = -1;
        }
      }, "loopback-receiver");
      receiver.start();
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
          OutputStream out = s.getOutputStream()) {
        byte[] buffer = new byte[1 << 20];
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
          out.write(buffer);
        }
      }
      receiver.join();
      if (received[0] < 0) {
        throw new IOException("loopback receiver failed");
      }
      return received[0] / 1e6 / (elapsed[0] / 1e9);
    }
  }

  /** Runs a command, returns stdout and stderr together; "" if it cannot run. */
  static String run(List<String> command, int timeoutSeconds) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static String sockets() {
    String rmemMax = readQuietly(Path.of("/proc/sys/net/core/rmem_max"));
    String tcpRmem = readQuietly(Path.of("/proc/sys/net/ipv4/tcp_rmem")).replaceAll("\\s+", " ");
    return rmemMax.isEmpty() ? "unknown"
        : "net.core.rmem_max " + rmemMax + ", net.ipv4.tcp_rmem " + tcpRmem;
  }

  private static String readQuietly(Path file) {
    try {
      // Line by line: Files.readString was seen to return only the first byte of a /proc file.
      return String.join(" ", Files.readAllLines(file)).strip();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
  }
}
