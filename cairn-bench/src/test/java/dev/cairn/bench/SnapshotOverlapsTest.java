package dev.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotOverlapsTest {
  // The shapes of a driver's progress lines and a node's snapshot line, as a round logs them.
  private static final List<String> DRIVER = List.of(
      "=== java ... dev.cairn.bench.Driver",
      "2026-12-07 16:18:20.000 PROGRESS warming up, not measured: ...",
      "2026-12-07 16:18:30.000 PROGRESS   pass 1: 10.0 s, the servers' JIT compilers used 4% ...",
      "2026-12-07 16:18:35.360 PROGRESS writing one file of 1024 MiB",
      "2026-12-07 16:18:41.900 PROGRESS   write: 168.7 MB/s; reading it back",
      "2026-12-07 16:18:42.084 PROGRESS   read: 3221.4 MB/s",
      "RESULT large_read_mbps 3221.4",
      "2026-12-07 16:18:54.011 PROGRESS renaming the files with 8 threads",
      "2026-12-07 16:18:55.650 PROGRESS   3106 ops/s (last fifth 2831/s)",
      "2026-12-07 16:18:55.652 PROGRESS deleting the files with 8 threads",
      "2026-12-07 16:18:57.980 PROGRESS   2148 ops/s (last fifth 3111/s)",
      "2026-12-07 16:19:00.855 PROGRESS killed leader n1 (pid 16566, SIGKILL) after 131 writes");

  @Test
  void namesEachMeasuredPhaseASnapshotOverlapped(@TempDir Path dir) throws IOException {
    Path driverLog = dir.resolve("r2-cairn-driver.log");
    Files.write(driverLog, DRIVER);
    node(dir, "n1", "2026-12-07 16:18:25.000 [cairn-snapshot-writer] INFO "
        + "dev.cairn.server.meta.ratis.NamespaceStateMachine -"
        + " wrote namespace snapshot at (t:1, i:20000): 1 MB, copied in 7 ms, written in 135 ms");
    node(dir, "n2", "2026-12-07 16:18:57.028 [cairn-snapshot-writer] INFO "
        + "dev.cairn.server.meta.ratis.NamespaceStateMachine -"
        + " wrote namespace snapshot at (t:1, i:26667): 62 MB, copied in 24 ms, written in 1503 ms");
    node(dir, "n3", "2026-12-07 16:18:41.950 [cairn-snapshot-writer] INFO "
        + "dev.cairn.server.meta.ratis.NamespaceStateMachine -"
        + " wrote namespace snapshot at (t:1, i:33334): 9 MB, copied in 5 ms, written in 95 ms");

    List<String> found = SnapshotOverlaps.find(driverLog, dir.resolve("r2-cairn"), "round 2/3");

    // n1's fell in the warm-up. n2's ran from 16:18:55.501 to 57.028: the end of the renames and
    // most of the deletes. n3's spanned the end of the large write and the start of its read.
    assertThat(found).containsExactly(
        "round 2/3: n2 wrote a namespace snapshot of 62 MB (at index 26667) over 1.53 s, 0.15 s of"
            + " them during \"renaming the files with 8 threads\" (1.64 s long)",
        "round 2/3: n2 wrote a namespace snapshot of 62 MB (at index 26667) over 1.53 s, 1.38 s of"
            + " them during \"deleting the files with 8 threads\" (2.33 s long)",
        "round 2/3: n3 wrote a namespace snapshot of 9 MB (at index 33334) over 0.10 s, 0.05 s of"
            + " them during \"writing one file of 1024 MiB\" (6.54 s long)",
        "round 2/3: n3 wrote a namespace snapshot of 9 MB (at index 33334) over 0.10 s, 0.05 s of"
            + " them during \"reading the large file back\" (0.18 s long)");
  }

  @Test
  void missingLogsGiveNothing(@TempDir Path dir) {
    assertThat(SnapshotOverlaps.find(dir.resolve("none.log"), dir, "round 1/3")).isEmpty();
  }

  private static void node(Path dir, String node, String line) throws IOException {
    Path log = dir.resolve("r2-cairn").resolve(node).resolve("server.log");
    Files.createDirectories(log.getParent());
    Files.write(log, List.of("2026-12-07 16:18:10.000 [main] INFO node starting", line));
  }
}
