package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The {@code --cluster} option of every command that talks to a cluster. Without it the addresses
 * come from $CAIRN_CLUSTER, then from the cluster file {@code cairn local start} writes in
 * ./cairn-local, so that right after {@code ./cairn local start} the other commands just work.
 */
final class ClusterOption {
  static final String ENV = "CAIRN_CLUSTER";

  @Option(
      names = {"-c", "--cluster"},
      paramLabel = "ADDRS",
      description = "Comma-separated host:port of some or all nodes. Default: $CAIRN_CLUSTER, "
          + "then ./" + LocalCluster.DEFAULT_DIR + "/" + LocalCluster.CLUSTER_FILE + ".")
  String cluster;

  /** The addresses to use, or a usage error saying how to give them. */
  String addresses() throws UsageException {
    return resolve(cluster, System.getenv(), Path.of(""));
  }

  CairnClient connect() throws UsageException {
    return CairnClient.connect(addresses());
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
