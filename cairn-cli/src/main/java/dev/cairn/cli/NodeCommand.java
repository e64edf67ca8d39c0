package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.ClusterStatus;
import dev.cairn.client.ClusterStatus.NodeState;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cairn node decommission ID}: operator commands on one node of the cluster. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = "Operate on one node of the cluster.",
    subcommands = {NodeCommand.Decommission.class})
final class NodeCommand {

  /**
   * Retires a node: says what will happen, starts it, and follows it to the end with progress
   * (unless --no-wait).
   */
  @Command(
      name = "decommission",
      mixinStandardHelpOptions = true,
      description = {
        "Copy every block off a node, then remove it from the Raft group.",
        "Refused if the other nodes cannot hold the replication factor."
      })
  static final class Decommission implements Callable<Integer> {
    @Mixin ClusterOption cluster;

    @Parameters(paramLabel = "ID", description = "The node to retire.")
    String nodeId;

    @Option(names = "--no-wait", description = "Start the decommission and return at once.")
    boolean noWait;

    @Option(names = "--timeout", paramLabel = "DURATION",
        description = "Give up following after this long (default 24h); the work goes on.")
    String timeout = "24h";

    @Override
    public Integer call() throws Exception {
      PrintStream out = System.out;
      Duration limit = Durations.parse(timeout, "--timeout");
      try (CairnClient client = cluster.connect()) {
        ClusterStatus before = client.clusterStatus();
        NodeState node = find(before, nodeId).orElseThrow(() ->
            new OperationException(null, "no node " + nodeId + " in the cluster"));
        List<String> others = before.nodes().stream()
            .filter(n -> !n.id().equals(nodeId) && "ACTIVE".equals(n.membership()))
            .map(NodeState::id)
            .toList();
        out.printf("decommissioning %s (%s): %d block(s) listed on it will be copied to %s;%n",
            nodeId, node.address(), node.referencedBlocks(), String.join(", ", others));
        out.printf("then %s leaves the Raft group and can be switched off.%n", nodeId);
        client.decommission(nodeId);
        if (noWait) {
          out.println("started; follow it with `cairn status`");
          return Main.OK;
        }
        return follow(client, out, limit);
      }
    }

    private int follow(CairnClient client, PrintStream out, Duration limit) throws Exception {
      long deadline = System.nanoTime() + limit.toNanos();
      long total = -1;
      while (System.nanoTime() < deadline) {
        ClusterStatus s = client.clusterStatus();
        Optional<NodeState> n = find(s, nodeId);
        if (n.isEmpty() || "DECOMMISSIONED".equals(n.get().membership())) {
          out.printf("%s is decommissioned: it holds nothing the cluster needs.%n", nodeId);
          return Main.OK;
        }
        if (s.namespaceProblem() != null) {
          out.printf("  blocks left on %s unknown: %s%n", nodeId, s.namespaceProblem());
        } else {
          long left = n.get().referencedBlocks();
          total = Math.max(total, left);
          out.printf("  %d of %d block(s) left on %s, copying at %s/s%n", left, total, nodeId,
              HumanSize.format(s.healing().rateBytesPerSec()));
        }
        // Polling the cluster's progress once a second; nothing here waits for a result.
        Thread.sleep(1000);
      }
      out.printf("still decommissioning after %s; the cluster carries on without this command%n",
          timeout);
      return Main.FAILED;
    }

    private static Optional<NodeState> find(ClusterStatus status, String id) {
      return status.nodes().stream().filter(n -> n.id().equals(id)).findFirst();
    }
  }
}
