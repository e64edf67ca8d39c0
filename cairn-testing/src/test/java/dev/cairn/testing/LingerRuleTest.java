package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.meta.ratis.RaftMeta;
import org.junit.jupiter.api.Test;

/** When the group commit's linger goes on for another tick, and when it sends what it has. */
class LingerRuleTest {
  private static final long TICK = 150_000;

  @Test
  void goesOnWhileFewCallersAreBackAndMoreAreComing() {
    // 8 renamers, 1.5 ms entries: 5 came back in the first tick, 3 more are due.
    assertThat(RaftMeta.lingerPays(5, 5, 1_650_000, TICK)).isTrue();
  }

  @Test
  void sendsOnceTheLastTickBroughtLittleForALargeEntry() {
    // 32 writers: 28 wait, 2 came in the last tick of a 1.3 ms cycle; 2/28 < 0.15/1.3.
    assertThat(RaftMeta.lingerPays(2, 28, 1_300_000, TICK)).isFalse();
  }

  @Test
  void sendsWhenNothingCameOrNothingWaits() {
    assertThat(RaftMeta.lingerPays(0, 6, 1_500_000, TICK)).isFalse();
    assertThat(RaftMeta.lingerPays(0, 0, 1_500_000, TICK)).isFalse();
  }

  @Test
  void aShortCycleMakesEachTickDearer() {
    // The same 3 of 9 pay for a tick in a 1.5 ms cycle, not in a 0.3 ms one.
    assertThat(RaftMeta.lingerPays(3, 9, 1_500_000, TICK)).isTrue();
    assertThat(RaftMeta.lingerPays(3, 9, 300_000, TICK)).isFalse();
  }
}
