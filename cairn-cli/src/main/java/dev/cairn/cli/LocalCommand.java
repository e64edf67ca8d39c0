package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code cairn local}: a whole cluster on this machine, one process per node, for trying Cairn
 * and for tests that kill real processes. Without a subcommand it starts the cluster if needed
 * and opens the shell on it.
 */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    description = {
      "Run a cluster of node processes on this machine.",
      "Without a subcommand: start it if it is not running, then open the shell on it."
    },
    subcommands = {LocalCommand.Start.class, LocalCommand.Stop.class, LocalCommand.Status.class})
final class LocalCommand implements Callable<Integer> {
  // Inherited, so that both "local --dir X start" and "local start --dir X" work.
  @Option(names = {"-d", "--dir"}, paramLabel = "DIR", defaultValue = LocalCluster.DEFAULT_DIR,
      scope = ScopeType.INHERIT,
      description = "Where the cluster lives (default: ./${DEFAULT-VALUE}).")
  Path dir;

  // Null when not given, so that an existing cluster keeps its size.
  @Option(names = {"-n", "--nodes"}, paramLabel = "N",
      description = "Number of nodes of a new cluster (default: " + LocalCluster.DEFAULT_NODES
          + ").")
  Integer nodes;

  @Spec CommandSpec spec;

  LocalCluster cluster() {
    return new LocalCluster(dir, spec.commandLine().getOut(), spec.commandLine().getErr(),
        NodeClassData.fromSystemProperties());
  }

  @Override
  public Integer call() throws Exception {
    LocalCluster cluster = cluster();
    if (cluster.isRunning()) {
      spec.commandLine().getOut().println("using the cluster running in " + cluster.dir());
    } else {
      int status = cluster.start(nodes);
      if (status != Main.OK) {
        return status;
      }
    }
    try (CairnClient client = ClusterOption.connect(cluster.addresses(),
        Durations.parse(ClusterOption.DEFAULT_FAILOVER_TIMEOUT, "--failover-timeout"),
        spec.commandLine().getErr())) {
      return Shell.run(client, System.getenv());
    }
  }

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = {
        "Start the cluster in DIR and wait until it serves: a new one if DIR has none, else the"
            + " nodes that are not running, on their old ports and data.",
        "Refuses if the whole cluster is already running."
      })
  static final class Start implements Callable<Integer> {
    @ParentCommand LocalCommand local;

    @Option(names = {"-n", "--nodes"}, paramLabel = "N",
        description = "Number of nodes of a new cluster (default: " + LocalCluster.DEFAULT_NODES
            + ").")
    Integer nodes;

    @Override
    public Integer call() throws Exception {
      return local.cluster().start(nodes != null ? nodes : local.nodes);
    }
  }

  @Command(name = "stop", mixinStandardHelpOptions = true,
      description = "Stop every node of the cluster in DIR (SIGTERM, then SIGKILL after "
          + "15 s). Data stays for the next start.")
  static final class Stop implements Callable<Integer> {
    @ParentCommand LocalCommand local;

    @Override
    public Integer call() throws Exception {
      return local.cluster().stop();
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Show which nodes of the cluster in DIR run, and the cluster's health.")
  static final class Status implements Callable<Integer> {
    @ParentCommand LocalCommand local;

    @Override
    public Integer call() throws Exception {
      return local.cluster().status();
    }
  }
}
