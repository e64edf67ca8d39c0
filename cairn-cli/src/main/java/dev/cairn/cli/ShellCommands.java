package dev.cairn.cli;

import dev.cairn.client.CairnException;
import dev.cairn.client.CairnInputStream;
import dev.cairn.client.ErrorCode;
import dev.cairn.client.FileStatus;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What each shell command does, against a {@link FileStore}. The interactive shell, scripts on
 * stdin and the one-shot commands ({@code cairn ls ...}) all run through here, so they behave
 * alike; only the shell keeps a current directory and prints confirmations.
 *
 * <p>Not thread-safe: one session, one thread.
 */
final class ShellCommands {
  private static final DateTimeFormatter LIST_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT);
  private static final DateTimeFormatter STAT_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS xxx", Locale.ROOT);

  private final FileStore store;
  private final PrintStream out;
  private final PrintStream err;
  private final boolean terminal;
  private final boolean confirm;
  private final EditorSession editor;
  private final ZoneId zone;
  private String cwd = RemotePaths.ROOT;

  /**
   * @param terminal whether err is a terminal, for progress lines
   * @param confirm whether to print a line after each change (the shell does, one-shots don't)
   */
  ShellCommands(FileStore store, PrintStream out, PrintStream err, Map<String, String> env,
      boolean terminal, boolean confirm, EditorSession.EditorLauncher launcher) {
    this.store = store;
    this.out = out;
    this.err = err;
    this.terminal = terminal;
    this.confirm = confirm;
    this.editor = new EditorSession(store, env, launcher);
    this.zone = ZoneId.systemDefault();
  }

  String cwd() {
    return cwd;
  }

  String resolve(String arg) {
    return RemotePaths.resolve(cwd, arg);
  }

  /**
   * Runs one parsed command. Returns false for {@code exit}.
   *
   * @throws OperationException if the operation failed; the session goes on
   */
  boolean execute(Verb.Invocation call) throws OperationException {
    List<String> args = call.args();
    String first = args.isEmpty() ? null : args.get(0);
    String second = args.size() > 1 ? args.get(1) : null;
    switch (call.verb()) {
      case HELP -> out.print(Verb.help());
      case LIST -> list(first == null ? "" : first);
      case CD -> cd(first == null ? RemotePaths.ROOT : first);
      case PWD -> out.println(cwd);
      case CREATE -> create(first);
      case READ -> read(first, out, true);
      case WRITE -> out.println(editor.write(resolve(first)));
      case APPEND -> out.println(editor.append(resolve(first)));
      case DELETE -> {
        for (String path : args) {
          delete(path, call.flag('r'));
        }
      }
      case MKDIR -> {
        for (String path : args) {
          mkdir(path, call.flag('p'));
        }
      }
      case MV -> move(first, second);
      case STAT -> stat(first);
      case PUT -> put(first, second);
      case GET -> get(first, second);
      case STATUS -> status();
      case EXIT -> {
        return false;
      }
    }
    out.flush();
    return true;
  }

  void list(String arg) throws OperationException {
    String dir = resolve(arg);
    List<FileStatus> entries;
    try {
      entries = store.list(dir);
    } catch (CairnException e) {
      if (e.code() != ErrorCode.NOT_A_DIRECTORY) {
        throw failure(dir, e);
      }
      // "list FILE" shows that one file, as ls does.
      entries = List.of(statOf(dir));
    }
    TextTable table = new TextTable(false, true, true, false, false);
    for (FileStatus entry : entries) {
      table.row(entry.directory() ? "dir" : "file",
          entry.directory() ? "-" : HumanSize.format(entry.size()),
          entry.directory() ? "-" : Long.toString(entry.version()),
          entry.modified() == null ? "-" : LIST_TIME.format(entry.modified().atZone(zone)),
          entry.directory() ? entry.name() + "/" : entry.name());
    }
    out.print(table.render());
  }

  void cd(String arg) throws OperationException {
    String dir = resolve(arg);
    FileStatus status = statOf(dir);
    if (!status.directory()) {
      throw new OperationException(dir, "not a directory");
    }
    cwd = dir;
  }

  void create(String arg) throws OperationException {
    String path = resolve(arg);
    try {
      FileStatus created = store.create(path);
      confirm("created " + created.path());
    } catch (CairnException e) {
      throw failure(path, e);
    }
  }

  /**
   * Copies a file to {@code sink}, byte for byte. With {@code endLine} (the shell), a file that
   * does not end in a newline gets one, so that the next prompt or output starts on its own line.
   */
  void read(String arg, OutputStream sink, boolean endLine) throws OperationException {
    String path = resolve(arg);
    try (CairnInputStream in = store.open(path)) {
      byte[] buf = new byte[64 * 1024];
      int last = '\n';
      for (int n; (n = in.read(buf)) > 0; ) {
        sink.write(buf, 0, n);
        last = buf[n - 1];
      }
      if (endLine && last != '\n') {
        sink.write('\n');
      }
      sink.flush();
    } catch (IOException e) {
      throw failure(path, e);
    }
  }

  void delete(String arg, boolean recursive) throws OperationException {
    String path = resolve(arg);
    try {
      store.delete(path, recursive);
      confirm("deleted " + path);
    } catch (CairnException e) {
      throw failure(path, e);
    }
  }

  void mkdir(String arg, boolean parents) throws OperationException {
    String path = resolve(arg);
    try {
      FileStatus made = store.mkdir(path, parents);
      confirm("created directory " + made.path());
    } catch (CairnException e) {
      throw failure(path, e);
    }
  }

  void move(String sourceArg, String targetArg) throws OperationException {
    String source = resolve(sourceArg);
    String target = resolve(targetArg);
    try {
      FileStatus moved = store.rename(source, target);
      confirm("moved " + source + " -> " + moved.path());
    } catch (CairnException e) {
      throw failure(source, e);
    }
  }

  void stat(String arg) throws OperationException {
    FileStatus s = statOf(resolve(arg));
    TextTable table = new TextTable(false, false);
    table.row("path:", s.path());
    table.row("type:", s.directory() ? "directory" : "file");
    if (s.directory()) {
      table.row("entries:", Integer.toString(s.children()));
    } else {
      table.row("size:", HumanSize.format(s.size()) + " (" + s.size() + " bytes)");
      table.row("version:", Long.toString(s.version()));
      table.row("replication:", Integer.toString(s.replication()));
    }
    table.row("modified:", s.modified() == null ? "-" : STAT_TIME.format(s.modified().atZone(zone)));
    out.print(table.render());
  }

  /** Uploads a local file; REMOTE defaults to the file's name in the current directory. */
  void put(String localArg, String remoteArg) throws OperationException {
    Path local = localPath(localArg);
    if (Files.isDirectory(local)) {
      throw new OperationException(localArg, "is a directory (put copies one file)");
    }
    if (!Files.isReadable(local)) {
      throw new OperationException(localArg, Files.exists(local)
          ? "permission denied" : "no such local file");
    }
    String remote = remoteTarget(remoteArg, local.getFileName().toString());
    long size;
    try {
      size = Files.size(local);
    } catch (IOException e) {
      throw failure(localArg, e);
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(local), 256 * 1024)) {
      FileStatus saved = upload(in, remote, size);
      confirm("put " + localArg + " -> " + saved.path() + " (" + HumanSize.format(saved.size())
          + ", version " + saved.version() + ")");
    } catch (NoSuchFileException | AccessDeniedException e) {
      throw failure(localArg, e);
    } catch (IOException e) {
      throw failure(remote, e);
    }
  }

  /** Uploads a stream (stdin for {@code cairn put - REMOTE}). */
  void putStream(InputStream in, String remoteArg) throws OperationException {
    String remote = resolve(remoteArg);
    try {
      upload(in, remote, -1);
    } catch (IOException e) {
      throw failure(remote, e);
    }
  }

  private FileStatus upload(InputStream in, String remote, long size) throws IOException {
    TransferProgress progress =
        new TransferProgress("put " + RemotePaths.name(remote), err, terminal, size);
    try {
      return store.write(remote, progress.wrap(in));
    } finally {
      progress.finish();
    }
  }

  /** Downloads a file; LOCAL defaults to the file's name in the local working directory. */
  void get(String remoteArg, String localArg) throws OperationException {
    String remote = resolve(remoteArg);
    Path local = localArg == null ? Path.of(RemotePaths.name(remote)) : localPath(localArg);
    if (Files.isDirectory(local)) {
      local = local.resolve(RemotePaths.name(remote));
    }
    Path dir = local.toAbsolutePath().getParent();
    Path temp;
    try {
      // Download next to the target and rename at the end, so that a failed download never
      // leaves a truncated file under the real name.
      temp = Files.createTempFile(dir, "." + local.getFileName(), ".part");
    } catch (IOException e) {
      throw failure(dir.toString(), e);
    }
    try {
      FileStatus read;
      try (CairnInputStream in = store.open(remote);
          OutputStream file = new BufferedOutputStream(Files.newOutputStream(temp), 256 * 1024)) {
        TransferProgress progress = new TransferProgress(
            "get " + RemotePaths.name(remote), err, terminal, in.status().size());
        try (OutputStream counted = progress.wrap(file)) {
          in.transferTo(counted);
        } finally {
          progress.finish();
        }
        read = in.status();
      } catch (IOException e) {
        throw failure(remote, e);
      }
      try {
        moveIntoPlace(temp, local);
      } catch (IOException e) {
        throw failure(local.toString(), e);
      }
      confirm("get " + read.path() + " -> " + local + " (" + HumanSize.format(read.size())
          + ", version " + read.version() + ")");
    } finally {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        // Only a leftover .part file; the error that matters was already reported.
      }
    }
  }

  /** Downloads a file to a stream (stdout for {@code cairn get REMOTE -}). */
  void getStream(String remoteArg, OutputStream sink) throws OperationException {
    read(remoteArg, sink, false);
  }

  void status() throws OperationException {
    try {
      out.print(StatusTable.render(store.clusterStatus()));
    } catch (CairnException e) {
      throw failure("status", e);
    }
  }

  private FileStatus statOf(String path) throws OperationException {
    try {
      return store.stat(path);
    } catch (CairnException e) {
      throw failure(path, e);
    }
  }

  /** Where an upload goes: into REMOTE if it is a directory or ends in '/', else REMOTE itself. */
  private String remoteTarget(String remoteArg, String localName) throws OperationException {
    if (remoteArg == null) {
      return RemotePaths.child(cwd, localName);
    }
    String remote = resolve(remoteArg);
    if (remoteArg.endsWith("/") || remote.equals(RemotePaths.ROOT)) {
      return RemotePaths.child(remote, localName);
    }
    try {
      if (store.stat(remote).directory()) {
        return RemotePaths.child(remote, localName);
      }
    } catch (CairnException e) {
      if (e.code() != ErrorCode.NOT_FOUND) {
        throw failure(remote, e);
      }
    }
    return remote;
  }

  private static Path localPath(String arg) {
    if (arg.equals("~") || arg.startsWith("~/")) {
      return Path.of(System.getProperty("user.home") + arg.substring(1));
    }
    return Path.of(arg);
  }

  private static void moveIntoPlace(Path temp, Path target) throws IOException {
    try {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private void confirm(String line) {
    if (confirm) {
      out.println(line);
    }
  }

  /** An {@link OperationException} for a failed call about {@code path}, with a plain message. */
  static OperationException failure(String path, IOException e) {
    if (e instanceof CairnException ce) {
      String message = ce.getMessage();
      if (message == null || message.isBlank()) {
        message = ce.code().name().toLowerCase(Locale.ROOT).replace('_', ' ');
      }
      return new OperationException(path, message, e);
    }
    if (e instanceof NoSuchFileException nsf) {
      return new OperationException(nsf.getFile() != null ? nsf.getFile() : path,
          "no such file or directory", e);
    }
    if (e instanceof AccessDeniedException ade) {
      return new OperationException(ade.getFile() != null ? ade.getFile() : path,
          "permission denied", e);
    }
    if (e instanceof FileAlreadyExistsException fae) {
      return new OperationException(fae.getFile() != null ? fae.getFile() : path,
          "already exists", e);
    }
    if (e instanceof NotDirectoryException nde) {
      return new OperationException(nde.getFile() != null ? nde.getFile() : path,
          "not a directory", e);
    }
    String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    return new OperationException(path, message, e);
  }
}
