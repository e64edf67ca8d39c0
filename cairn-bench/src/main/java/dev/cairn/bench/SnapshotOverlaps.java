package dev.cairn.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which measured phases of a Cairn round a node's namespace snapshot overlapped, read from the
 * round's kept logs: the driver's progress lines and the nodes' "wrote namespace snapshot" lines
 * carry times in the same format. A node writing a snapshot of tens of MB slows every commit on a
 * machine whose nodes share one disk and two cores, so a phase's dip in one round can be read
 * against it.
 */
final class SnapshotOverlaps {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT);
  private static final Pattern PROGRESS =
      Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) PROGRESS (.*)$");
  private static final Pattern SNAPSHOT = Pattern.compile(
      "^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*wrote namespace snapshot at "
          + "\\(t:\\d+, i:(\\d+)\\): (\\d+) MB, copied in (\\d+) ms, written in (\\d+) ms");
  /** The first measured phase's progress line; what comes before it is start-up and warm-up. */
  private static final String FIRST_PHASE = "writing one file";
  private static final String READ_BACK = "; reading it back";

  private SnapshotOverlaps() {}

  /** A span of time from a log, named. */
  record Span(String name, LocalDateTime start, LocalDateTime end) {
    long overlapMs(Span other) {
      LocalDateTime from = start.isAfter(other.start) ? start : other.start;
      LocalDateTime to = end.isBefore(other.end) ? end : other.end;
      return Math.max(0, from.until(to, ChronoUnit.MILLIS));
    }

    long millis() {
      return start.until(end, ChronoUnit.MILLIS);
    }
  }

  /**
   * One line for each measured phase of the round a snapshot overlapped, with {@code label}
   * first; none if the logs are missing or hold no snapshot.
   *
   * @param driverLog the round's driver log
   * @param serverDir the round's server logs, one directory per node ({@code n1/server.log})
   */
  static List<String> find(Path driverLog, Path serverDir, String label) {
    List<String> found = new ArrayList<>();
    if (!Files.isRegularFile(driverLog) || !Files.isDirectory(serverDir)) {
      return found;
    }
    try {
      List<Span> phases = phases(Files.readAllLines(driverLog, StandardCharsets.ISO_8859_1));
      try (Stream<Path> nodes = Files.list(serverDir)) {
        for (Path node : nodes.sorted().toList()) {
          Path log = node.resolve("server.log");
          if (!Files.isRegularFile(log)) {
            continue;
          }
          String nodeName = node.getFileName().toString();
          for (Span snapshot : snapshots(Files.readAllLines(log, StandardCharsets.ISO_8859_1))) {
            for (Span phase : phases) {
              long overlap = phase.overlapMs(snapshot);
              if (overlap > 0) {
                found.add(String.format(Locale.ROOT,
                    "%s: %s wrote %s over %.2f s, %.2f s of them during \"%s\" (%.2f s long)",
                    label, nodeName, snapshot.name(), snapshot.millis() / 1000.0,
                    overlap / 1000.0, phase.name(), phase.millis() / 1000.0));
              }
            }
          }
        }
      }
    } catch (IOException e) {
      found.add(label + ": could not read the logs for snapshots: " + e.getMessage());
    } catch (UncheckedIOException e) {
      found.add(label + ": could not read the logs for snapshots: " + e.getCause().getMessage());
    }
    return found;
  }

  /**
   * The measured phases in a driver's progress lines: from each phase's opening line (not
   * indented) to the next progress line, and the read of the large file from the line that ends
   * its write.
   */
  static List<Span> phases(List<String> driverLines) {
    List<LocalDateTime> times = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    boolean measured = false;
    for (Timed line : timed(driverLines, PROGRESS)) {
      String text = line.match().group(2);
      measured |= text.startsWith(FIRST_PHASE);
      if (measured) {
        times.add(line.time());
        texts.add(text);
      }
    }
    List<Span> phases = new ArrayList<>();
    for (int i = 0; i + 1 < times.size(); i++) {
      String text = texts.get(i);
      if (!text.startsWith(" ")) {
        phases.add(new Span(text.strip(), times.get(i), times.get(i + 1)));
      } else if (text.endsWith(READ_BACK)) {
        phases.add(new Span("reading the large file back", times.get(i), times.get(i + 1)));
      }
    }
    return phases;
  }

  /** The snapshots a node's log says it wrote, each from the copy of the state to its end. */
  static List<Span> snapshots(List<String> serverLines) {
    List<Span> spans = new ArrayList<>();
    for (Timed line : timed(serverLines, SNAPSHOT)) {
      Matcher m = line.match();
      long ms = Long.parseLong(m.group(4)) + Long.parseLong(m.group(5));
      spans.add(new Span("a namespace snapshot of " + m.group(3) + " MB (at index " + m.group(2)
          + ")", line.time().minus(ms, ChronoUnit.MILLIS), line.time()));
    }
    return spans;
  }

  /** A log line that matched, with the time it starts with. */
  private record Timed(LocalDateTime time, Matcher match) {}

  /** The lines that match {@code pattern} (whose first group is the time) and carry a valid time. */
  private static List<Timed> timed(List<String> lines, Pattern pattern) {
    List<Timed> found = new ArrayList<>();
    for (String line : lines) {
      Matcher m = pattern.matcher(line);
      if (m.find()) {
        LocalDateTime time = parse(m.group(1));
        if (time != null) {
          found.add(new Timed(time, m));
        }
      }
    }
    return found;
  }

  private static LocalDateTime parse(String time) {
    try {
      return LocalDateTime.parse(time, TIME);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
