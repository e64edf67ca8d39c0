package dev.cairn.cli;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Turns what the user typed into an absolute Cairn path. The shell has a current directory, so
 * relative names and {@code .}/{@code ..} are resolved here; the server still rejects anything odd
 * that remains (NUL, oversize names), with its own message.
 */
final class RemotePaths {
  static final String ROOT = "/";

  private RemotePaths() {}

  /**
   * {@code arg} resolved against the absolute directory {@code cwd}: "" is {@code cwd}, repeated
   * and trailing slashes are dropped, "." and ".." are applied, and ".." at the root stays at the
   * root as in a POSIX shell.
   */
  static String resolve(String cwd, String arg) {
    String joined = arg.startsWith("/") ? arg : cwd + "/" + arg;
    Deque<String> segments = new ArrayDeque<>();
    for (String segment : joined.split("/")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        segments.pollLast();
      } else {
        segments.addLast(segment);
      }
    }
    return segments.isEmpty() ? ROOT : "/" + String.join("/", segments);
  }

  /** The parent of an absolute, resolved path; the root is its own parent. */
  static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? ROOT : path.substring(0, slash);
  }

  /** The last segment of an absolute, resolved path; "" for the root. */
  static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** {@code name} inside the directory {@code dir}. */
  static String child(String dir, String name) {
    return dir.equals(ROOT) ? ROOT + name : dir + "/" + name;
  }
}
