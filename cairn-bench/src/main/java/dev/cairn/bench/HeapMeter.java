package dev.cairn.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Measures the heap that live objects take: several full collections, then the heap's used
 * bytes. With G1, {@code System.gc()} is a full, compacting collection (unless
 * -XX:+ExplicitGCInvokesConcurrent, which the benchmark never sets), so what is left is what is
 * reachable.
 */
public final class HeapMeter {
  private HeapMeter() {}

  public static long usedAfterGc() throws InterruptedException {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(200);
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
