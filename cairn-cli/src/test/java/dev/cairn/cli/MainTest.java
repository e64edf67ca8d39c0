package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Exit statuses and one-line errors of the command line, without a cluster. */
class MainTest {
  @TempDir Path temp;

  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine(args);
    cl.setErr(new PrintWriter(err, true));
    cl.setOut(new PrintWriter(new StringWriter(), true));
    return cl.execute(args);
  }

  @Test
  void noCommandIsAUsageError() {
    assertThat(run()).isEqualTo(2);
    assertThat(err.toString()).contains("Commands:");
  }

  @Test
  void missingServerFlagsAreOneLine() {
    assertThat(run("server", "--id", "n1")).isEqualTo(2);
    assertThat(err.toString().strip().lines()).hasSize(1);
    assertThat(err.toString()).startsWith("cairn server: Missing required options");
  }

  @Test
  void inconsistentServerConfigurationIsStatusTwo() {
    assertThat(run("server", "--id", "n1", "--data", temp.toString(),
        "--listen", "127.0.0.1:5000", "--peers", "n2=127.0.0.1:5002")).isEqualTo(2);
    assertThat(err.toString().strip())
        .isEqualTo("cairn server: --peers must include this node (n1)");
  }

  @Test
  void badBlockSizeIsStatusTwo() {
    assertThat(run("server", "--id", "n1", "--data", temp.toString(),
        "--listen", "127.0.0.1:5000", "--peers", "n1=127.0.0.1:5000", "--block-size", "lots"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("'lots' is not a size");
  }

  @Test
  void serverHelpNamesTheFullCommand() {
    // "cairn server" is parsed without the other commands' model; its help still names it in full.
    StringWriter out = new StringWriter();
    CommandLine cl = Main.commandLine("server", "--help");
    cl.setOut(new PrintWriter(out, true));
    assertThat(cl.execute("server", "--help")).isZero();
    assertThat(out.toString()).startsWith("Usage: cairn server ").contains("--peers");
  }

  @Test
  void serverFlagsBecomeANodeConfig() {
    ServerCommand command = new ServerCommand();
    new CommandLine(command).parseArgs("--id", "n1", "--data", "rel/data",
        "--listen", "127.0.0.1:5000", "--peers", "n1=127.0.0.1:5000,n2=127.0.0.1:5002",
        "--block-size", "1MiB", "--replication", "2", "--min-replicas", "1");
    var config = command.config();
    assertThat(config.dataDir()).isAbsolute();
    assertThat(config.blockSize()).isEqualTo(1 << 20);
    assertThat(config.replication()).isEqualTo(2);
    assertThat(config.minReplicas()).isEqualTo(1);
    assertThat(config.peerIds()).containsExactly("n1", "n2");
  }

  @Test
  void localDirWorksBeforeAndAfterTheSubcommand() {
    Path a = temp.resolve("a");
    assertThat(run("local", "--dir", a.toString(), "status")).isEqualTo(1);
    assertThat(err.toString()).contains("no local cluster in " + a);
    Path b = temp.resolve("b");
    assertThat(run("local", "stop", "--dir", b.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("no local cluster in " + b);
  }

  @Test
  void oneShotUsageErrors() {
    assertThat(run("mv", "a")).isEqualTo(2);
    assertThat(run("put", "-", "--cluster", "127.0.0.1:1")).isEqualTo(2);
    assertThat(err.toString()).contains("put - needs a REMOTE path");
  }

  @Test
  void aCommandNoNodeAnswersSaysWhatItWaitsForThenGivesUpWhenTold() {
    // Nothing listens on port 1 of the loopback address: every try is refused.
    assertThat(run("ls", "--cluster", "127.0.0.1:1", "--failover-timeout", "3s")).isEqualTo(1);
    assertThat(err.toString().lines().filter(l -> l.contains("still trying")))
        .containsExactly("cairn: list /: node 127.0.0.1:1 unreachable"
            + " (java.net.ConnectException: Connection refused); still trying every node,"
            + " for up to 3 s in all (Ctrl-C to stop)");
    assertThat(err.toString()).contains("gave up after 3 s");
  }

  @Test
  void aFailoverTimeoutThatIsNoDurationIsAUsageError() {
    assertThat(run("ls", "--cluster", "127.0.0.1:1", "--failover-timeout", "soon")).isEqualTo(2);
    assertThat(err.toString()).contains("--failover-timeout: 'soon' is not a duration");
    assertThat(run("stat", "/", "--cluster", "127.0.0.1:1", "--failover-timeout", "0s"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--failover-timeout must be more than 0");
  }
}
