package dev.cairn.server.rpc;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The output of a data-port connection, with the time its current write began, so that a sweeper
 * can close a connection whose peer has stopped reading (see {@link BlockDataServer}). Java's
 * blocking sockets have no write timeout: a write to a peer that reads nothing waits for as long as
 * the peer stays connected, and on a namespace connection the writer is the thread that applies
 * the Raft log, so every commit of the cluster would wait with it.
 *
 * <p>Writes go to the socket in pieces of at most {@value #PIECE} bytes, each timed on its own: a
 * large answer to a slow reader is not taken for a stall as long as each piece moves.
 */
final class WriteWatch extends FilterOutputStream {
  static final int PIECE = 64 << 10;
  // System.nanoTime() when the write under way began; 0 while no write is under way.
  private volatile long writingSince;
  // How long a write may wait before the connection counts as stalled; 0 for no limit.
  private volatile long limitNanos;

  WriteWatch(OutputStream out) {
    super(out);
  }

  /** From now on, a write that waits longer than {@code nanos} makes the connection stalled. */
  void limit(long nanos) {
    limitNanos = nanos;
  }

  @Override
  public void write(int b) throws IOException {
    writingSince = ReadWatch.startTime();
    try {
      out.write(b);
    } finally {
      writingSince = 0;
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int piece = Math.min(len, PIECE);
      writingSince = ReadWatch.startTime();
      try {
        out.write(b, off, piece);
      } finally {
        writingSince = 0;
      }
      off += piece;
      len -= piece;
    }
  }

  @Override
  public void flush() throws IOException {
    writingSince = ReadWatch.startTime();
    try {
      out.flush();
    } finally {
      writingSince = 0;
    }
  }

  /** Whether a write has been waiting for longer than this connection's limit at {@code now}. */
  boolean stalled(long now) {
    long limit = limitNanos;
    return limit > 0 && ReadWatch.overdue(writingSince, now, limit);
  }
}
