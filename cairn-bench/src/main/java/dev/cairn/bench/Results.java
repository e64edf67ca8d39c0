package dev.cairn.bench;

import java.util.Locale;

/**
 * Machine-readable results of a child process: one {@code RESULT key value} line on stdout per
 * measurement, and {@code ERROR key message} for a workload that failed. The orchestrator reads
 * nothing else from a child's stdout.
 */
public final class Results {
  private Results() {}

  public static void result(String key, double value) {
    System.out.println("RESULT " + key + " " + String.format(Locale.ROOT, "%.6g", value));
    System.out.flush();
  }

  public static void error(String key, Throwable e) {
    String message = (e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' ');
    System.out.println("ERROR " + key + " " + message);
    System.out.flush();
    System.err.println("workload " + key + " failed:");
    e.printStackTrace();
  }
}
