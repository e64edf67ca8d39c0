package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.ClusterStatus;
import dev.cairn.client.ClusterStatus.NodeState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shell's script mode against a fake store: parsing, output and error lines, exit status. */
class ShellScriptTest {
  @TempDir Path temp;

  private final FakeFileStore store = new FakeFileStore();
  private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

  /** An editor that appends "hello\n" to the file it is given, like the process test's script. */
  private final EditorSession.EditorLauncher helloEditor = (editor, file) -> {
    Files.writeString(file, "hello\n", java.nio.file.StandardOpenOption.APPEND);
    return 0;
  };

  private int run(String script) {
    return Shell.runScript(store, new StringReader(script),
        new PrintStream(outBytes, true, StandardCharsets.UTF_8),
        new PrintStream(errBytes, true, StandardCharsets.UTF_8), Map.of(), helloEditor);
  }

  private String out() {
    return outBytes.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return errBytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aSessionOfEveryCommand() throws Exception {
    Path local = Files.writeString(temp.resolve("local.txt"), "local data");
    String script = String.join("\n",
        "# a comment, then a blank line",
        "",
        "mkdir -p /docs/sub",
        "create /docs/empty.txt",
        "put '" + local + "' /docs/",
        "write '/docs/my note.txt'",
        "append \"/docs/my note.txt\"",
        "list /docs",
        "read '/docs/my note.txt'",
        "mv /docs/local.txt /docs/sub",
        "stat /docs/sub/local.txt",
        "get /docs/sub/local.txt '" + temp.resolve("copy.txt") + "'",
        "delete /docs/empty.txt",
        "cd /docs",
        "pwd",
        "ls",
        "exit",
        "read /never-run");
    int status = run(script);

    assertThat(err()).isEmpty();
    assertThat(status).isZero();
    assertThat(store.content("/docs/my note.txt")).isEqualTo("hello\nhello\n");
    assertThat(Files.readString(temp.resolve("copy.txt"))).isEqualTo("local data");
    assertThat(store.has("/docs/empty.txt")).isFalse();
    assertThat(out())
        .contains("created directory /docs/sub")
        .contains("saved /docs/my note.txt (6 B, version 1)")
        .contains("appended 6 B to /docs/my note.txt (12 B, version 2)")
        .contains("hello\nhello\n")
        .contains("moved /docs/local.txt -> /docs/sub/local.txt")
        .containsPattern("size: +10 B \\(10 bytes\\)")
        .contains("deleted /docs/empty.txt")
        .contains("/docs\n");
    // list: type, size, version, time, name; directories marked with a slash.
    assertThat(out()).containsPattern("file +12 B +2 +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +my note.txt");
    assertThat(out()).containsPattern("dir +- +- +\\S+ \\S+ +sub/");
  }

  @Test
  void errorsPrintOneLineAndTheSessionGoesOn() {
    int status = run("read /missing\nmv onlyone\nfrob\ncreate /ok\nread 'unterminated\n");
    assertThat(status).isEqualTo(1);
    assertThat(err().lines().toList()).containsExactly(
        "error: no such file or directory: '/missing'",
        "error: usage: mv SRC DST",
        "error: unknown command 'frob' (type help for a list)",
        "error: unterminated ' quote");
    assertThat(store.has("/ok")).isTrue();
  }

  @Test
  void readAddsANewlineOnlyWhenMissing() throws Exception {
    store.write("/a", new java.io.ByteArrayInputStream("no newline".getBytes()));
    run("read /a\nread /a\n");
    assertThat(out()).isEqualTo("no newline\nno newline\n");
  }

  @Test
  void relativePathsFollowCd() throws Exception {
    run("mkdir /d\ncd d\ncreate x\ncd ..\nlist d\ncd /nope\n");
    assertThat(store.has("/d/x")).isTrue();
    assertThat(err()).contains("error: no such file or directory: '/nope'");
  }

  @Test
  void deleteOfNonEmptyDirectoryNeedsR() throws Exception {
    int status = run("mkdir -p /d/e\ndelete /d\n");
    assertThat(status).isEqualTo(1);
    assertThat(err()).contains("directory not empty");
    assertThat(run("delete -r /d\n")).isZero();
    assertThat(store.has("/d")).isFalse();
  }

  @Test
  void statusRendersATable() {
    store.status = new ClusterStatus("n2", List.of(
        new NodeState("n1", "127.0.0.1:7000", true, "FOLLOWER", 3, 3 << 20, 10L << 30, 0, ""),
        new NodeState("n2", "127.0.0.1:7002", true, "LEADER", 3, 3 << 20, 10L << 30, 0, ""),
        new NodeState("n3", "127.0.0.1:7004", false, "", 0, 0, 0, 12_000, "connection refused")),
        4, 2, 3, 1, 1 << 20, 3);
    assertThat(run("status\n")).isZero();
    assertThat(out())
        .containsPattern(
            "NODE +ADDRESS +STATE +LIVENESS +SEEN +ROLE +BLOCKS +USED +FREE +NOTE")
        .containsPattern("n2 +127.0.0.1:7002 +up +LIVE +0.0s ago +LEADER +3 +3.0 MiB +10.0 GiB")
        .containsPattern("n3 +127.0.0.1:7004 +DOWN .*connection refused")
        .contains("leader:            n2")
        .contains("under-replicated:  1 blocks (1.0 MiB)")
        .contains("health:            DEGRADED (1 node down, re-replicating)");
  }

  @Test
  void helpAndUnknownFlag() {
    assertThat(run("help\n")).isZero();
    assertThat(out()).contains("write FILE").contains("delete [-r] PATH...");
    assertThat(run("mkdir -x /a\n")).isEqualTo(1);
    assertThat(err()).contains("error: unknown option -x for mkdir");
  }
}
