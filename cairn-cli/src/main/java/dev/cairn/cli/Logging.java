package dev.cairn.cli;

import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Sets how chatty the process is before anything logs. A server logs Cairn's INFO lines to stderr
 * (its log file under {@code cairn local}); the shell and one-shot commands share the terminal with
 * the user's output, so they show only warnings from Cairn and errors from libraries.
 *
 * <p>Logback reads the levels from system properties in logback.xml; gRPC logs through
 * java.util.logging, which is set here directly.
 */
final class Logging {
  /** Level of dev.cairn loggers; logback.xml reads it. */
  static final String CAIRN_LEVEL = "cairn.log.level";

  /** Level of everything else (Ratis, gRPC, Netty); logback.xml reads it. */
  static final String LIBRARY_LEVEL = "cairn.log.libraries";

  // java.util.logging keeps loggers weakly; hold the one configured here.
  private static Logger grpcLogger;

  private Logging() {}

  static void configure(boolean server) {
    boolean debug = Main.debugEnabled(System.getenv());
    String cairn = server || debug ? "INFO" : "WARN";
    String libraries = server || debug ? "WARN" : "ERROR";
    if (System.getProperty(CAIRN_LEVEL) == null) {
      System.setProperty(CAIRN_LEVEL, cairn);
    }
    if (System.getProperty(LIBRARY_LEVEL) == null) {
      System.setProperty(LIBRARY_LEVEL, libraries);
    }
    Level julLevel = server || debug ? Level.WARNING : Level.SEVERE;
    Logger root = LogManager.getLogManager().getLogger("");
    if (root != null) {
      root.setLevel(julLevel);
    }
    grpcLogger = Logger.getLogger("io.grpc");
    grpcLogger.setLevel(julLevel);
  }
}
