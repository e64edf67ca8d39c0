package dev.cairn.meta;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Entry names as the tree keeps them: UTF-8 bytes rather than {@link String}s, which saves a
 * String object (about 24 bytes) per entry. Names become Strings only when a reply, a path or a
 * message needs them.
 *
 * <p>{@link #compare} orders the bytes exactly as {@link String#compareTo} orders the names they
 * encode (UTF-16 code unit order), so that listings and snapshots come out in the order they always
 * had, on every node. Plain unsigned byte order would be code point order, which differs for names
 * that differ first at a character above U+FFFF on one side and one from U+E000 to U+FFFF on the
 * other.
 */
final class NameBytes {

  /** The root's name. */
  static final byte[] EMPTY = new byte[0];

  private NameBytes() {}

  /** The UTF-8 form of a valid name (one without unpaired surrogates). */
  static byte[] encode(String name) {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  static String decode(byte[] name) {
    return new String(name, StandardCharsets.UTF_8);
  }

  /**
   * Compares two valid UTF-8 names in the order {@link String#compareTo} gives the names they
   * encode: negative if {@code a} comes first, zero if they are equal, positive otherwise.
   */
  static int compare(byte[] a, byte[] b) {
    int at = Arrays.mismatch(a, b);
    if (at < 0) {
      return 0;
    }
    if (at == a.length || at == b.length) {
      // One is a prefix of the other, which makes it the first in either order.
      return a.length - b.length;
    }
    // The bytes before this one are equal, so both names are at the same place in a character: the
    // start of one, or the same offset into characters of the same length. Within characters of
    // one length, and between lead bytes of different lengths, byte order is UTF-16 order, except
    // in one case: a character U+E000 to U+FFFF (lead byte 0xEE or 0xEF) comes after a character
    // above U+FFFF (lead byte 0xF0 to 0xF4) in UTF-16, whose surrogates are 0xD800 to 0xDFFF.
    return utf16Rank(a[at] & 0xFF) - utf16Rank(b[at] & 0xFF);
  }

  /** A byte's place in UTF-16 order: lead bytes 0xEE and 0xEF move above 0xF0 to 0xF4. */
  private static int utf16Rank(int unsigned) {
    return unsigned == 0xEE || unsigned == 0xEF ? unsigned + 0x10 : unsigned;
  }
}
