package dev.cairn.testing;

import java.util.function.Supplier;

/** System properties that a node reads when it starts, set for one test class's cluster only. */
final class SystemProperties {
  private SystemProperties() {}

  /**
   * Runs {@code start} with the system property {@code key} set to {@code value}, then restores
   * it: the nodes started meanwhile have read it, and the nodes of other test classes keep the
   * default.
   */
  static <T> T setWhile(String key, String value, Supplier<T> start) {
    String before = System.getProperty(key);
    System.setProperty(key, value);
    try {
      return start.get();
    } finally {
      if (before == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, before);
      }
    }
  }
}
