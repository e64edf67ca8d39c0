package dev.cairn.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * The content of a file as the workload wrote it: a list of segments, each {@code length} bytes
 * that are a pure function of a seed, so that the workload remembers what it wrote without keeping
 * the bytes. An append adds a segment. Immutable and thread-safe.
 *
 * <p>Two contents are compared by {@link #digest()} (SHA-256 of the bytes, with the length), never
 * by their segments: the cluster sees only bytes.
 */
public final class Content {
  /** A run of seeded bytes. */
  public record Segment(long seed, int length) {}

  public static final Content EMPTY = new Content(List.of());

  private final List<Segment> segments;
  private final long length;
  private volatile Digest digest;

  private Content(List<Segment> segments) {
    this.segments = List.copyOf(segments);
    this.length = segments.stream().mapToLong(Segment::length).sum();
  }

  /** {@code length} bytes generated from {@code seed}. */
  public static Content of(long seed, int length) {
    return new Content(List.of(new Segment(seed, length)));
  }

  /** This content followed by {@code more}. */
  public Content append(Content more) {
    List<Segment> all = new ArrayList<>(segments);
    all.addAll(more.segments);
    return new Content(all);
  }

  public long length() {
    return length;
  }

  /** The bytes, as a fresh stream. */
  public InputStream stream() {
    List<InputStream> parts = new ArrayList<>();
    for (Segment s : segments) {
      parts.add(new SeededStream(s.seed, s.length));
    }
    return new SequenceInputStream(Collections.enumeration(parts));
  }

  /** The bytes, in memory (for small contents). */
  public byte[] bytes() {
    try (InputStream in = stream()) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Length and SHA-256 of the bytes; computed once. */
  public Digest digest() {
    Digest d = digest;
    if (d == null) {
      Digester out = new Digester();
      try (InputStream in = stream()) {
        in.transferTo(out);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      d = out.result();
      digest = d;
    }
    return d;
  }

  @Override
  public String toString() {
    return digest().toString();
  }

  /** The length and SHA-256 of some bytes: what the workload compares. */
  public record Digest(long length, String sha256) {
    /** The digest that stands for "no file here". */
    public static final Digest ABSENT = new Digest(-1, "absent");

    @Override
    public String toString() {
      return this == ABSENT || length < 0 ? "absent" : length + " bytes sha256 "
          + sha256.substring(0, 12);
    }
  }

  /** An output stream that counts and digests what is written to it. */
  public static final class Digester extends OutputStream {
    private final MessageDigest sha = sha256();
    private long count;

    @Override
    public void write(int b) {
      sha.update((byte) b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      sha.update(b, off, len);
      count += len;
    }

    public Digest result() {
      return new Digest(count, HexFormat.of().formatHex(sha.digest()));
    }
  }

  /** SHA-256 of everything left in {@code in}, with its length. */
  public static Digest digestOf(InputStream in) throws IOException {
    Digester out = new Digester();
    in.transferTo(out);
    return out.result();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Byte {@code i} of a segment is a SplitMix64 function of the seed and {@code i / 8}. */
  private static final class SeededStream extends InputStream {
    private final long seed;
    private final long length;
    private long position;

    SeededStream(long seed, long length) {
      this.seed = seed;
      this.length = length;
    }

    @Override
    public int read() {
      if (position >= length) {
        return -1;
      }
      long p = position++;
      return (int) (word(seed, p >>> 3) >>> ((p & 7) * 8)) & 0xff;
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

    private static long word(long seed, long index) {
      long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }
  }
}
