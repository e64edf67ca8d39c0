package dev.cairn.cli;

import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Sets how chatty the process is before anything logs. A server logs Cairn's INFO lines to stderr
 * (its log file under {@code cairn local}); the shell and one-shot commands share the terminal with
 * the user's output, so they show only warnings from Cairn and errors from libraries.
 *
 * <p>The backend is slf4j-simple: its format is in simplelogger.properties, and it reads the levels
 * from system properties, which are set here from {@code -Dcairn.log.level} and {@code
 * -Dcairn.log.libraries} when given. gRPC logs through java.util.logging, which is set here
 * directly.
 */
public final class Logging {
  /** Level of dev.cairn loggers, as a user may give it with -D. */
  static final String CAIRN_LEVEL = "cairn.log.level";

  /** Level of everything else (Ratis, gRPC, Netty), as a user may give it with -D. */
  static final String LIBRARY_LEVEL = "cairn.log.libraries";

  /** slf4j-simple's settings: the level of dev.cairn loggers, and of every other. */
  static final String SIMPLE_CAIRN_LEVEL = "org.slf4j.simpleLogger.log.dev.cairn";

  static final String SIMPLE_DEFAULT_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

  // java.util.logging keeps loggers weakly; hold the one configured here.
  private static Logger grpcLogger;

  private Logging() {}

  static void configure(boolean server) {
    boolean chatty = server || Main.debugEnabled(System.getenv());
    setLevels(chatty ? "INFO" : "WARN", chatty ? "WARN" : "ERROR",
        chatty ? Level.WARNING : Level.SEVERE);
  }

  /**
   * Sets the levels of Cairn's loggers, of the libraries' and of java.util.logging (where gRPC
   * logs); {@code -Dcairn.log.level} and {@code -Dcairn.log.libraries} win over the first two. Must
   * run before anything logs: slf4j-simple reads its levels once, when it starts.
   */
  public static void setLevels(String cairn, String libraries, Level jul) {
    if (System.getProperty(SIMPLE_CAIRN_LEVEL) == null) {
      System.setProperty(SIMPLE_CAIRN_LEVEL, System.getProperty(CAIRN_LEVEL, cairn));
    }
    if (System.getProperty(SIMPLE_DEFAULT_LEVEL) == null) {
      System.setProperty(SIMPLE_DEFAULT_LEVEL, System.getProperty(LIBRARY_LEVEL, libraries));
    }
    Logger root = LogManager.getLogManager().getLogger("");
    if (root != null) {
      root.setLevel(jul);
    }
    grpcLogger = Logger.getLogger("io.grpc");
    grpcLogger.setLevel(jul);
  }
}
