package dev.cairn.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a shell line into words the way a POSIX shell would for the simple cases a user types:
 * whitespace separates words, {@code '...'} keeps everything literally, {@code "..."} keeps
 * everything but lets {@code \"} and {@code \\} through, and a backslash outside quotes escapes the
 * next character. The escaping matches what JLine's default parser inserts when it completes a name
 * with spaces, so completed lines split back into the same words.
 */
final class CommandLineSplitter {
  private CommandLineSplitter() {}

  /**
   * The words of {@code line}; an empty list for a blank line.
   *
   * @throws UsageException if a quote is not closed or the line ends in a lone backslash
   */
  static List<String> split(String line) throws UsageException {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    // A word exists once anything, even an empty pair of quotes, has been seen since the last
    // separator; '' must give an empty argument rather than nothing.
    boolean inWord = false;
    int i = 0;
    while (i < line.length()) {
      char c = line.charAt(i);
      if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
        i++;
      } else if (c == '\'') {
        int end = line.indexOf('\'', i + 1);
        if (end < 0) {
          throw new UsageException("unterminated ' quote");
        }
        word.append(line, i + 1, end);
        inWord = true;
        i = end + 1;
      } else if (c == '"') {
        i++;
        boolean closed = false;
        while (i < line.length()) {
          char d = line.charAt(i);
          if (d == '"') {
            closed = true;
            i++;
            break;
          }
          if (d == '\\' && i + 1 < line.length()
              && (line.charAt(i + 1) == '"' || line.charAt(i + 1) == '\\')) {
            word.append(line.charAt(i + 1));
            i += 2;
          } else {
            word.append(d);
            i++;
          }
        }
        if (!closed) {
          throw new UsageException("unterminated \" quote");
        }
        inWord = true;
      } else if (c == '\\') {
        if (i + 1 >= line.length()) {
          throw new UsageException("line ends in a lone backslash");
        }
        word.append(line.charAt(i + 1));
        inWord = true;
        i += 2;
      } else {
        word.append(c);
        inWord = true;
        i++;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  /** Quotes a word so that {@link #split} gives it back unchanged; plain words stay as they are. */
  static String quote(String word) {
    if (!word.isEmpty() && word.chars().noneMatch(c -> Character.isWhitespace(c) || "'\"\\#".indexOf(c) >= 0)) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
