package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.meta.ratis.RaftMeta;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The staggered first election: nodes that start together must not all stand at once. */
class FirstElectionWindowTest {
  private static final long ELECTION_MS = 750;
  private static final List<String> PEERS = List.of("n3", "n1", "n2");

  @Test
  void theLowestIdStandsFirstAndTheOthersLeaveItAWholeCandidacy() {
    long[] first = RaftMeta.firstElectionWindow("n1", PEERS, ELECTION_MS);
    long[] second = RaftMeta.firstElectionWindow("n2", PEERS, ELECTION_MS);
    long[] third = RaftMeta.firstElectionWindow("n3", PEERS, ELECTION_MS);

    assertThat(first).containsExactly(ELECTION_MS / 3, ELECTION_MS);
    // A candidacy waits for votes for up to its own timeout, per round: the next node must not
    // stand before the one before it had a pre-vote round, a vote round and a margin.
    assertThat(second[0]).isGreaterThanOrEqualTo(first[1] + ELECTION_MS);
    assertThat(third[0]).isGreaterThanOrEqualTo(second[1] + ELECTION_MS);
    for (long[] window : List.of(first, second, third)) {
      assertThat(window[0]).isLessThan(window[1]);
    }
  }

  @Test
  void nodesBeyondTheThirdShareItsWindowAndAnUnknownNodeIsFirst() {
    List<String> five = List.of("a", "b", "c", "d", "e");
    assertThat(RaftMeta.firstElectionWindow("e", five, ELECTION_MS))
        .containsExactly(RaftMeta.firstElectionWindow("c", five, ELECTION_MS));
    assertThat(RaftMeta.firstElectionWindow("joiner", five, ELECTION_MS))
        .containsExactly(RaftMeta.firstElectionWindow("a", five, ELECTION_MS));
  }
}
