package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The one-shot commands, {@code cairn ls|cat|put|get|rm|mkdir|mv|stat|status}: each connects, does
 * one thing as the shell command of the same name would, and exits (0 done, 1 failed, 2 misused).
 * Paths are absolute or relative to "/". They print no confirmations, like their Unix namesakes.
 */
final class FileCommands {
  private FileCommands() {}

  /** Connects, runs {@code action} on a quiet {@link ShellCommands}, closes. */
  abstract static class OneShot implements Callable<Integer> {
    @Mixin ClusterOption cluster;

    interface Action {
      void run(ShellCommands commands) throws OperationException, IOException;
    }

    Integer run(Action action) throws Exception {
      Map<String, String> env = System.getenv();
      try (CairnClient client = cluster.connect()) {
        ShellCommands commands = new ShellCommands(new ClientFileStore(client), System.out,
            System.err, env, Shell.isTerminal(), false,
            EditorSession.processLauncher(env, Shell.isTerminal()));
        action.run(commands);
      }
      System.out.flush();
      return Main.OK;
    }

    /** Raw stdout for file content: binary-safe and, unlike System.out, reports a closed pipe. */
    static OutputStream stdout() {
      return new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 256 * 1024);
    }
  }

  @Command(name = "ls", mixinStandardHelpOptions = true,
      description = "List a directory (default /): type, size, version, modified, name.")
  static final class Ls extends OneShot {
    @Parameters(arity = "0..1", paramLabel = "DIR") String dir;

    @Override
    public Integer call() throws Exception {
      return run(c -> c.list(dir == null ? "/" : dir));
    }
  }

  @Command(name = "cat", mixinStandardHelpOptions = true,
      description = "Write files' content to stdout, byte for byte.")
  static final class Cat extends OneShot {
    @Parameters(arity = "1..*", paramLabel = "FILE") List<String> files;

    @Override
    public Integer call() throws Exception {
      return run(c -> {
        OutputStream out = stdout();
        for (String file : files) {
          c.read(file, out, false);
        }
        out.flush();
      });
    }
  }

  @Command(name = "put", mixinStandardHelpOptions = true,
      description = "Upload a local file, or stdin with '-'. Into REMOTE if it is a directory.")
  static final class Put extends OneShot {
    @Parameters(index = "0", paramLabel = "LOCAL") String local;
    @Parameters(index = "1", arity = "0..1", paramLabel = "REMOTE") String remote;

    @Override
    public Integer call() throws Exception {
      if (local.equals("-")) {
        if (remote == null) {
          throw new UsageException("put - needs a REMOTE path to write stdin to");
        }
        return run(c -> c.putStream(System.in, remote));
      }
      return run(c -> c.put(local, remote));
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true,
      description = "Download a file; to stdout with '-'. Into LOCAL if it is a directory.")
  static final class Get extends OneShot {
    @Parameters(index = "0", paramLabel = "REMOTE") String remote;
    @Parameters(index = "1", arity = "0..1", paramLabel = "LOCAL") String local;

    @Override
    public Integer call() throws Exception {
      if ("-".equals(local)) {
        return run(c -> {
          OutputStream out = stdout();
          c.getStream(remote, out);
          out.flush();
        });
      }
      return run(c -> c.get(remote, local));
    }
  }

  @Command(name = "rm", mixinStandardHelpOptions = true,
      description = "Delete files or empty directories.")
  static final class Rm extends OneShot {
    @Option(names = {"-r", "--recursive"}, description = "Also directories with their content.")
    boolean recursive;

    @Parameters(arity = "1..*", paramLabel = "PATH") List<String> paths;

    @Override
    public Integer call() throws Exception {
      return run(c -> {
        for (String path : paths) {
          c.delete(path, recursive);
        }
      });
    }
  }

  @Command(name = "mkdir", mixinStandardHelpOptions = true, description = "Create directories.")
  static final class Mkdir extends OneShot {
    @Option(names = {"-p", "--parents"},
        description = "Also create missing parents; no error if the directory exists.")
    boolean parents;

    @Parameters(arity = "1..*", paramLabel = "DIR") List<String> dirs;

    @Override
    public Integer call() throws Exception {
      return run(c -> {
        for (String dir : dirs) {
          c.mkdir(dir, parents);
        }
      });
    }
  }

  @Command(name = "mv", mixinStandardHelpOptions = true,
      description = "Move or rename a file or directory; into DST if it is a directory.")
  static final class Mv extends OneShot {
    @Parameters(index = "0", paramLabel = "SRC") String source;
    @Parameters(index = "1", paramLabel = "DST") String target;

    @Override
    public Integer call() throws Exception {
      return run(c -> c.move(source, target));
    }
  }

  @Command(name = "stat", mixinStandardHelpOptions = true,
      description = "Show the details of a file or directory.")
  static final class Stat extends OneShot {
    @Parameters(paramLabel = "PATH") String path;

    @Override
    public Integer call() throws Exception {
      return run(c -> c.stat(path));
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Show every node and the cluster's health.")
  static final class Status extends OneShot {
    @Override
    public Integer call() throws Exception {
      return run(ShellCommands::status);
    }
  }
}
