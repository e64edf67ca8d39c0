package dev.cairn.server.meta.ratis;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.ratis.thirdparty.com.google.protobuf.CodedInputStream;
import org.apache.ratis.thirdparty.com.google.protobuf.Parser;

/**
 * The framing of Cairn's Raft transport, which is that of Ratis's Netty transport: a varint32
 * length, then that many bytes of protobuf. Messages are written with {@code writeDelimitedTo}.
 */
final class RaftFrames {
  /**
   * The largest frame read: an append carries at most the appender's 8 MiB buffer and a snapshot
   * chunk 4 MiB, so anything near this is a stream out of step, not a message.
   */
  static final int MAX_FRAME_BYTES = 64 << 20;

  private RaftFrames() {}

  /** The next frame's size, or -1 at a clean end of stream (between frames). */
  private static int readSize(InputStream in) throws IOException {
    int first = in.read();
    if (first < 0) {
      return -1;
    }
    int size = CodedInputStream.readRawVarint32(first, in);
    if (size < 0 || size > MAX_FRAME_BYTES) {
      throw new IOException("a Raft frame of " + Integer.toUnsignedString(size)
          + " bytes; the limit is " + MAX_FRAME_BYTES);
    }
    return size;
  }

  private static byte[] readBody(InputStream in, byte[] into, int size) throws IOException {
    int read = in.readNBytes(into, 0, size);
    if (read != size) {
      throw new EOFException("a Raft frame ended after " + read + " of " + size + " bytes");
    }
    return into;
  }

  /**
   * Reads the frames of one connection into a buffer of its own and parses each there: a follower
   * takes an append of a few KiB to a few hundred for every commit, and a new array for each was
   * about a fifth of what its JVM allocated. Frames larger than {@link #REUSED_BYTES} get an array of
   * their own. The parsers copy every field out of the buffer (aliasing stays off), so a message
   * never changes when the next frame is read.
   *
   * <p>Not thread-safe: one reader thread per connection.
   */
  static final class Reader {
    /** The largest buffer kept between frames. */
    static final int REUSED_BYTES = 1 << 20;

    private final InputStream in;
    private byte[] buffer = new byte[64 * 1024];

    Reader(InputStream in) {
      this.in = in;
    }

    /** The next frame, parsed; null at a clean end of stream (between frames). */
    <T> T next(Parser<T> parser) throws IOException {
      int size = readSize(in);
      if (size < 0) {
        return null;
      }
      byte[] into;
      if (size > REUSED_BYTES) {
        into = new byte[size];
      } else {
        if (size > buffer.length) {
          buffer = new byte[Math.min(REUSED_BYTES, Math.max(size, buffer.length * 2))];
        }
        into = buffer;
      }
      return parser.parseFrom(readBody(in, into, size), 0, size);
    }
  }
}
