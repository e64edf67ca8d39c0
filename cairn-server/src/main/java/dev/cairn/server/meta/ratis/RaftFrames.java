package dev.cairn.server.meta.ratis;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.ratis.thirdparty.com.google.protobuf.CodedInputStream;

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

  /** The next frame's bytes, or null at a clean end of stream (between frames). */
  static byte[] read(InputStream in) throws IOException {
    int first = in.read();
    if (first < 0) {
      return null;
    }
    int size = CodedInputStream.readRawVarint32(first, in);
    if (size < 0 || size > MAX_FRAME_BYTES) {
      throw new IOException("a Raft frame of " + Integer.toUnsignedString(size)
          + " bytes; the limit is " + MAX_FRAME_BYTES);
    }
    byte[] frame = in.readNBytes(size);
    if (frame.length != size) {
      throw new EOFException("a Raft frame ended after " + frame.length + " of " + size
          + " bytes");
    }
    return frame;
  }
}
