package dev.cairn.meta;

import java.util.ArrayList;
import java.util.List;

/**
 * The rules for Cairn paths, and helpers to take valid paths apart.
 *
 * <p>A valid path is absolute and '/'-separated; the root is {@code "/"}. It has no empty names (so
 * no {@code "//"} and no trailing '/', except the root itself), no {@code "."} or {@code ".."}
 * names, no control characters (below U+0020, or U+007F) and no unpaired surrogates. Each name is
 * at most {@value #MAX_NAME_BYTES} bytes and the whole path at most {@value #MAX_PATH_BYTES} bytes,
 * in UTF-8.
 *
 * <p>The helpers other than {@link #validate} assume a path that {@link #validate} accepted and
 * throw {@link IllegalArgumentException} otherwise. All methods are static and thread-safe.
 */
public final class PathNames {

  /** The root directory. */
  public static final String ROOT = "/";

  /** The longest name of one file or directory, in UTF-8 bytes. */
  public static final int MAX_NAME_BYTES = 255;

  /** The longest whole path, in UTF-8 bytes. */
  public static final int MAX_PATH_BYTES = 4096;

  /** How many characters of an offending path an error message shows. */
  private static final int MAX_QUOTED_CHARS = 160;

  private PathNames() {}

  /**
   * Checks a path against the rules above.
   *
   * @return null if the path is valid, otherwise a message that names the path and the rule broken
   */
  public static String validate(String path) {
    if (path == null || path.isEmpty()) {
      return "the path is empty: paths are absolute and start with '/'";
    }
    if (path.charAt(0) != '/') {
      return "path " + quote(path) + " is not absolute: it must start with '/'";
    }
    if (path.length() == 1) {
      return null;
    }
    int pathBytes = 1;
    int nameStart = 1;
    int nameBytes = 0;
    for (int i = 1; i <= path.length(); i++) {
      if (i == path.length() || path.charAt(i) == '/') {
        String problem = checkName(path, nameStart, i, nameBytes);
        if (problem != null) {
          return "path " + quote(path) + " " + problem;
        }
        if (i < path.length()) {
          pathBytes++;
        }
        nameStart = i + 1;
        nameBytes = 0;
        continue;
      }
      char c = path.charAt(i);
      int charBytes;
      if (c < 0x20 || c == 0x7F) {
        return String.format(
            "path %s contains the control character U+%04X at index %d", quote(path), (int) c, i);
      } else if (Character.isHighSurrogate(c)
          && i + 1 < path.length()
          && Character.isLowSurrogate(path.charAt(i + 1))) {
        // A surrogate pair is one code point outside the BMP: four bytes in UTF-8.
        charBytes = 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        // An unpaired surrogate has no UTF-8 form, so it would not survive the wire or a snapshot.
        return "path "
            + quote(path)
            + " is not valid Unicode (unpaired surrogate at index "
            + i
            + ")";
      } else {
        charBytes = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      }
      nameBytes += charBytes;
      pathBytes += charBytes;
    }
    if (pathBytes > MAX_PATH_BYTES) {
      return "path "
          + quote(path)
          + " is "
          + pathBytes
          + " bytes long, over the limit of "
          + MAX_PATH_BYTES
          + " bytes";
    }
    return null;
  }

  /**
   * Checks one name (a single path segment, without '/').
   *
   * @return null if the name is valid, otherwise a message naming it and the rule broken
   */
  public static String validateName(String name) {
    if (name == null || name.isEmpty()) {
      return "the name is empty";
    }
    if (name.indexOf('/') >= 0) {
      return "name " + quote(name) + " contains '/'";
    }
    String problem = validate("/" + name);
    return problem == null ? null : "name " + quote(name) + " is not valid: " + problem;
  }

  /** Returns true for the root path {@code "/"}. */
  public static boolean isRoot(String path) {
    return ROOT.equals(path);
  }

  /** The names along a valid path, outermost first; empty for the root. */
  public static List<String> split(String path) {
    requireValid(path);
    List<String> names = new ArrayList<>();
    int start = 1;
    for (int i = 1; i <= path.length(); i++) {
      if (i == path.length() || path.charAt(i) == '/') {
        if (i > start) {
          names.add(path.substring(start, i));
        }
        start = i + 1;
      }
    }
    return names;
  }

  /** The path of the directory holding a valid path; null for the root. */
  public static String parent(String path) {
    requireValid(path);
    if (isRoot(path)) {
      return null;
    }
    int slash = path.lastIndexOf('/');
    return slash == 0 ? ROOT : path.substring(0, slash);
  }

  /** The last name of a valid path; the empty string for the root. */
  public static String name(String path) {
    requireValid(path);
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /**
   * The path of {@code name} inside the directory {@code parent}. Does not check the result's
   * length: call {@link #validate} on it where that matters.
   */
  public static String join(String parent, String name) {
    requireValid(parent);
    String problem = validateName(name);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return isRoot(parent) ? ROOT + name : parent + "/" + name;
  }

  /**
   * Quotes a path for an error message: control characters and unpaired surrogates are escaped as
   * {@code \\uXXXX} and a very long path is cut short, so the message stays printable.
   */
  public static String quote(String path) {
    if (path == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(Math.min(path.length(), MAX_QUOTED_CHARS) + 8);
    out.append('"');
    int shown = Math.min(path.length(), MAX_QUOTED_CHARS);
    for (int i = 0; i < shown; i++) {
      char c = path.charAt(i);
      boolean pairedSurrogate =
          (Character.isHighSurrogate(c)
                  && i + 1 < path.length()
                  && Character.isLowSurrogate(path.charAt(i + 1)))
              || (Character.isLowSurrogate(c)
                  && i > 0
                  && Character.isHighSurrogate(path.charAt(i - 1)));
      if (c < 0x20 || c == 0x7F || (Character.isSurrogate(c) && !pairedSurrogate)) {
        out.append(String.format("\\u%04X", (int) c));
      } else if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else {
        out.append(c);
      }
    }
    if (shown < path.length()) {
      out.append("...(").append(path.length()).append(" chars)");
    }
    return out.append('"').toString();
  }

  private static String checkName(String path, int start, int end, int nameBytes) {
    int length = end - start;
    if (length == 0) {
      return end == path.length()
          ? "ends with '/'"
          : "has an empty name ('//') at index " + (start - 1);
    }
    if (length == 1 && path.charAt(start) == '.') {
      return "contains the name '.', which is not allowed";
    }
    if (length == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.') {
      return "contains the name '..', which is not allowed";
    }
    if (nameBytes > MAX_NAME_BYTES) {
      return "has a name of "
          + nameBytes
          + " bytes, over the limit of "
          + MAX_NAME_BYTES
          + " bytes";
    }
    return null;
  }

  private static void requireValid(String path) {
    String problem = validate(path);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }
}
