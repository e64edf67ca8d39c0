package dev.cairn.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server JVM started by a driver, with its output in a log file. Every pid is also appended to
 * {@code pids} in the round's directory, so that the orchestrator can kill a server even when its
 * driver died without cleaning up.
 */
public final class ServerProcess {
  public static final String PIDS_FILE = "pids";

  private final String name;
  private final List<String> command;
  private final Path log;
  private final Path pidsFile;
  private final boolean pipeStdio;
  private Process process;

  /**
   * @param pipeStdio true to keep stdin and stdout as pipes (the HDFS cluster is driven through
   *     them); false to send stdout to the log too and give the process no stdin
   */
  public ServerProcess(String name, List<String> command, Path log, Path pidsFile,
      boolean pipeStdio) {
    this.name = name;
    this.command = List.copyOf(command);
    this.log = log;
    this.pidsFile = pidsFile;
    this.pipeStdio = pipeStdio;
  }

  /**
   * A port on 127.0.0.1 that the OS just handed out and that nothing listens on now: for a server
   * about to start, or for a client that must find nobody there.
   */
  public static int freeLoopbackPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The java binary of this JVM, which every child runs, so both systems get the same JDK. */
  public static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * The flags that give a server JVM class data of its own in {@code dir} (none when {@code dir}
   * is null), as {@code cairn local} starts nodes; both systems get it alike. From JDK 25 it is an
   * AOT cache: the first run records the classes it loads and links and the profiles of the methods
   * it runs, and writes them at exit; later runs map the classes and compile their hot methods from
   * those profiles from the start. Before JDK 25 (19 and newer) it is a dynamic class-data archive,
   * classes only. The JVM only writes a missing file and ignores a stale one, so one older than a
   * jar of this JVM's class path (a rebuild) is deleted first.
   */
  public static List<String> classDataFlags(Path dir, String name) throws IOException {
    int jdk = Runtime.version().feature();
    if (dir == null || jdk < 19) {
      return List.of();
    }
    List<Path> classPath = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      classPath.add(Path.of(entry));
    }
    Path file = classDataFile(dir, name, classPath);
    if (jdk >= 25) {
      return List.of(Files.exists(file) ? "-XX:AOTCache=" + file : "-XX:AOTCacheOutput=" + file,
          "-Xlog:aot*=off", "-Xlog:cds*=off");
    }
    return List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + file,
        "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
  }

  /**
   * The class-data file of the server JVM {@code name} in {@code dir}, deleted first if an entry
   * of {@code classPath} is newer than it (the JVM would ignore it).
   */
  public static Path classDataFile(Path dir, String name, List<Path> classPath)
      throws IOException {
    Path file = dir.resolve(name + (Runtime.version().feature() >= 25 ? ".aot" : ".jsa"));
    if (Files.exists(file)) {
      long written = Files.getLastModifiedTime(file).toMillis();
      for (Path p : classPath) {
        if (Files.exists(p) && Files.getLastModifiedTime(p).toMillis() > written) {
          Files.delete(file);
          break;
        }
      }
    }
    return file;
  }

  /** java, the flags, this JVM's class path, the main class and its arguments. */
  public static List<String> javaCommand(List<String> flags, String mainClass, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(javaBinary());
    command.addAll(flags);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    return command;
  }

  public synchronized Process start() throws IOException {
    Files.createDirectories(log.getParent());
    Files.writeString(log, "=== " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(
        ProcessBuilder.Redirect.appendTo(log.toFile()));
    if (!pipeStdio) {
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    }
    process = pb.start();
    Files.writeString(pidsFile, process.pid() + " " + name + "\n", StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    return process;
  }

  public synchronized Process process() {
    return process;
  }

  public String name() {
    return name;
  }

  public Path log() {
    return log;
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL, as kill -9; waits until the process is gone. */
  public synchronized void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** SIGTERM (so a JVM runs its shutdown hooks and dumps its flight recording), then SIGKILL. */
  public synchronized void stop(long graceSeconds) {
    if (process == null || !process.isAlive()) {
      return;
    }
    try {
      process.destroy();
      if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** The last lines of the log, for error messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
