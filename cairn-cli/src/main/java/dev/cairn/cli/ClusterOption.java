package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code --cluster} option of every command that talks to a cluster. Without it the addresses
 * come from $CAIRN_CLUSTER, then from the cluster file {@code cairn local start} writes in
 * ./cairn-local, so that right after {@code ./cairn local start} the other commands just work.
 * With it comes {@code --failover-timeout}, how long a call rides out nodes that do not answer.
 */
final class ClusterOption {
  static final String ENV = "CAIRN_CLUSTER";

  @Option(
      names = {"-c", "--cluster"},
      paramLabel = "ADDRS",
      description = "Comma-separated host:port of some or all nodes. Default: $CAIRN_CLUSTER, "
          + "then ./" + LocalCluster.DEFAULT_DIR + "/" + LocalCluster.CLUSTER_FILE + ".")
  String cluster;

  @Option(
      names = "--failover-timeout",
      paramLabel = "DURATION",
      description = "How long a call goes on trying other nodes when the one it asked does not"
          + " answer (default: ${DEFAULT-VALUE}); after 2s it says what it waits for.")
  String failoverTimeout = DEFAULT_FAILOVER_TIMEOUT;

  static final String DEFAULT_FAILOVER_TIMEOUT = "30s";

  @Spec(Spec.Target.MIXEE) CommandSpec command;

  /** The addresses to use, or a usage error saying how to give them. */
  String addresses() throws UsageException {
    return resolve(cluster, System.getenv(), Path.of(""));
  }

  /**
   * A client for the cluster that, while a call goes on trying nodes that do not answer, says so
   * on the command's error stream.
   */
  CairnClient connect() throws UsageException {
    Duration timeout = Durations.parse(failoverTimeout, "--failover-timeout");
    if (timeout.isZero()) {
      throw new UsageException("--failover-timeout must be more than 0");
    }
    return connect(addresses(), timeout, command.commandLine().getErr());
  }

  /** A client for {@code addresses} that tells {@code err} what a call waits for. */
  static CairnClient connect(String addresses, Duration failoverTimeout, PrintWriter err) {
    return CairnClient.builder()
        .addresses(addresses)
        .failoverTimeout(failoverTimeout)
        .onWaiting(note -> {
          err.println("cairn: " + note + " (Ctrl-C to stop)");
          err.flush();
        })
        .build();
  }

  /**
   * @param workingDir the directory ./cairn-local is relative to
   */
  static String resolve(String explicit, Map<String, String> env, Path workingDir)
      throws UsageException {
    if (explicit != null && !explicit.isBlank()) {
      return explicit.strip();
    }
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv.strip();
    }
    Path file = workingDir.resolve(LocalCluster.DEFAULT_DIR).resolve(LocalCluster.CLUSTER_FILE);
    if (Files.isRegularFile(file)) {
      try {
        String addresses = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!addresses.isEmpty()) {
          return addresses;
        }
      } catch (IOException e) {
        throw new UsageException("cannot read " + file + ": " + e.getMessage());
      }
    }
    throw new UsageException("no cluster given: use --cluster HOST:PORT,..., set " + ENV
        + ", or start one here with 'cairn local start'");
  }
}
