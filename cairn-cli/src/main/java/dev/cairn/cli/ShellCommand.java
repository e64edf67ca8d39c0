package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code cairn shell}: the interactive shell, or a script runner when stdin is not a terminal. */
@Command(
    name = "shell",
    mixinStandardHelpOptions = true,
    description = {
      "Open the Cairn shell on a cluster.",
      "On a terminal: line editing, history, tab completion. Otherwise it runs the commands read"
          + " from stdin, one per line, and exits with 1 if any failed."
    })
final class ShellCommand implements Callable<Integer> {
  @Mixin ClusterOption cluster;

  @Override
  public Integer call() throws Exception {
    try (CairnClient client = cluster.connect()) {
      return Shell.run(client, System.getenv());
    }
  }
}
