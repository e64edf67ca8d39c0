package dev.cairn.cli;

import dev.cairn.client.internal.BlockWire;
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
      "Its Raft service listens on the port after the client port and its block data service"
          + " on the one after that, so give every node three consecutive free ports."
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

  @Option(names = "--peers", paramLabel = "ID=HOST:PORT,...",
      description = "Every founding voter of the cluster, this node included.")
  String peers;

  @Option(names = "--join", paramLabel = "HOST:PORT,...",
      description = "Join a running cluster through any of these members (instead of --peers).")
  String join;

  @Option(names = "--suspect-after", paramLabel = "DURATION",
      description = "A node silent this long is SUSPECT: no new blocks (default 5s).")
  String suspectAfter;

  @Option(names = "--dead-after", paramLabel = "DURATION",
      description = "A node silent this long is DEAD: its blocks are copied elsewhere (default 60s).")
  String deadAfter;

  @Option(names = "--copy-rate", paramLabel = "SIZE",
      description = "Re-replication bytes per second across the cluster, e.g. 64MiB (default); 0 = no limit.")
  String copyRate;

  @Option(names = "--scrub-rate", paramLabel = "SIZE",
      description = "Bytes per second the scrubber re-reads, e.g. 8MiB (default); 0 = off.")
  String scrubRate;

  @Option(names = "--reserve", paramLabel = "SIZE",
      description = "Free space to keep on the data volume; below it the node takes no new blocks (default 64MiB).")
  String reserve;

  @Option(names = "--orphan-grace", paramLabel = "DURATION",
      description = "Age after which a block no file references is deleted (default 1h).")
  String orphanGrace;

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
    checkPortFree(BlockWire.dataAddress(config.listen()), "block data");
    CairnNode node = join != null
        ? CairnNode.join(config, java.util.List.of(join.split("\\s*,\\s*")))
        : CairnNode.start(config);
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
    if ((peers == null) == (join == null)) {
      throw new IllegalArgumentException(
          "give either --peers (to found or restart a cluster) or --join (to join one)");
    }
    NodeConfig config = NodeConfig.of(id, data.toAbsolutePath().normalize(), listen,
        peers != null ? NodeConfig.parsePeers(peers) : java.util.Map.of(id, listen));
    NodeConfig.Healing h = config.healing();
    config = config.withHealing(new NodeConfig.Healing(
        h.heartbeatInterval(),
        suspectAfter != null ? Durations.parse(suspectAfter, "--suspect-after") : h.suspectAfter(),
        deadAfter != null ? Durations.parse(deadAfter, "--dead-after") : h.deadAfter(),
        copyRate != null ? HumanSize.parse(copyRate) : h.copyRateBytesPerSec(),
        scrubRate != null ? HumanSize.parse(scrubRate) : h.scrubRateBytesPerSec()));
    if (reserve != null) {
      config = config.withReservedBytes(HumanSize.parse(reserve));
    }
    if (orphanGrace != null) {
      config = config.withTimers(config.electionTimeout(),
          Durations.parse(orphanGrace, "--orphan-grace"), config.maintenanceInterval());
    }
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
