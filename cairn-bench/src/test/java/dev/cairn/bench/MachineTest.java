package dev.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineTest {

  @Test
  void threeSyncingWritersAreMeasuredAndLeaveNoFile(@TempDir Path dir) throws Exception {
    double each = Machine.syncWritesOfThree(dir, 50);
    assertThat(each).isPositive().isFinite();
    try (var left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void quorumsOfLogSyncsAreTimedAndLeaveNoFile(@TempDir Path dir) throws Exception {
    Machine.Quorum quorum = Machine.quorumSyncs(dir, 50);
    assertThat(quorum.roundsPerSecond()).isPositive().isFinite();
    assertThat(quorum.p50Ms()).isPositive().isFinite();
    try (var left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void crc32cIsMeasuredAsARate() {
    assertThat(Machine.crc32cMBps()).isGreaterThan(10).isFinite();
  }
}
