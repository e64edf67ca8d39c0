package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalClusterTest {
  @TempDir Path dir;

  private LocalCluster cluster() {
    return new LocalCluster(dir, new PrintWriter(System.out, true),
        new PrintWriter(System.err, true));
  }

  @Test
  void newNodesGetDistinctNonOverlappingPortRanges() {
    // The OS may hand the same port out twice, or a port near one already taken.
    ArrayDeque<Integer> offered =
        new ArrayDeque<>(List.of(5000, 5000, 5001, 4998, 5002, 6000, 7000));
    List<LocalCluster.Node> nodes = LocalCluster.newNodes(3, offered::removeFirst);
    assertThat(nodes).extracting(LocalCluster.Node::id).containsExactly("n1", "n2", "n3");
    assertThat(nodes).extracting(LocalCluster.Node::address)
        .containsExactly("127.0.0.1:5000", "127.0.0.1:6000", "127.0.0.1:7000");
  }

  @Test
  void nodeLinesRoundTrip() {
    LocalCluster.Node node = new LocalCluster.Node("n1", "127.0.0.1:5000", 42);
    assertThat(LocalCluster.Node.parse(node.line())).isEqualTo(node);
    assertThat(LocalCluster.Node.parse("n2 127.0.0.1:5002 -").pid()).isZero();
  }

  @Test
  void childrenGetSafeJvmFlagsOnly() {
    assertThat(LocalCluster.childJvmFlags(List.of(
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx2g",
        "-agentlib:jdwp=transport=dt_socket,server=y,address=5005", "-javaagent:/x.jar",
        "-Dcairn.log.level=DEBUG", "-Dsomething=else", "-XX:+UseG1GC",
        "-D" + NodeClassData.SHARED_DIR_PROPERTY + "=/build/class-data",
        "-XX:TieredStopAtLevel=1", "-XX:AOTCache=/build/cli.aot", "-XX:AOTMode=auto")))
        .containsExactly("--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-Xmx2g", "-Dcairn.log.level=DEBUG",
            "-XX:+UseG1GC");
  }

  @Test
  void serverCommandRunsThisJava() throws Exception {
    LocalCluster cluster = cluster();
    List<String> command = cluster.serverCommand(
        new LocalCluster.Node("n1", "127.0.0.1:5000", 0), "n1=127.0.0.1:5000", "/cp/a.jar");
    assertThat(command).containsSubsequence("-cp", "/cp/a.jar", Main.class.getName(), "server",
        "--id", "n1", "--data", dir.resolve("n1").resolve("data").toString(),
        "--listen", "127.0.0.1:5000", "--peers", "n1=127.0.0.1:5000");
    assertThat(String.join(" ", command)).contains("java");
    assertThat(command).containsSubsequence("-XX:CompileThresholdScaling=0.2", "-cp");
  }

  @Test
  void aNodesOwnJitFlagComesBeforeTheUsersSoThatTheUsersWins() {
    assertThat(LocalCluster.nodeJvmFlags(List.of("-Xmx1g", "-XX:CompileThresholdScaling=1",
        "-javaagent:/x.jar")))
        .containsExactly("-XX:CompileThresholdScaling=0.2", "-Xmx1g",
            "-XX:CompileThresholdScaling=1");
  }

  @Test
  void stopAndStatusWithoutAClusterSaySo() throws Exception {
    StringWriter err = new StringWriter();
    LocalCluster cluster = new LocalCluster(dir.resolve("none"),
        new PrintWriter(System.out, true), new PrintWriter(err, true));
    assertThat(cluster.stop()).isEqualTo(Main.FAILED);
    assertThat(cluster.status()).isEqualTo(Main.FAILED);
    assertThat(err.toString()).contains("no local cluster in");
  }

  @Test
  void aRecordedPidOfAnotherProcessIsNotTakenForANode() throws Exception {
    // Our own pid is alive but is not a Cairn server for this directory.
    long pid = ProcessHandle.current().pid();
    Files.writeString(dir.resolve("nodes"), "n1 127.0.0.1:5000 " + pid + "\n");
    LocalCluster cluster = cluster();
    assertThat(cluster.nodes()).hasSize(1);
    assertThat(cluster.process(cluster.nodes().get(0))).isEmpty();
    assertThat(cluster.isRunning()).isFalse();
  }

  @Test
  void theRecordedStartTimeIdentifiesTheProcess() throws Exception {
    ProcessHandle self = ProcessHandle.current();
    long started = self.info().startInstant().orElseThrow().toEpochMilli();
    LocalCluster cluster = cluster();
    Files.writeString(dir.resolve("nodes"), "n1 127.0.0.1:5000 " + self.pid() + " " + started
        + "\nn2 127.0.0.1:5002 " + self.pid() + " " + (started - 60_000) + "\n");
    List<LocalCluster.Node> nodes = cluster.nodes();
    assertThat(cluster.process(nodes.get(0))).isPresent();
    assertThat(cluster.process(nodes.get(1))).as("same pid, other start").isEmpty();
  }

  @Test
  void aNodeStartsInTheBackgroundNoChildOfThisJvmAndIsSeenToDie() throws Exception {
    Path log = dir.resolve("server.log");
    Files.writeString(log, "header\n");
    long pid = LocalCluster.startInBackground(
        List.of("/bin/sh", "-c", "echo \"started in $(pwd)\"; exec sleep 600"), dir, log);
    ProcessHandle node = ProcessHandle.of(pid).orElseThrow();
    try {
      // No thread of this JVM waits for it: a JVM exits 300 ms late while one waits for a child.
      assertThat(ProcessHandle.current().children().map(ProcessHandle::pid)).doesNotContain(pid);
      assertThat(LocalCluster.running(node)).isTrue();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Files.readString(log))
          .startsWith("header\n").contains("started in " + dir.toRealPath()));
    } finally {
      node.destroyForcibly();
    }
    // Dead, even while it waits as a zombie for init to reap it.
    await().atMost(Duration.ofSeconds(10)).until(() -> !LocalCluster.running(node));
  }
}
