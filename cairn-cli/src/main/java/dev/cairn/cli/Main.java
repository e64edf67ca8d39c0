package dev.cairn.cli;

import dev.cairn.client.CairnException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The {@code cairn} command: one launcher for the node ({@code server}), a whole cluster on this
 * machine ({@code local}), the shell, and one-shot file commands.
 *
 * <p>Exit status: 0 on success, 1 when an operation failed (message on stderr), 2 on a usage or
 * configuration error. User errors print one line; CAIRN_DEBUG=1 adds stack traces.
 */
@Command(
    name = "cairn",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Cairn, a replicated distributed file system.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      ServerCommand.class,
      LocalCommand.class,
      ShellCommand.class,
      FileCommands.Ls.class,
      FileCommands.Cat.class,
      FileCommands.Put.class,
      FileCommands.Get.class,
      FileCommands.Rm.class,
      FileCommands.Mkdir.class,
      FileCommands.Mv.class,
      FileCommands.Stat.class,
      FileCommands.Status.class,
      NodeCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  @Spec CommandSpec spec;

  /** The program's entry point; exits the JVM with the command's status. */
  public static void main(String[] args) {
    Logging.configure(args.length > 0 && args[0].equals("server"));
    int status = execute(args);
    System.out.flush();
    System.exit(status);
  }

  /** Runs one command line and returns its exit status, without exiting. */
  static int execute(String... args) {
    return commandLine(args).execute(args);
  }

  /**
   * The command line that runs {@code args}. For "cairn server", that command alone: a node starts
   * in a JVM of its own, often beside others on one machine, and building the model of every
   * command would cost it about a tenth of its start-up work.
   */
  static CommandLine commandLine(String... args) {
    CommandLine cl;
    if (args.length > 0 && args[0].equals("server")) {
      cl = new CommandLine(CommandSpec.create().name("cairn"));
      cl.addSubcommand(new ServerCommand());
    } else {
      cl = new CommandLine(new Main());
    }
    cl.setParameterExceptionHandler(Main::usageError);
    cl.setExecutionExceptionHandler(Main::executionError);
    return cl;
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "no command given");
  }

  static boolean debugEnabled(Map<String, String> env) {
    String value = env.get("CAIRN_DEBUG");
    return value != null && !value.isEmpty() && !value.equals("0") && !value.equals("false");
  }

  private static boolean debugEnabled() {
    return debugEnabled(System.getenv());
  }

  /** Bad flags or arguments: one line naming the command, and where to find its usage. */
  private static int usageError(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    PrintWriter err = cl.getErr();
    String name = cl.getCommandSpec().qualifiedName();
    String message = e.getMessage();
    if (cl.getCommandSpec().subcommands().isEmpty() || !message.equals("no command given")) {
      err.println(name + ": " + message + " (see '" + name + " --help')");
    } else {
      // "cairn" alone: the list of commands is the most useful answer.
      cl.usage(err);
    }
    if (debugEnabled()) {
      e.printStackTrace(err);
    }
    err.flush();
    return USAGE;
  }

  /** An exception out of a command: a message in one line and the matching exit status. */
  private static int executionError(Exception e, CommandLine cl, ParseResult parsed) {
    PrintWriter err = cl.getErr();
    String name = cl.getCommandSpec().qualifiedName();
    int status;
    if (e instanceof OperationException oe) {
      err.println("cairn: " + oe.describe());
      status = FAILED;
    } else if (e instanceof UsageException) {
      err.println(name + ": " + e.getMessage());
      status = USAGE;
    } else if (e instanceof CairnException) {
      err.println("cairn: " + e.getMessage());
      status = FAILED;
    } else if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
      // Configuration that cannot work: bad addresses, a data directory of another cluster.
      err.println(name + ": " + e.getMessage());
      status = USAGE;
    } else if (e instanceof IOException || e instanceof UncheckedIOException) {
      Throwable io = e instanceof UncheckedIOException u ? u.getCause() : e;
      err.println(name + ": " + io.getMessage());
      status = FAILED;
    } else {
      err.println(name + ": unexpected error: " + e
          + (debugEnabled() ? "" : " (CAIRN_DEBUG=1 shows the stack trace)"));
      status = FAILED;
    }
    if (debugEnabled()) {
      e.printStackTrace(err);
    }
    err.flush();
    return status;
  }

  /** The version from the jar's manifest when there is one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"cairn " + (version == null ? "0.1.0-SNAPSHOT" : version),
          "Java " + Runtime.version() + " (" + System.getProperty("java.home") + ")"};
    }
  }
}
