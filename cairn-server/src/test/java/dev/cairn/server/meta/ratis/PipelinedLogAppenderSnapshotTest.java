package dev.cairn.server.meta.ratis;

import static dev.cairn.server.meta.ratis.PipelinedLogAppender.needsSnapshot;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * When the leader sends a follower its snapshot rather than entries, beyond Ratis's own cases. Seen
 * in a benchmark round: a restarted follower asked for entry 32,482, the first of the leader's log,
 * whose snapshot was at 33,334; the append had no entry before its first to name, and the
 * appender's thread failed.
 */
class PipelinedLogAppenderSnapshotTest {
  @Test
  void aFollowerAtTheLogsFirstEntryWithTheOneBeforeItPurgedIsSentTheSnapshot() {
    assertThat(needsSnapshot(32_482, 32_482, 40_000, false, 33_334, 0)).isTrue();
  }

  @Test
  void otherwiseAppendsCanBringTheFollowerOn() {
    // The entry before the follower's next is in the log.
    assertThat(needsSnapshot(32_482, 32_000, 40_000, true, 33_334, 0)).isFalse();
    // It is the snapshot's last entry, or that of the snapshot the follower was just sent.
    assertThat(needsSnapshot(33_335, 33_335, 40_000, false, 33_334, 0)).isFalse();
    assertThat(needsSnapshot(32_482, 32_482, 40_000, false, 33_334, 32_481)).isFalse();
    // Nothing to send yet, or the follower starts from the very first entry.
    assertThat(needsSnapshot(40_000, 32_482, 40_000, false, 33_334, 0)).isFalse();
    assertThat(needsSnapshot(0, 0, 40_000, false, 33_334, 0)).isFalse();
    // A snapshot that does not reach the entry before cannot stand in for it.
    assertThat(needsSnapshot(32_482, 32_482, 40_000, false, 30_000, 0)).isFalse();
  }
}
