package dev.cairn.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as people read and type them: binary units (KiB = 1024 bytes) for amounts, decimal MB/s
 * for rates, as {@code curl} and {@code rsync} print them.
 */
final class HumanSize {
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)", Pattern.CASE_INSENSITIVE);

  private HumanSize() {}

  /** "512 B", "1.5 KiB", "12.0 MiB". */
  static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
  }

  /** Bytes per second over {@code nanos} as "12.3 MB/s"; "-" when no time has passed. */
  static String rate(long bytes, long nanos) {
    if (nanos <= 0) {
      return "- MB/s";
    }
    return String.format(Locale.ROOT, "%.1f MB/s", bytes / 1e6 / (nanos / 1e9));
  }

  /**
   * Parses "8388608", "64k", "64KiB", "8M", "8MiB", "1g"; every unit is binary, because block sizes
   * are powers of two.
   *
   * @throws IllegalArgumentException if the text is not a size or does not fit in an int
   */
  static int parseInt(String text) {
    long bytes = parse(text);
    if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("size '" + text + "' must be between 1 byte and 2 GiB");
    }
    return (int) bytes;
  }

  /** As {@link #parseInt}, for sizes that may be 0 or beyond 2 GiB (rates). */
  static long parse(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size (examples: 65536, 64KiB, 8MiB)");
    }
    if (m.group(1).length() > 15) {
      throw new IllegalArgumentException("size '" + text + "' is too large");
    }
    long value = Long.parseLong(m.group(1));
    String unit = m.group(2).toLowerCase(Locale.ROOT);
    long factor =
        switch (unit.isEmpty() ? 'b' : unit.charAt(0)) {
          case 'k' -> 1L << 10;
          case 'm' -> 1L << 20;
          case 'g' -> 1L << 30;
          default -> 1L;
        };
    return value * factor;
  }
}
