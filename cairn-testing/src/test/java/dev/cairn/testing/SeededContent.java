package dev.cairn.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Deterministic pseudo-random content: byte {@code i} of the content for a seed is a pure
 * function of the seed and {@code i}, so a test can stream gigabytes without holding them, and a
 * failing test can be rerun with the same seed.
 */
final class SeededContent {
  private SeededContent() {}

  /** The content of {@code length} bytes for {@code seed}, as a stream. */
  static InputStream stream(long seed, long length) {
    return new InputStream() {
      private long position;

      @Override
      public int read() {
        if (position >= length) {
          return -1;
        }
        return byteAt(seed, position++) & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (len == 0) {
          return 0;
        }
        if (position >= length) {
          return -1;
        }
        int n = (int) Math.min(len, length - position);
        long word = word(seed, position >>> 3);
        for (int i = 0; i < n; i++) {
          long p = position + i;
          if ((p & 7) == 0) {
            word = word(seed, p >>> 3);
          }
          b[off + i] = (byte) (word >>> ((p & 7) * 8));
        }
        position += n;
        return n;
      }
    };
  }

  /** The content of {@code length} bytes for {@code seed}, in memory (for small files). */
  static byte[] bytes(long seed, int length) {
    try {
      return stream(seed, length).readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte byteAt(long seed, long position) {
    return (byte) (word(seed, position >>> 3) >>> ((position & 7) * 8));
  }

  /** SplitMix64 of the word index: well mixed, cheap, and addressable. */
  private static long word(long seed, long index) {
    long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** SHA-256 of a byte array, in hex. */
  static String sha256(byte[] data) {
    MessageDigest digest = newDigest();
    digest.update(data);
    return HexFormat.of().formatHex(digest.digest());
  }

  /** SHA-256 of everything left in a stream, in hex; the stream is read to its end, not closed. */
  static String sha256(InputStream in) throws IOException {
    MessageDigest digest = newDigest();
    try (DigestOutputStream sink = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
      in.transferTo(sink);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** A stream that digests what passes through it; read {@link DigestInputStream#getMessageDigest}. */
  static DigestInputStream digesting(InputStream in) {
    return new DigestInputStream(in, newDigest());
  }

  static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
