package dev.cairn.bench;

import java.io.File;
import java.io.IOException;
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

  /** The java binary of this JVM, which every child runs, so both systems get the same JDK. */
  public static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * The flags that give a server JVM a class-data archive of its own in {@code dir} (none when
   * {@code dir} is null): its first run records the classes it loads, at exit; later runs map them
   * instead of loading them from the jars. This is how {@code cairn local} starts nodes, and both
   * systems get it alike. The JVM only writes a missing archive and ignores a stale one, so an
   * archive older than a jar of this JVM's class path (a rebuild) is deleted first.
   */
  public static List<String> classDataFlags(Path dir, String name) throws IOException {
    if (dir == null || Runtime.version().feature() < 19) {
      return List.of();
    }
    Path archive = dir.resolve(name + ".jsa");
    if (Files.exists(archive)) {
      long written = Files.getLastModifiedTime(archive).toMillis();
      for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
        Path p = Path.of(entry);
        if (Files.exists(p) && Files.getLastModifiedTime(p).toMillis() > written) {
          Files.delete(archive);
          break;
        }
      }
    }
    return List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + archive,
        "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
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
