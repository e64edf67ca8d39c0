package dev.cairn.server.meta.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogCacheSizeTest {
  private static final long MIB = 1L << 20;

  @Test
  void aNodeOfTwoGibKeeps200MibOfLogThatIs25Segments() {
    long bytes = RaftMeta.logCacheBytes(2048 * MIB);
    assertThat(bytes).isEqualTo(200 * MIB);
    assertThat(bytes / RaftMeta.LOG_SEGMENT_BYTES).isEqualTo(25);
  }

  @Test
  void aSmallNodeKeepsRatisDefaultOfSixSegments() {
    assertThat(RaftMeta.logCacheBytes(384 * MIB)).isEqualTo(6 * RaftMeta.LOG_SEGMENT_BYTES);
  }

  @Test
  void inBetweenItIsATenthOfTheHeap() {
    assertThat(RaftMeta.logCacheBytes(1024 * MIB)).isEqualTo(1024 * MIB / 10);
  }
}
