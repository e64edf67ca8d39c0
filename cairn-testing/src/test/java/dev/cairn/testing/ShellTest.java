package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.cli.Shell;
import dev.cairn.client.CairnClient;
import dev.cairn.client.FileStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell's commands, run as a script ({@link Shell#runScript}) against a real cluster, with
 * small sh scripts standing in for the user's editor. One cluster serves the whole class; each
 * test works in a directory named after itself.
 */
@Timeout(120)
class ShellTest {
  private static final int BLOCK = 64 * 1024;

  private static MiniCluster cluster;
  private static CairnClient client;

  @TempDir static Path scripts;
  @TempDir Path local;

  private String dir;

  @BeforeAll
  static void startCluster() {
    cluster = MiniCluster.builder().nodes(3).blockSize(BLOCK).inlineThreshold(8 * 1024).build();
    cluster.start();
    client = cluster.newClient();
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
  }

  @BeforeEach
  void makeTestDirectory(TestInfo test) throws IOException {
    dir = "/shell-" + test.getTestMethod().orElseThrow().getName();
    client.mkdir(dir, true);
  }

  /** What one run of the shell printed and returned. */
  record Run(int exit, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  // ------------------------------------------------------------------------------ commands

  @Test
  void helpNamesEveryCommand() {
    Run run = shell("help\n");

    assertThat(run.exit()).isZero();
    assertThat(run.err()).isEmpty();
    for (String command : List.of("help", "list", "create", "read", "write", "append", "delete",
        "mkdir", "mv", "stat", "put", "get", "status", "exit")) {
      assertThat(run.out()).as("help mentions %s", command).containsPattern("(?m)^\\s*" + command + "\\b");
    }
  }

  @Test
  void mkdirCreateListAndStat() throws IOException {
    Run run = shell("""
        mkdir -p %1$s/a/b
        mkdir %1$s/c
        create %1$s/c/file
        list %1$s
        stat %1$s/c/file
        stat %1$s/a
        """.formatted(dir));

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    assertThat(run.out())
        .contains("created directory " + dir + "/a/b")
        .contains("created directory " + dir + "/c")
        .contains("created " + dir + "/c/file")
        .containsPattern("(?m)dir\\b.*\\ba/$")
        .containsPattern("(?m)dir\\b.*\\bc/$")
        .containsPattern("(?m)^\\s*path:\\s+" + dir + "/c/file$")
        .containsPattern("(?m)^\\s*type:\\s+file$")
        .containsPattern("(?m)^\\s*size:.*\\(0 bytes\\)$")
        .containsPattern("(?m)^\\s*type:\\s+directory$");
    assertThat(client.stat(dir + "/a/b").directory()).isTrue();
    assertThat(client.stat(dir + "/c/file").size()).isZero();
  }

  @Test
  void listShowsSizeVersionAndNameOfEachEntry() throws IOException {
    FileStatus file = client.write(dir + "/data", bytes("12345"));
    client.mkdir(dir + "/sub", false);

    Run run = shell("list " + dir + "\n");

    assertThat(run.exit()).isZero();
    List<String> lines = run.out().lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("file").contains(" " + file.version() + " ")
        .endsWith("data");
    assertThat(lines.get(1)).startsWith("dir").endsWith("sub/");
  }

  @Test
  void readPrintsTheFileAndEndsTheLine() throws IOException {
    client.write(dir + "/f", bytes("hello\nworld"));

    Run run = shell("read " + dir + "/f\n");

    assertThat(run.exit()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out()).isEqualTo("hello\nworld\n");
  }

  @Test
  void writeOpensTheEditorOnTheContentAndSavesANewVersion() throws IOException {
    long before = client.write(dir + "/f", bytes("line one\n")).version();

    Run run = shell("write " + dir + "/f\n", editor("appendLine",
        "printf 'added by the editor\\n' >> \"$1\""));

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("saved " + dir + "/f");
    assertThat(client.readAllBytes(dir + "/f")).isEqualTo(bytes("line one\nadded by the editor\n"));
    assertThat(client.stat(dir + "/f").version()).isGreaterThan(before);
  }

  @Test
  void writeOfANewFileCreatesIt() throws IOException {
    Run run = shell("write " + dir + "/new\n", editor("replace",
        "printf 'fresh\\n' > \"$1\""));

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    assertThat(client.readAllBytes(dir + "/new")).isEqualTo(bytes("fresh\n"));
  }

  @Test
  void writeWithoutChangesSavesNothing() throws IOException {
    long before = client.write(dir + "/f", bytes("same\n")).version();

    Run run = shell("write " + dir + "/f\n", editor("noop", "true"));

    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("no change");
    assertThat(client.stat(dir + "/f").version()).isEqualTo(before);
  }

  @Test
  void aFailingEditorSavesNothingAndKeepsTheText() throws IOException {
    client.write(dir + "/f", bytes("original\n"));

    Run run = shell("write " + dir + "/f\n", editor("failing",
        "printf 'half-done\\n' >> \"$1\"; exit 7"));

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).startsWith("error:").contains("7");
    Path kept = tempFileNamedIn(run.err());
    assertThat(Files.readString(kept)).isEqualTo("original\nhalf-done\n");
    assertThat(client.readAllBytes(dir + "/f")).isEqualTo(bytes("original\n"));
    Files.deleteIfExists(kept);
  }

  @Test
  void appendAddsWhatTheUserWroteInTheEditor() throws IOException {
    client.write(dir + "/log", bytes("first\n"));

    Run run = shell("append " + dir + "/log\nappend " + dir + "/log\n", editor("appendLine",
        "printf 'added by the editor\\n' >> \"$1\""));

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("appended");
    assertThat(client.readAllBytes(dir + "/log"))
        .isEqualTo(bytes("first\nadded by the editor\nadded by the editor\n"));
  }

  @Test
  void deleteNeedsRecursiveForANonEmptyDirectory() throws IOException {
    client.write(dir + "/f", bytes("x"));
    client.mkdir(dir + "/tree/sub", true);
    client.write(dir + "/tree/sub/g", bytes("y"));

    Run run = shell("""
        delete %1$s/f
        delete %1$s/tree
        delete -r %1$s/tree
        """.formatted(dir));

    assertThat(run.exit()).as("one command failed").isEqualTo(1);
    assertThat(run.out()).contains("deleted " + dir + "/f").contains("deleted " + dir + "/tree");
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.errLines().get(0)).startsWith("error:").contains(dir + "/tree");
    assertThat(client.exists(dir + "/f")).isFalse();
    assertThat(client.exists(dir + "/tree")).isFalse();
  }

  @Test
  void mvRenamesAndMovesIntoADirectory() throws IOException {
    client.write(dir + "/a", bytes("a"));
    client.mkdir(dir + "/into", false);

    Run run = shell("""
        mv %1$s/a %1$s/b
        mv %1$s/b %1$s/into
        """.formatted(dir));

    assertThat(run.err()).isEmpty();
    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("moved " + dir + "/a -> " + dir + "/b")
        .contains("moved " + dir + "/b -> " + dir + "/into/b");
    assertThat(client.readAllBytes(dir + "/into/b")).isEqualTo(bytes("a"));
    assertThat(client.exists(dir + "/a")).isFalse();
  }

  @Test
  void putUploadsAndGetDownloadsByteForByte() throws IOException {
    byte[] content = SeededContent.bytes(42, 5 * BLOCK + 321);
    Path upload = local.resolve("upload.bin");
    Files.write(upload, content);
    Path download = local.resolve("download.bin");

    Run run = shell("""
        put %2$s %1$s/remote.bin
        get %1$s/remote.bin %3$s
        """.formatted(dir, upload, download));

    assertThat(run.exit()).as("err: %s", run.err()).isZero();
    assertThat(run.out()).contains("put " + upload + " -> " + dir + "/remote.bin")
        .contains("get " + dir + "/remote.bin -> " + download);
    assertThat(client.readAllBytes(dir + "/remote.bin")).isEqualTo(content);
    assertThat(Files.readAllBytes(download)).isEqualTo(content);
  }

  @Test
  void statusShowsEveryNodeAndTheLeader() {
    Run run = shell("status\n");

    assertThat(run.exit()).isZero();
    for (MiniCluster.Node node : cluster.nodes()) {
      assertThat(run.out()).containsPattern("(?m)^" + node.id() + "\\s+" + node.address()
          + "\\s+up\\b");
    }
    assertThat(run.out()).containsPattern("(?m)^leader:\\s+n[123]$")
        .containsPattern("(?m)^nodes up:\\s+3 of 3$");
  }

  @Test
  void anErrorIsReportedAndTheScriptGoesOn() throws IOException {
    Run run = shell("""
        read %1$s/missing
        no-such-command
        create %1$s/after-errors
        """.formatted(dir));

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.errLines()).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("error:"));
    assertThat(run.errLines().get(0)).contains(dir + "/missing");
    assertThat(run.out()).contains("created " + dir + "/after-errors");
    assertThat(client.exists(dir + "/after-errors")).isTrue();
  }

  @Test
  void exitEndsTheScript() throws IOException {
    Run run = shell("""
        create %1$s/before
        exit
        create %1$s/after
        """.formatted(dir));

    assertThat(run.exit()).isZero();
    assertThat(client.exists(dir + "/before")).isTrue();
    assertThat(client.exists(dir + "/after")).isFalse();
  }

  // ------------------------------------------------------------------------------ conflict

  /**
   * While the user's editor is open, someone else overwrites the file: saving must be refused,
   * the message must say where the user's text is, and that file must hold it.
   */
  @Test
  void aWriteWhoseFileChangedDuringEditingIsRefusedAndKeepsTheText() throws Exception {
    String path = dir + "/contested";
    client.write(path, bytes("shared start\n"));
    Path ready = local.resolve("editor-ready");
    Path go = local.resolve("editor-go");
    // The editor writes the user's text, says where it is, and waits for the test's signal. The
    // loop is bounded so that a broken test cannot leave it running.
    Map<String, String> env = editor("waiting", """
        printf 'the user typed this\\n' >> "$1"
        printf '%s' "$1" > "$CAIRN_TEST_READY.tmp" && mv "$CAIRN_TEST_READY.tmp" "$CAIRN_TEST_READY"
        i=0
        while [ ! -e "$CAIRN_TEST_GO" ]; do
          i=$((i + 1)); [ "$i" -gt 1200 ] && exit 9
          sleep 0.05
        done""");
    env.put("CAIRN_TEST_READY", ready.toString());
    env.put("CAIRN_TEST_GO", go.toString());

    ExecutorService session = Executors.newSingleThreadExecutor();
    try {
      Future<Run> running = session.submit(() -> shell("write " + path + "\n", env));
      await("the editor to open").atMost(Duration.ofSeconds(30)).until(() -> Files.exists(ready));
      Path editing = Path.of(Files.readString(ready));
      client.write(path, bytes("someone else's change\n"));
      Files.createFile(go);
      Run run = running.get(60, TimeUnit.SECONDS);

      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.errLines()).hasSize(1);
      assertThat(run.err()).startsWith("error:").contains(editing.toString());
      assertThat(Files.readString(editing)).as("the user's text, kept")
          .isEqualTo("shared start\nthe user typed this\n");
      assertThat(client.readAllBytes(path)).isEqualTo(bytes("someone else's change\n"));
      Files.deleteIfExists(editing);
    } finally {
      session.shutdownNow();
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private Run shell(String script) {
    return shell(script, new HashMap<>());
  }

  private static Run shell(String script, Map<String, String> env) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = Shell.runScript(client, new StringReader(script), outStream, errStream, env);
    }
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** An environment whose EDITOR is a sh script with this body, called with the file as $1. */
  private static Map<String, String> editor(String name, String body) throws IOException {
    Path script = scripts.resolve(name + "-" + System.nanoTime() + ".sh");
    Files.writeString(script, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    Map<String, String> env = new HashMap<>();
    env.put("EDITOR", script.toString());
    return env;
  }

  /** The temp file an error message names ("... your text is kept in /tmp/cairn-...-f"). */
  private static Path tempFileNamedIn(String message) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("kept in (\\S+)").matcher(message);
    assertThat(m.find()).as("the message names the kept file: %s", message).isTrue();
    return Path.of(m.group(1));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
