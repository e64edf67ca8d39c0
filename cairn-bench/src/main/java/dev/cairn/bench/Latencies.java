package dev.cairn.bench;

import java.util.Arrays;

/** Latencies of one workload's operations, in nanoseconds; filled by many threads at once. */
final class Latencies {
  private final long[] nanos;

  Latencies(int operations) {
    this.nanos = new long[operations];
  }

  /** Records operation {@code index}; every index is written by exactly one thread. */
  void record(int index, long elapsedNanos) {
    nanos[index] = elapsedNanos;
  }

  /** The nearest-rank percentile, in milliseconds. */
  double percentileMs(double percentile) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
  }
}
