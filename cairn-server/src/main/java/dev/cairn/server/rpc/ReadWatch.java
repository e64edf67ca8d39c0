package dev.cairn.server.rpc;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The input of a data-port connection, with the time its current read began, so that a sweeper
 * can close a connection whose peer went quiet (see {@link BlockDataServer}). This replaces the
 * socket's read timeout ({@code SO_TIMEOUT}): on the sockets a {@code ServerSocketChannel}
 * accepts, the JDK serves each read with a timeout by switching the socket to non-blocking mode
 * and back, four {@code fcntl} calls around every read.
 *
 * <p>{@link #available} answers 0, so that a {@link java.io.BufferedInputStream} above returns
 * after one read of the socket instead of asking the kernel ({@code FIONREAD}) whether another
 * would block; callers that need more bytes read again.
 */
final class ReadWatch extends FilterInputStream {
  // System.nanoTime() when the read under way began; 0 while no read is under way.
  private volatile long readingSince;

  ReadWatch(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    readingSince = startTime();
    try {
      return in.read();
    } finally {
      readingSince = 0;
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    readingSince = startTime();
    try {
      return in.read(b, off, len);
    } finally {
      readingSince = 0;
    }
  }

  @Override
  public int available() {
    return 0;
  }

  /** Whether a read has been waiting for longer than {@code nanos} at {@code now} (nanoTime). */
  boolean stalled(long now, long nanos) {
    return overdue(readingSince, now, nanos);
  }

  /**
   * Whether an operation that began at {@code since} (a {@link #startTime}, or 0 for none under
   * way) has waited longer than {@code nanos} at {@code now}; also {@link WriteWatch}'s rule.
   */
  static boolean overdue(long since, long now, long nanos) {
    return since != 0 && now - since > nanos;
  }

  /** System.nanoTime(), never 0, which means "nothing under way"; also {@link WriteWatch}'s. */
  static long startTime() {
    long now = System.nanoTime();
    return now == 0 ? 1 : now;
  }
}
