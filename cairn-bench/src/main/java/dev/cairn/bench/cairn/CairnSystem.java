package dev.cairn.bench.cairn;

import dev.cairn.bench.FsClient;
import dev.cairn.bench.Progress;
import dev.cairn.bench.ServerProcess;
import dev.cairn.bench.SystemUnderTest;
import dev.cairn.client.CairnClient;
import dev.cairn.client.ClusterStatus;
import dev.cairn.server.Ports;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

/**
 * Cairn's side: three node processes, {@code cairn server} as the launcher runs it ({@code
 * dev.cairn.cli.Main server}), on 127.0.0.1 with replication 3 and every other setting at its
 * default. The leader is found through the cluster status and killed with SIGKILL.
 */
public final class CairnSystem implements SystemUnderTest {
  static final int NODES = 3;

  private final Map<String, ServerProcess> nodes = new LinkedHashMap<>();
  private final Map<String, String> addresses = new LinkedHashMap<>();
  private String killed;
  private Path jfrDir;

  @Override
  public String name() {
    return "cairn";
  }

  @Override
  public synchronized void launch(Path dir, List<String> serverJvmFlags, Path classDataDir,
      Path jfrDir) throws IOException {
    this.jfrDir = jfrDir;
    for (int port : Ports.disjoint(NODES, Ports::freeRange)) {
      addresses.put("n" + (addresses.size() + 1), "127.0.0.1:" + port);
    }
    String peers = addresses.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(","));
    for (Map.Entry<String, String> node : addresses.entrySet()) {
      String id = node.getKey();
      List<String> flags = new ArrayList<>(serverJvmFlags);
      flags.addAll(ServerProcess.classDataFlags(classDataDir, "cairn-" + id));
      if (jfrDir != null) {
        flags.add("-XX:StartFlightRecording=filename=" + jfrDir.resolve("cairn-" + id + ".jfr")
            + ",settings=profile,dumponexit=true");
      }
      List<String> command = ServerProcess.javaCommand(flags, "dev.cairn.cli.Main",
          List.of("server", "--id", id, "--data", dir.resolve(id).resolve("data").toString(),
              "--listen", node.getValue(), "--peers", peers));
      ServerProcess process = new ServerProcess("cairn-" + id, command,
          dir.resolve(id).resolve("server.log"), dir.resolve(ServerProcess.PIDS_FILE), false);
      nodes.put(id, process);
    }
    for (ServerProcess process : nodes.values()) {
      process.start();
    }
  }

  private String addressList() {
    return String.join(",", addresses.values());
  }

  @Override
  public FsClient probeClient() {
    return probeClient(addressList());
  }

  @Override
  public FsClient probeClient(int port) {
    return probeClient("127.0.0.1:" + port);
  }

  private static FsClient probeClient(String addresses) {
    return new CairnFsClient(CairnClient.builder()
        .addresses(addresses)
        .failoverTimeout(Duration.ofMillis(250))
        .build());
  }

  @Override
  public FsClient client() {
    return new CairnFsClient(CairnClient.connect(addressList()));
  }

  @Override
  public String killLeader(LongConsumer killing) throws Exception {
    String leader;
    try (CairnClient client = CairnClient.builder().addresses(addressList())
        .failoverTimeout(Duration.ofSeconds(10)).build()) {
      leader = client.clusterStatus().leaderId();
    }
    if (leader == null || !nodes.containsKey(leader)) {
      throw new IOException("no leader known (status said " + leader + ")");
    }
    ServerProcess process = nodes.get(leader);
    if (jfrDir != null) {
      // SIGKILL loses a recording that is only dumped at exit, and the leader's is the one that
      // shows where the time went: dump it first.
      dumpRecording(process, jfrDir.resolve("cairn-" + leader + "-before-kill.jfr"));
    }
    killing.accept(System.nanoTime());
    process.kill();
    killed = leader;
    return "leader " + leader + " (pid " + process.process().pid() + ", SIGKILL)";
  }

  private static void dumpRecording(ServerProcess process, Path file) {
    Path jcmd = Path.of(ProcessHandle.current().info().command().orElse("java"))
        .resolveSibling("jcmd");
    try {
      Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(process.process().pid()),
          "JFR.dump", "filename=" + file).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    } catch (IOException e) {
      Progress.say("  (could not dump the flight recording of %s: %s)", process.name(),
          e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void recover() throws Exception {
    if (killed == null) {
      return;
    }
    nodes.get(killed).start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    try (CairnClient client = CairnClient.builder().addresses(addressList())
        .failoverTimeout(Duration.ofSeconds(2)).build()) {
      while (System.nanoTime() < deadline) {
        try {
          ClusterStatus status = client.clusterStatus();
          if (status.nodes().stream().filter(ClusterStatus.NodeState::up).count() == NODES) {
            Progress.say("  %s is back; %d of %d nodes up", killed, NODES, NODES);
            killed = null;
            return;
          }
        } catch (IOException | RuntimeException e) {
          // not yet
        }
        Thread.sleep(200);
      }
    }
    Progress.say("  %s did not rejoin within 60 s (see its server.log)", killed);
  }

  @Override
  public synchronized void close() {
    // In parallel, so that three JVMs dump their recordings (or write their AOT caches, which
    // takes 10-15 s after the first round) and exit at the same time.
    List<Thread> stoppers = new ArrayList<>();
    for (ServerProcess p : nodes.values()) {
      Thread t = new Thread(() -> p.stop(60), "stop-" + p.name());
      t.start();
      stoppers.add(t);
    }
    for (Thread t : stoppers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
