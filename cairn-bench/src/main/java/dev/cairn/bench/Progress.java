package dev.cairn.bench;

import java.util.Locale;

/**
 * Progress lines of a child process: printed on stderr with a {@code PROGRESS} prefix, which the
 * orchestrator shows to the user while everything else a child prints goes to its log file.
 */
public final class Progress {
  private Progress() {}

  public static void say(String format, Object... args) {
    System.err.println("PROGRESS " + String.format(Locale.ROOT, format, args));
    System.err.flush();
  }
}
