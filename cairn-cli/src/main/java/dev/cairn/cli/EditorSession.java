package dev.cairn.cli;

import dev.cairn.client.CairnException;
import dev.cairn.client.CairnInputStream;
import dev.cairn.client.ConflictException;
import dev.cairn.client.ErrorCode;
import dev.cairn.client.FileStatus;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Map;

/**
 * {@code write} and {@code append}: the user's editor on a temporary local file, then one
 * conditional save. The temporary file is the user's work, so it is deleted only once its content
 * is safely in Cairn (or there was nothing to save); whenever a save fails the error names it.
 *
 * <p>{@code write} saves with {@link FileStore#writeIfVersion} against the version it read, so an
 * edit never silently overwrites a change someone else made in the meantime. For a file that did
 * not exist the expected version is 0, "must not exist": if someone else created it while the
 * editor was open, that is a conflict too.
 */
final class EditorSession {
  /** The expected version that means "the file must not exist yet" (see CairnClient). */
  static final long MUST_NOT_EXIST = 0;

  /** Runs the editor; the shell pauses its terminal around it. */
  interface EditorLauncher {
    int edit(String editorCommand, Path file) throws IOException, InterruptedException;
  }

  private final FileStore store;
  private final Map<String, String> env;
  private final EditorLauncher launcher;

  EditorSession(FileStore store, Map<String, String> env, EditorLauncher launcher) {
    this.store = store;
    this.env = env;
    this.launcher = launcher;
  }

  /**
   * The editor to run: {@code $VISUAL}, else {@code $EDITOR}, else {@code vi}. It may carry
   * arguments ("code --wait"), because it is run through {@code sh -c} as git runs it.
   */
  static String editorCommand(Map<String, String> env) {
    for (String name : new String[] {"VISUAL", "EDITOR"}) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return value.strip();
      }
    }
    return "vi";
  }

  /**
   * Runs {@code sh -c '<editor> "$1"' sh <file>}. On a terminal the editor gets the terminal;
   * otherwise its input is /dev/null, because the shell's own input is a script that the editor
   * must not swallow.
   */
  static EditorLauncher processLauncher(Map<String, String> env, boolean terminal) {
    return (editorCommand, file) -> {
      ProcessBuilder pb =
          new ProcessBuilder("sh", "-c", editorCommand + " \"$1\"", "sh", file.toString());
      pb.environment().putAll(env);
      pb.inheritIO();
      if (!terminal) {
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      }
      return pb.start().waitFor();
    };
  }

  /** Edits the whole content of {@code path} (a new file if there is none); returns what happened. */
  String write(String path) throws OperationException {
    FileStatus current = statOrNull(path);
    if (current != null && current.directory()) {
      throw new OperationException(path, "is a directory");
    }
    Path temp = createTempFile(path);
    byte[] before;
    long versionRead;
    try {
      if (current == null) {
        before = digest(new byte[0]);
        versionRead = -1;
      } else {
        MessageDigest digest = sha256();
        try (CairnInputStream in = store.open(path);
            OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), digest)) {
          in.transferTo(out);
          versionRead = in.status().version();
        }
        before = digest.digest();
      }
    } catch (IOException e) {
      deleteQuietly(temp);
      throw ShellCommands.failure(path, e);
    }

    runEditor(path, temp);

    byte[] after = digestOf(path, temp);
    if (Arrays.equals(before, after)) {
      deleteQuietly(temp);
      return current == null ? "no change; " + path + " not created" : "no change";
    }
    FileStatus saved;
    try (InputStream in = Files.newInputStream(temp)) {
      if (current == null) {
        saved = store.writeIfVersion(path, MUST_NOT_EXIST, in);
      } else {
        saved = store.writeIfVersion(path, versionRead, in);
      }
    } catch (ConflictException e) {
      throw conflict(path, temp);
    } catch (CairnException e) {
      if (e.code() == ErrorCode.ALREADY_EXISTS) {
        throw conflict(path, temp);
      }
      throw keptAfter(path, temp, e);
    } catch (IOException e) {
      throw keptAfter(path, temp, e);
    }
    deleteQuietly(temp);
    return "saved " + saved.path() + " (" + HumanSize.format(saved.size()) + ", version "
        + saved.version() + ")";
  }

  /** Appends what the user writes in the editor to the existing file {@code path}. */
  String append(String path) throws OperationException {
    FileStatus current;
    try {
      current = store.stat(path);
    } catch (CairnException e) {
      throw ShellCommands.failure(path, e);
    }
    if (current.directory()) {
      throw new OperationException(path, "is a directory");
    }
    Path temp = createTempFile(path);
    runEditor(path, temp);
    long size;
    try {
      size = Files.size(temp);
    } catch (IOException e) {
      throw new OperationException(temp.toString(), "cannot read the editor's file: " + e);
    }
    if (size == 0) {
      deleteQuietly(temp);
      return "nothing to append";
    }
    FileStatus saved;
    try (InputStream in = Files.newInputStream(temp)) {
      saved = store.append(path, in);
    } catch (IOException e) {
      throw keptAfter(path, temp, e);
    }
    deleteQuietly(temp);
    return "appended " + HumanSize.format(size) + " to " + saved.path() + " ("
        + HumanSize.format(saved.size()) + ", version " + saved.version() + ")";
  }

  private void runEditor(String path, Path temp) throws OperationException {
    String editor = editorCommand(env);
    int exit;
    try {
      exit = launcher.edit(editor, temp);
    } catch (IOException e) {
      throw new OperationException(path, "cannot run editor '" + editor + "': " + e.getMessage()
          + "; your text is kept in " + temp);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OperationException(path, "interrupted; your text is kept in " + temp);
    }
    if (exit != 0) {
      throw new OperationException(path, "editor '" + editor + "' exited with status " + exit
          + "; nothing saved, your text is kept in " + temp);
    }
  }

  private FileStatus statOrNull(String path) throws OperationException {
    try {
      return store.stat(path);
    } catch (CairnException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return null;
      }
      throw ShellCommands.failure(path, e);
    }
  }

  private static OperationException conflict(String path, Path temp) {
    return new OperationException(path, "changed by someone else while you were editing it;"
        + " nothing saved, your text is kept in " + temp);
  }

  private static OperationException keptAfter(String path, Path temp, IOException e) {
    OperationException failure = ShellCommands.failure(path, e);
    return new OperationException(failure.path(),
        failure.getMessage() + "; nothing saved, your text is kept in " + temp, e);
  }

  private static Path createTempFile(String path) throws OperationException {
    // Keep the file's name as the suffix so that the editor picks the right syntax mode.
    String name = RemotePaths.name(path).replaceAll("[^A-Za-z0-9._-]", "_");
    try {
      return Files.createTempFile("cairn-", "-" + name);
    } catch (IOException e) {
      throw new OperationException(path, "cannot create a temporary file: " + e.getMessage());
    }
  }

  private static byte[] digestOf(String path, Path file) throws OperationException {
    MessageDigest digest = sha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[64 * 1024];
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new OperationException(path, "cannot read the edited file " + file + ": " + e);
    }
    return digest.digest();
  }

  private static byte[] digest(byte[] bytes) {
    return sha256().digest(bytes);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A leftover temp file is harmless; the save itself succeeded.
    }
  }
}
