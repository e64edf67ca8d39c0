package dev.cairn.cli;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * A one-line progress report for {@code put} and {@code get}: bytes so far, percentage when the
 * total is known, and throughput, redrawn in place with a carriage return. It counts bytes as they
 * stream through {@link #wrap(InputStream)} or {@link #wrap(OutputStream)}, so nothing is ever
 * buffered whole. When disabled (not on a terminal) it only counts.
 *
 * <p>Not thread-safe: one transfer, one thread.
 */
final class TransferProgress {
  private static final long REDRAW_INTERVAL_NANOS = 250_000_000L;

  private final String label;
  private final PrintStream err;
  private final boolean enabled;
  private final long total;
  private final long startNanos = System.nanoTime();
  private long bytes;
  private long lastDrawNanos = startNanos;
  private boolean drawn;

  /**
   * @param total the expected size in bytes, or -1 if unknown
   * @param enabled whether to draw at all; only on a terminal, where \r makes sense
   */
  TransferProgress(String label, PrintStream err, boolean enabled, long total) {
    this.label = label;
    this.err = err;
    this.enabled = enabled;
    this.total = total;
  }

  long bytes() {
    return bytes;
  }

  long elapsedNanos() {
    return System.nanoTime() - startNanos;
  }

  InputStream wrap(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          add(1);
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
          add(n);
        }
        return n;
      }
    };
  }

  OutputStream wrap(OutputStream out) {
    return new FilterOutputStream(out) {
      @Override
      public void write(int b) throws IOException {
        out.write(b);
        add(1);
      }

      // FilterOutputStream writes arrays byte by byte; pass them through whole.
      @Override
      public void write(byte[] buf, int off, int len) throws IOException {
        out.write(buf, off, len);
        add(len);
      }
    };
  }

  private void add(long n) {
    bytes += n;
    long now = System.nanoTime();
    if (enabled && now - lastDrawNanos >= REDRAW_INTERVAL_NANOS) {
      lastDrawNanos = now;
      draw(now);
    }
  }

  private void draw(long now) {
    StringBuilder line = new StringBuilder("\r").append(label).append(": ");
    line.append(HumanSize.format(bytes));
    if (total > 0) {
      line.append(" of ").append(HumanSize.format(total))
          .append(" (").append(Math.min(100, bytes * 100 / total)).append("%)");
    }
    line.append("  ").append(HumanSize.rate(bytes, now - startNanos));
    // Pad so that a shorter line fully covers the previous one.
    line.append("    ");
    err.print(line);
    err.flush();
    drawn = true;
  }

  /** Ends the progress line, if one was drawn, so that the next output starts on a fresh line. */
  void finish() {
    if (drawn) {
      draw(System.nanoTime());
      err.println();
      err.flush();
    }
  }
}
