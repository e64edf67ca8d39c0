package dev.cairn.server.replication;

/**
 * Spaces out work to at most a number of bytes per second, smoothing over one second's burst. A
 * rate of 0 means unlimited. Thread-safe.
 */
public final class RateLimiter {
  private final long bytesPerSecond;
  private long nextFreeNanos = System.nanoTime();

  public RateLimiter(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  public long bytesPerSecond() {
    return bytesPerSecond;
  }

  /** Waits until {@code bytes} more may be processed without going over the rate. */
  public void acquire(long bytes) throws InterruptedException {
    if (bytesPerSecond <= 0) {
      return;
    }
    long waitNanos;
    synchronized (this) {
      long now = System.nanoTime();
      // Unused time of the last second is kept as credit, no more.
      nextFreeNanos = Math.max(nextFreeNanos, now - 1_000_000_000L);
      waitNanos = nextFreeNanos - now;
      nextFreeNanos += bytes * 1_000_000_000L / bytesPerSecond;
    }
    if (waitNanos > 0) {
      // Pacing, not synchronization: the rate is the point.
      Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
    }
  }
}
