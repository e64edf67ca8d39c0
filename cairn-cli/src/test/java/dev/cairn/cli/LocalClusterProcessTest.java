package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end, as separate processes: {@code cairn local start} spawns three node
 * processes, the shell is driven through stdin, one node is killed with SIGKILL, and everything
 * must still be readable and writable; then the killed node is restarted and the cluster stopped.
 */
class LocalClusterProcessTest {
  private static final Duration START = Duration.ofSeconds(120);
  private static final Duration COMMAND = Duration.ofSeconds(120);

  @TempDir static Path temp;
  private static Path dir;
  private static Path editor;
  private static Path data;

  private record Result(int exit, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out() + "\n--- stderr\n" + stderr;
    }
  }

  @BeforeAll
  static void prepare() throws IOException {
    dir = temp.resolve("cluster dir"); // a space, to keep quoting honest
    // The editor appends a line, so a new file gets "hello\n" and each later edit adds one.
    editor = temp.resolve("editor.sh");
    Files.writeString(editor, "#!/bin/sh\nprintf 'hello\\n' >> \"$1\"\n");
    Files.setPosixFilePermissions(editor, PosixFilePermissions.fromString("rwx------"));
    data = temp.resolve("data.bin");
    byte[] bytes = new byte[10 * 1024 * 1024 + 123]; // more than one 8 MiB block
    new Random(42).nextBytes(bytes);
    Files.write(data, bytes);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (dir == null || !Files.exists(dir.resolve("nodes"))) {
      return;
    }
    cairn(null, "local", "stop", "--dir", dir.toString());
    // Whatever stop missed must not outlive the test.
    for (long pid : pids()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void aLocalClusterServesThroughTheShellAndSurvivesKillMinus9() throws Exception {
    try {
      run();
    } catch (Throwable t) {
      dumpLogs();
      throw t;
    }
  }

  private void run() throws Exception {
    // 1. Start.
    Result start = cairn(null, "local", "start", "--dir", dir.toString());
    assertThat(start.exit()).as(start.toString()).isZero();
    assertThat(start.out()).contains("cluster of 3 nodes up in");
    String cluster = Files.readString(dir.resolve("cluster")).strip();
    assertThat(cluster.split(",")).hasSize(3).allMatch(a -> a.startsWith("127.0.0.1:"));
    assertThat(pids()).hasSize(3).allMatch(pid -> ProcessHandle.of(pid).isPresent());

    Result again = cairn(null, "local", "start", "--dir", dir.toString());
    assertThat(again.exit()).as(again.toString()).isEqualTo(1);
    assertThat(again.stderr()).contains("already running");

    // 2. A shell session with every kind of command.
    Path copy = temp.resolve("copy.bin");
    Result first = shell(cluster, """
        # set up
        mkdir -p /docs/sub
        create /docs/empty.txt
        put '%s' /docs/data.bin
        write '/docs/my note.txt'
        append '/docs/my note.txt'
        list /docs
        read '/docs/my note.txt'
        mv '/docs/my note.txt' /docs/sub/note.txt
        stat /docs/sub/note.txt
        get /docs/data.bin '%s'
        delete /docs/empty.txt
        status
        """.formatted(data, copy));
    assertThat(first.exit()).as(first.toString()).isZero();
    assertThat(first.stderr()).as(first.toString()).isEmpty();
    assertThat(first.out())
        .contains("created directory /docs/sub")
        .contains("saved /docs/my note.txt (6 B, version")
        .contains("appended 6 B to /docs/my note.txt (12 B, version")
        .containsPattern("file +10.0 MiB +\\d+ +\\S+ \\S+ +data.bin")
        .containsPattern("file +12 B +\\d+ +\\S+ \\S+ +my note.txt")
        .containsPattern("dir +- +- +\\S+ \\S+ +sub/")
        .contains("hello\nhello\n")
        .contains("moved /docs/my note.txt -> /docs/sub/note.txt")
        .containsPattern("size: +12 B \\(12 bytes\\)")
        .contains("deleted /docs/empty.txt")
        .containsPattern("n1 +127.0.0.1:\\d+ +up")
        .contains("health:            ok");
    assertThat(Files.mismatch(copy, data)).isEqualTo(-1);

    // 3. Kill the leader with SIGKILL.
    Matcher leader = Pattern.compile("leader: +(n\\d)").matcher(first.out());
    assertThat(leader.find()).isTrue();
    String victim = leader.group(1);
    long victimPid = Long.parseLong(Files.readString(dir.resolve(victim).resolve("pid")).strip());
    ProcessHandle.of(victimPid).orElseThrow().destroyForcibly();
    await().atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(victimPid).map(p -> !p.isAlive()).orElse(true));

    // 4. Everything is still readable and writable.
    Path copy2 = temp.resolve("copy2.bin");
    Result second = shell(cluster, """
        read /docs/sub/note.txt
        get /docs/data.bin '%s'
        write /docs/sub/note.txt
        append /docs/sub/note.txt
        read /docs/sub/note.txt
        put '%s' /docs/data2.bin
        mkdir /after
        list /docs
        """.formatted(copy2, data));
    assertThat(second.exit()).as(second.toString()).isZero();
    assertThat(second.out())
        .startsWith("hello\nhello\n")
        .contains("hello\nhello\nhello\nhello\n")
        .contains("data2.bin");
    assertThat(Files.mismatch(copy2, data)).isEqualTo(-1);

    // One-shot commands: binary-safe cat, errors and their statuses.
    Result cat = cairn(null, "cat", "--cluster", cluster, "/docs/data2.bin");
    assertThat(cat.exit()).as(cat.toString()).isZero();
    assertThat(cat.stdout()).isEqualTo(Files.readAllBytes(data));
    Result missing = cairn(null, "cat", "--cluster", cluster, "/nope");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.stderr()).startsWith("cairn: ").contains("/nope");
    Result usage = cairn(null, "mv", "--cluster", cluster, "/only-one");
    assertThat(usage.exit()).isEqualTo(2);
    Result fromStdin = cairn("piped\n", "put", "--cluster", cluster, "-", "/piped.txt");
    assertThat(fromStdin.exit()).as(fromStdin.toString()).isZero();
    assertThat(cairn(null, "cat", "--cluster", cluster, "/piped.txt").out()).isEqualTo("piped\n");

    // The cluster notices the dead node.
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).until(() ->
        cairn(null, "status", "--cluster", cluster).out().matches("(?s).*" + victim + " +\\S+ +DOWN.*"));
    Result localStatus = cairn(null, "local", "status", "--dir", dir.toString());
    assertThat(localStatus.exit()).isZero();
    assertThat(localStatus.out()).containsPattern(victim + " +127.0.0.1:\\d+ +- +stopped");

    // 5. Start brings the killed node back on its port and data.
    Result restart = cairn(null, "local", "start", "--dir", dir.toString());
    assertThat(restart.exit()).as(restart.toString()).isZero();
    assertThat(restart.out()).contains("restarting 1 of 3 nodes");
    Result third = shell(cluster, "read /docs/sub/note.txt\nlist /\n");
    assertThat(third.exit()).as(third.toString()).isZero();
    assertThat(third.out()).startsWith("hello\nhello\nhello\nhello\n").contains("after/");

    // 6. Stop.
    List<Long> running = pids();
    Result stop = cairn(null, "local", "stop", "--dir", dir.toString());
    assertThat(stop.exit()).as(stop.toString()).isZero();
    assertThat(stop.out()).contains("n1: stopped").contains("n2: stopped").contains("n3: stopped");
    await().atMost(Duration.ofSeconds(20)).until(() ->
        running.stream().noneMatch(pid -> ProcessHandle.of(pid).isPresent()));
  }

  private static Result shell(String cluster, String script) throws Exception {
    return cairn(script, "shell", "--cluster", cluster);
  }

  /** Runs {@code java ... dev.cairn.cli.Main ARGS} with {@code stdin} as input (or none). */
  private static Result cairn(String stdin, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    if (Runtime.version().feature() >= 24) {
      command.add("--enable-native-access=ALL-UNNAMED");
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    Path in = Files.createTempFile(temp, "stdin", "");
    Path out = Files.createTempFile(temp, "stdout", "");
    Path err = Files.createTempFile(temp, "stderr", "");
    Files.writeString(in, stdin == null ? "" : stdin);
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectInput(in.toFile())
        .redirectOutput(out.toFile())
        .redirectError(err.toFile());
    Map<String, String> env = pb.environment();
    env.put("EDITOR", editor.toString());
    env.remove("VISUAL");
    env.remove("CAIRN_CLUSTER");
    Process process = pb.start();
    Duration limit = args[0].equals("local") ? START : COMMAND;
    if (!process.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("'" + String.join(" ", args) + "' did not finish within "
          + limit.toSeconds() + " s; stderr:\n" + Files.readString(err));
    }
    return new Result(process.exitValue(), Files.readAllBytes(out), Files.readString(err));
  }

  private static List<Long> pids() throws IOException {
    List<Long> pids = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Path pid = dir.resolve("n" + i).resolve("pid");
      if (Files.exists(pid)) {
        pids.add(Long.parseLong(Files.readString(pid).strip()));
      }
    }
    return pids;
  }

  private static void dumpLogs() {
    for (int i = 1; i <= 3; i++) {
      Path log = dir.resolve("n" + i).resolve("server.log");
      try {
        List<String> lines = Files.readAllLines(log);
        System.out.println("=== last lines of " + log);
        lines.subList(Math.max(0, lines.size() - 80), lines.size()).forEach(System.out::println);
      } catch (IOException e) {
        System.out.println("=== no " + log + ": " + e);
      }
    }
  }
}
