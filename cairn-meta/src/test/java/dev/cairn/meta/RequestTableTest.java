package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.FileInfo;
import dev.cairn.proto.MetaResult;
import java.util.ArrayDeque;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RequestTableTest {
  private static MetaResult result(long seq) {
    return MetaResult.newBuilder().setInfo(FileInfo.newBuilder().setVersion(seq)).build();
  }

  @Test
  void findsResultsThatArrivedOutOfOrderAndNothingForNewNumbers() {
    RequestTable table = new RequestTable(8, 4);
    // Threads of one client commit in any order.
    for (long seq : new long[] {5, 3, 9, 4}) {
      table.remember("c", seq, result(seq));
    }

    assertThat(table.find("c", 3)).isEqualTo(result(3));
    assertThat(table.find("c", 9)).isEqualTo(result(9));
    assertThat(table.find("c", 6)).isNull();
    assertThat(table.find("c", 10)).isNull();
    assertThat(table.find("other", 3)).isNull();
  }

  @Test
  void forgetsTheOldestResultsPastTheLimitButStillKnowsTheNewest() {
    RequestTable table = new RequestTable(4, 4);
    for (long seq = 1; seq <= 10; seq++) {
      table.remember("c", seq, result(seq));
    }

    assertThat(table.find("c", 6)).isNull();
    for (long seq = 7; seq <= 10; seq++) {
      assertThat(table.find("c", seq)).isEqualTo(result(seq));
    }
    assertThat(table.find("c", 11)).isNull();
  }

  @Test
  void aBusyClientStillFindsItsOldestAndOutOfOrderResults() {
    RequestTable table = new RequestTable(64, 4);
    // Past the first few results the table keeps a window of the recent numbers: the results
    // from before it was made, and those that came after a higher number, are still found.
    for (long seq = 1; seq <= 40; seq++) {
      table.remember("c", seq == 30 ? 100 : seq, result(seq == 30 ? 100 : seq));
    }
    table.remember("c", 30, result(30));

    for (long seq = 1; seq <= 40; seq++) {
      assertThat(table.find("c", seq)).as("seq %d", seq).isEqualTo(result(seq));
    }
    assertThat(table.find("c", 100)).isEqualTo(result(100));
    assertThat(table.find("c", 41)).isNull();
    assertThat(table.find("c", 99)).isNull();
  }

  @Test
  void answersAsAScanOfTheKeptResultsWouldForNumbersInAnyOrder() {
    // Many threads of one client, retries, numbers far behind and far ahead: every lookup must
    // answer what a scan of the kept results answers, which is what the table did before it kept a
    // window of the recent numbers.
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Model model = new Model(64);
    long next = 0;
    for (int step = 0; step < 200_000; step++) {
      int kind = random.nextInt(100);
      if (kind < 70) {
        model.call(next++, seed); // the next number, taken by one of the threads
      } else if (kind < 90) {
        model.call(next - 1 - random.nextInt(70), seed); // taken a little earlier, or a retry
      } else if (kind < 97) {
        model.call(next - random.nextInt(9000), seed); // a request held up for long
      } else {
        next += 1 + random.nextInt(6000); // the client skipped numbers (reads, failures)
        model.call(next, seed);
      }
    }
    assertThat(model.found).as("lookups that found a kept result (seed %d)", seed)
        .isGreaterThan(10_000);
  }

  @Test
  void answersAsAScanWouldAtTheEndsOfTheNumbers() {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    Model model = new Model(32);
    long[] extremes = {Long.MIN_VALUE, Long.MIN_VALUE + 1, -1, 0, Long.MAX_VALUE - 5000,
        Long.MAX_VALUE - 1, Long.MAX_VALUE};
    for (int step = 0; step < 20_000; step++) {
      long base = extremes[random.nextInt(extremes.length)];
      long offset = random.nextInt(64) - 32;
      long seq = base + offset; // wraps past the ends on purpose
      model.call(seq, seed);
    }
    assertThat(model.found).as("lookups that found a kept result (seed %d)", seed)
        .isGreaterThan(1000);
  }

  /** One client's table beside a plain list of the numbers it should still know. */
  private static final class Model {
    final int limit;
    final RequestTable table;
    final ArrayDeque<Long> kept = new ArrayDeque<>(); // the last `limit` numbers remembered
    int found;

    Model(int limit) {
      this.limit = limit;
      this.table = new RequestTable(limit, 4);
    }

    /** Looks the number up as the namespace does, and remembers it if it was not found. */
    void call(long seq, long seed) {
      MetaResult expected = kept.contains(seq) ? result(seq) : null;
      MetaResult actual = table.find("c", seq);
      assertThat(actual).as("seq %d (seed %d)", seq, seed).isEqualTo(expected);
      if (actual != null) {
        found++;
        return;
      }
      table.remember("c", seq, result(seq));
      kept.addLast(seq);
      if (kept.size() > limit) {
        kept.removeFirst();
      }
    }
  }
}
