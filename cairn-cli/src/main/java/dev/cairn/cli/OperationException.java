package dev.cairn.cli;

import java.util.regex.Pattern;

/**
 * An operation on one path failed: the cluster refused it or a local file could not be used. The
 * message is meant for the user as is; {@link #path()} is what it was about, so that the one-shot
 * commands can print "cairn: PATH: MESSAGE" and the shell "error: PATH: MESSAGE".
 */
final class OperationException extends Exception {
  private final String path;

  OperationException(String path, String message) {
    super(message);
    this.path = path;
  }

  OperationException(String path, String message, Throwable cause) {
    super(message, cause);
    this.path = path;
  }

  String path() {
    return path;
  }

  /**
   * "PATH: MESSAGE", or just MESSAGE when it names the path already: the cluster's messages
   * usually do ("no such file or directory: '/a'"), and saying it twice reads badly.
   */
  String describe() {
    String message = getMessage() == null ? "failed" : getMessage();
    if (path == null || path.isEmpty() || mentions(message, path)) {
      return message;
    }
    return path + ": " + message;
  }

  /** True if {@code path} appears in {@code message} as a whole word, quoted or not. */
  static boolean mentions(String message, String path) {
    return Pattern.compile("(^|[\\s'\"`(])" + Pattern.quote(path) + "($|[\\s'\"`):,;])")
        .matcher(message)
        .find();
  }
}
