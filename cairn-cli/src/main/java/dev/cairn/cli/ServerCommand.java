package dev.cairn.cli;

import dev.cairn.server.CairnNode;
import dev.cairn.server.NodeConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cairn server}: runs one node in the foreground until SIGTERM or Ctrl-C, logging to
 * stderr. A misconfiguration (bad address, peers without this node, a data directory that belongs
 * to another node or cluster) ends it at once with one line and status 2.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run one Cairn node in the foreground.",
      "Its Raft service listens on the port after the client port, so give every node two"
          + " consecutive free ports."
    })
final class ServerCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServerCommand.class);

  @Option(names = "--id", required = true, paramLabel = "ID",
      description = "This node's id, stable across restarts (letters, digits, . _ -).")
  String id;

  @Option(names = "--data", required = true, paramLabel = "DIR",
      description = "Where the node keeps everything; created if missing.")
  Path data;

  @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
      description = "Address of this node's client service.")
  String listen;

  @Option(names = "--peers", required = true, paramLabel = "ID=HOST:PORT,...",
      description = "Every voter of the cluster, this node included.")
  String peers;

  @Option(names = "--block-size", paramLabel = "SIZE",
      description = "Bytes per block, e.g. 8MiB (default), 1MiB, 65536.")
  String blockSize;

  @Option(names = "--replication", paramLabel = "N",
      description = "Replicas per block (default: 3, or fewer if the cluster is smaller).")
  Integer replication;

  @Option(names = "--min-replicas", paramLabel = "N",
      description = "Replicas a write needs before it succeeds (default 2, at most --replication).")
  Integer minReplicas;

  @Override
  public Integer call() throws IOException, InterruptedException {
    NodeConfig config = config();
    checkPortFree(config.listen(), "client");
    checkPortFree(NodeConfig.raftAddress(config.listen()), "Raft");
    CairnNode node = CairnNode.start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("node {} stopping", config.id());
      try {
        node.close();
      } catch (IOException | RuntimeException e) {
        log.warn("node {} did not stop cleanly: {}", config.id(), e.toString());
      }
    }, "cairn-shutdown"));
    node.awaitTermination();
    return Main.OK;
  }

  /**
   * Fails with one clear line if a port is taken. Checked before the node starts because Ratis,
   * when it cannot bind, logs a stack trace and exits the JVM itself.
   */
  static void checkPortFree(String hostPort, String what) {
    InetSocketAddress unresolved = NodeConfig.parseAddress(hostPort);
    InetSocketAddress address =
        new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("cannot resolve host '" + unresolved.getHostString()
          + "' of " + hostPort);
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(address);
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on " + hostPort + " (the " + what
          + " port): " + e.getMessage());
    }
  }

  /** The node's configuration from the flags; IllegalArgumentException names the bad one. */
  NodeConfig config() {
    NodeConfig config = NodeConfig.of(id, data.toAbsolutePath().normalize(), listen,
        NodeConfig.parsePeers(peers));
    if (blockSize != null) {
      config = config.withBlockSize(HumanSize.parseInt(blockSize));
    }
    if (replication != null && replication < 1) {
      throw new IllegalArgumentException("--replication must be at least 1");
    }
    if (minReplicas != null && minReplicas < 1) {
      throw new IllegalArgumentException("--min-replicas must be at least 1");
    }
    if (replication != null || minReplicas != null) {
      config = config.withReplication(
          replication != null ? replication : config.replication(),
          minReplicas != null ? minReplicas : config.minReplicas());
    }
    return config;
  }
}
