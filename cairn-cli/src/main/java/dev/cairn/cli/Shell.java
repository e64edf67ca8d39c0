package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The Cairn shell. On a terminal it is interactive (JLine: line editing, history in
 * ~/.cairn_history, completion of commands and remote paths, a prompt naming the node in use);
 * otherwise it reads commands from its input one per line, which is how scripts and tests drive
 * it. Both modes run the same {@link ShellCommands}.
 *
 * <p>Errors never end the session: each prints one line "error: MESSAGE" and the next command
 * runs.
 */
public final class Shell {
  private static final String HISTORY_FILE = ".cairn_history";

  private Shell() {}

  /**
   * Runs commands from {@code in}, one per line, until its end or {@code exit}. Blank lines and
   * lines starting with '#' are skipped; arguments may be quoted with '...' or "..." so that names
   * with spaces work. Results go to {@code out}, one "error: MESSAGE" line per failure to {@code
   * err}. The editor for {@code write} and {@code append} comes from {@code env} (VISUAL, then
   * EDITOR, then vi), runs with {@code env} added to its environment and reads /dev/null.
   *
   * <p>Does not close {@code client}, {@code in}, {@code out} or {@code err}.
   *
   * @return 0 if every command succeeded, else 1
   */
  public static int runScript(
      CairnClient client, Reader in, PrintStream out, PrintStream err, Map<String, String> env) {
    return runScript(new ClientFileStore(client), in, out, err, env,
        EditorSession.processLauncher(env, false));
  }

  static int runScript(FileStore store, Reader in, PrintStream out, PrintStream err,
      Map<String, String> env, EditorSession.EditorLauncher launcher) {
    ShellCommands commands = new ShellCommands(store, out, err, env, false, true, launcher);
    boolean allSucceeded = true;
    BufferedReader lines = in instanceof BufferedReader b ? b : new BufferedReader(in);
    try {
      for (String line; (line = lines.readLine()) != null; ) {
        Outcome outcome = runLine(commands, line, err, env);
        allSucceeded &= outcome != Outcome.FAILED;
        if (outcome == Outcome.EXIT) {
          break;
        }
      }
    } catch (IOException e) {
      err.println("error: cannot read commands: " + e.getMessage());
      allSucceeded = false;
    }
    out.flush();
    err.flush();
    return allSucceeded ? 0 : 1;
  }

  /**
   * The {@code cairn shell} entry point: interactive on a terminal, a script runner otherwise.
   *
   * @return the exit status: 0, or 1 if a scripted command failed
   */
  static int run(CairnClient client, Map<String, String> env) throws IOException {
    if (isTerminal()) {
      return runInteractive(client, env);
    }
    return runScript(client, new InputStreamReader(System.in, StandardCharsets.UTF_8),
        System.out, System.err, env);
  }

  /**
   * True when stdin and stdout are a terminal. Since JDK 22 {@link System#console()} exists even
   * when they are redirected and {@code Console.isTerminal()} tells; on JDK 21 a console exists
   * only for a terminal. Reflection because the code compiles for 21.
   */
  static boolean isTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  private static int runInteractive(CairnClient client, Map<String, String> env)
      throws IOException {
    FileStore store = new ClientFileStore(client);
    try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
      EditorSession.EditorLauncher processLauncher = EditorSession.processLauncher(env, true);
      // JLine reads the terminal on its own thread; pause it while the editor owns the terminal,
      // or it would steal the editor's keystrokes.
      EditorSession.EditorLauncher launcher = (editor, file) -> {
        terminal.pause(true);
        try {
          return processLauncher.edit(editor, file);
        } finally {
          terminal.resume();
        }
      };
      PrintStream out = System.out;
      PrintStream err = System.err;
      ShellCommands commands = new ShellCommands(store, out, err, env, true, true, launcher);
      LineReader reader = LineReaderBuilder.builder()
          .terminal(terminal)
          .appName("cairn")
          .completer(new Completion(store, commands::cwd))
          .variable(LineReader.HISTORY_FILE,
              Path.of(System.getProperty("user.home"), HISTORY_FILE))
          // '!' and '^' are ordinary characters in file names, not history expansion.
          .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
          .build();
      out.println("Cairn shell on " + String.join(",", client.addresses())
          + ". Type help for the commands, exit or Ctrl-D to leave.");
      while (true) {
        String line;
        try {
          line = reader.readLine(prompt(store, commands.cwd()));
        } catch (UserInterruptException e) {
          continue; // Ctrl-C drops the line being typed, as in bash.
        } catch (EndOfFileException e) {
          break;
        }
        if (runLine(commands, line, err, env) == Outcome.EXIT) {
          break;
        }
      }
    }
    return 0;
  }

  private static String prompt(FileStore store, String cwd) {
    String node;
    try {
      node = store.currentAddress();
    } catch (RuntimeException e) {
      node = "?";
    }
    return "cairn " + node + " " + cwd + "> ";
  }

  private enum Outcome {
    OK,
    FAILED,
    EXIT
  }

  private static Outcome runLine(
      ShellCommands commands, String line, PrintStream err, Map<String, String> env) {
    String trimmed = line.strip();
    if (trimmed.isEmpty() || trimmed.startsWith("#")) {
      return Outcome.OK;
    }
    try {
      List<String> words = CommandLineSplitter.split(trimmed);
      if (words.isEmpty()) {
        return Outcome.OK;
      }
      return commands.execute(Verb.parse(words)) ? Outcome.OK : Outcome.EXIT;
    } catch (UsageException e) {
      err.println("error: " + e.getMessage());
    } catch (OperationException e) {
      err.println("error: " + e.describe());
      debug(e, err, env);
    } catch (UncheckedIOException e) {
      err.println("error: " + e.getCause().getMessage());
      debug(e, err, env);
    } catch (RuntimeException e) {
      // A bug or an unexpected failure in the client: report it and keep the session alive.
      err.println("error: " + (e.getMessage() != null ? e.getMessage() : e.toString())
          + (Main.debugEnabled(env) ? "" : " (CAIRN_DEBUG=1 shows details)"));
      debug(e, err, env);
    }
    err.flush();
    return Outcome.FAILED;
  }

  private static void debug(Exception e, PrintStream err, Map<String, String> env) {
    if (Main.debugEnabled(env)) {
      e.printStackTrace(err);
    }
  }
}
