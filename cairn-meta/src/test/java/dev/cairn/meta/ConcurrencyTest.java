package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.ErrorCode;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Queries and snapshots running while commands apply must each see a consistent state: a snapshot
 * taken at any moment loads and passes the invariant check, and the summary's counters agree.
 */
class ConcurrencyTest {

  @Test
  void readersSeeConsistentStatesWhileCommandsApply() throws Exception {
    NamespaceHarness h = new NamespaceHarness();
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<Integer>> readers = new ArrayList<>();
      readers.add(
          pool.submit(
              () -> {
                int snapshots = 0;
                while (writing.get() || snapshots == 0) {
                  MemoryNamespace copy = new MemoryNamespace(3, 1024);
                  copy.readSnapshot(new ByteArrayInputStream(h.snapshot()));
                  copy.checkInvariants();
                  snapshots++;
                }
                return snapshots;
              }));
      readers.add(
          pool.submit(
              () -> {
                int queries = 0;
                while (writing.get() || queries == 0) {
                  var summary = h.summary().getSummary();
                  // Every file holds exactly one 10-byte block, whichever moment the summary saw.
                  assertThat(summary.getBytes()).isEqualTo(summary.getFiles() * 10);
                  assertThat(summary.getBlocks()).isEqualTo(summary.getFiles());
                  assertThat(h.list("/d").getStatus().getCode())
                      .isIn(ErrorCode.OK, ErrorCode.NOT_FOUND);
                  queries++;
                }
                return queries;
              }));
      Future<?> writer =
          pool.submit(
              () -> {
                try {
                  for (int i = 0; i < 3000; i++) {
                    NamespaceHarness.ok(h.mkdirs("/d"));
                    NamespaceHarness.ok(h.write("/d/f" + (i % 50), NamespaceHarness.block(i, 10)));
                    if (i % 100 == 99) {
                      NamespaceHarness.ok(h.deleteRecursively("/d"));
                    }
                  }
                } finally {
                  writing.set(false);
                }
                return null;
              });
      writer.get(30, TimeUnit.SECONDS);
      for (Future<Integer> reader : readers) {
        assertThat(reader.get(30, TimeUnit.SECONDS)).isPositive();
      }
      h.ns.checkInvariants();
    } finally {
      pool.shutdownNow();
    }
  }
}
