package dev.cairn.faults;

import static dev.cairn.faults.History.Op.delete;
import static dev.cairn.faults.History.Op.indeterminateDelete;
import static dev.cairn.faults.History.Op.indeterminateWrite;
import static dev.cairn.faults.History.Op.read;
import static dev.cairn.faults.History.Op.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.faults.History.Op;
import dev.cairn.faults.LinearizabilityChecker.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The checker on hand-made histories (times in arbitrary units; an operation spans [invoke,
 * complete]), and on large random histories that are linearizable by construction, before and
 * after one read is made stale.
 */
class LinearizabilityCheckerTest {
  private static final String K = "/k";

  private static Result check(Op... ops) {
    List<Result> results = LinearizabilityChecker.check(List.of(ops));
    assertThat(results).hasSize(1);
    return results.get(0);
  }

  @Test
  void aSequentialHistoryIsLinearizable() {
    assertThat(check(
        read(1, K, null, 0, 1),
        write(1, K, "a", 2, 3),
        read(2, K, "a", 4, 5),
        delete(1, K, true, 6, 7),
        read(2, K, null, 8, 9),
        delete(2, K, false, 10, 11)).linearizable()).isTrue();
  }

  @Test
  void aStaleReadAfterACompletedWriteIsRejected() {
    Result r = check(
        write(1, K, "a", 0, 10),
        write(1, K, "b", 20, 30),
        read(2, K, "a", 40, 50));
    assertThat(r.linearizable()).isFalse();
    assertThat(r.gaveUp()).isFalse();
    assertThat(r.explanation()).contains("read -> a");
  }

  @Test
  void aReadConcurrentWithAWriteMaySeeEitherValue() {
    assertThat(check(
        write(1, K, "a", 0, 10),
        write(1, K, "b", 20, 60),
        read(2, K, "a", 30, 40)).linearizable()).isTrue();
    assertThat(check(
        write(1, K, "a", 0, 10),
        write(1, K, "b", 20, 60),
        read(2, K, "b", 30, 40)).linearizable()).isTrue();
  }

  @Test
  void valuesMustNotFlipFlopAfterConcurrentWritesComplete() {
    // Both writes are over before the reads; whichever came last must be read from then on.
    assertThat(check(
        write(1, K, "a", 0, 10),
        write(2, K, "b", 5, 12),
        read(3, K, "a", 20, 21),
        read(3, K, "b", 22, 23)).linearizable()).isFalse();
    assertThat(check(
        write(1, K, "a", 0, 10),
        write(2, K, "b", 5, 12),
        read(3, K, "b", 20, 21),
        read(3, K, "b", 22, 23)).linearizable()).isTrue();
  }

  @Test
  void aReadOfAValueNobodyWroteIsRejected() {
    assertThat(check(
        write(1, K, "a", 0, 10),
        read(2, K, "z", 20, 30)).linearizable()).isFalse();
  }

  @Test
  void aFailedWriteHasNoEffect() {
    Op failed = new Op(-1, 1, K, History.Kind.WRITE, "x", false, History.Outcome.FAIL, 0, 5);
    assertThat(check(failed, read(2, K, "x", 10, 20)).linearizable()).isFalse();
    assertThat(check(failed, read(2, K, null, 10, 20)).linearizable()).isTrue();
  }

  @Test
  void anIndeterminateWriteMayTakeEffectLateOrNever() {
    // Not yet, then yes: fine.
    assertThat(check(
        indeterminateWrite(1, K, "x", 0),
        read(2, K, null, 10, 20),
        read(2, K, "x", 100, 110)).linearizable()).isTrue();
    // Never: fine.
    assertThat(check(
        indeterminateWrite(1, K, "x", 0),
        read(2, K, null, 10, 20),
        read(2, K, null, 100, 110)).linearizable()).isTrue();
    // Seen, then gone without a delete or another write: impossible.
    assertThat(check(
        indeterminateWrite(1, K, "x", 0),
        read(2, K, "x", 10, 20),
        read(2, K, null, 100, 110)).linearizable()).isFalse();
    // Not before it was invoked.
    assertThat(check(
        read(2, K, "x", 0, 10),
        indeterminateWrite(1, K, "x", 20)).linearizable()).isFalse();
  }

  @Test
  void anIndeterminateWriteCanOverwriteALaterCompletedOne() {
    // The client gave up on x; it landed after y completed.
    assertThat(check(
        indeterminateWrite(1, K, "x", 0),
        write(2, K, "y", 50, 60),
        read(3, K, "y", 70, 80),
        read(3, K, "x", 90, 100)).linearizable()).isTrue();
  }

  @Test
  void deletesMustAgreeWithTheFileBeingThere() {
    assertThat(check(
        write(1, K, "a", 0, 10),
        delete(2, K, false, 20, 30)).linearizable())
        .as("NOT_FOUND while the file exists").isFalse();
    assertThat(check(
        delete(2, K, true, 0, 10)).linearizable())
        .as("a delete that found a file nobody wrote").isFalse();
    assertThat(check(
        write(1, K, "a", 0, 10),
        indeterminateDelete(2, K, 20),
        read(3, K, null, 30, 40),
        write(1, K, "b", 50, 60),
        read(3, K, "b", 70, 80)).linearizable()).isTrue();
    assertThat(check(
        write(1, K, "a", 0, 10),
        delete(2, K, true, 20, 30),
        read(3, K, "a", 40, 50)).linearizable())
        .as("the value came back after a delete").isFalse();
  }

  @Test
  void keysAreCheckedSeparately() {
    List<Result> results = LinearizabilityChecker.check(List.of(
        write(1, "/a", "1", 0, 10),
        write(1, "/b", "2", 0, 10),
        read(2, "/a", "1", 20, 30),
        read(2, "/b", "1", 20, 30)));
    assertThat(results).extracting(Result::key).containsExactly("/a", "/b");
    assertThat(results).extracting(Result::linearizable).containsExactly(true, false);
  }

  /**
   * Random histories built around a hidden sequential order: each operation takes effect at a
   * distinct instant and its [invoke, complete] interval is stretched around that instant, so the
   * history is linearizable by construction; some writes and deletes are made indeterminate. Then
   * one read is replaced by a stale one (the value before the latest completed write), which must
   * be rejected.
   */
  @Test
  void randomLinearizableHistoriesPassAndAStaleReadInThemFails() {
    SplittableRandom random = new SplittableRandom(42);
    // Most rounds are short; the last five are long, with dozens of indeterminate operations.
    for (int round = 0; round < 30; round++) {
      List<Op> ops = new ArrayList<>();
      String value = null;
      long t = 0;
      int processes = 4;
      long[] free = new long[processes];
      for (int i = 0; i < (round < 25 ? 300 : 1500); i++) {
        int p = random.nextInt(processes);
        t += 10;
        long point = Math.max(t, free[p] + 2);
        t = point;
        long invoke = Math.max(free[p] + 1, point - random.nextLong(1, 40));
        long complete = point + random.nextLong(1, 40);
        free[p] = complete;
        int dice = random.nextInt(10);
        if (dice < 4) {
          value = "v" + i;
          ops.add(random.nextInt(10) == 0
              ? indeterminateWrite(p, K, value, invoke) : write(p, K, value, invoke, complete));
        } else if (dice < 9) {
          ops.add(read(p, K, value, invoke, complete));
        } else {
          boolean existed = value != null;
          value = null;
          ops.add(random.nextInt(20) == 0 && existed
              ? indeterminateDelete(p, K, invoke) : delete(p, K, existed, invoke, complete));
        }
      }
      Result good =
          LinearizabilityChecker.checkKey(K, ops, LinearizabilityChecker.DEFAULT_MAX_STEPS);
      assertThat(good.linearizable()).as("round %d: %s", round, good).isTrue();

      // A read placed well after two completed writes, returning the older value.
      long end = ops.stream().filter(o -> o.outcome() == History.Outcome.OK)
          .mapToLong(Op::completeNanos).max().orElseThrow();
      List<Op> stale = new ArrayList<>(ops);
      stale.add(write(9, K, "older", end + 100, end + 110));
      stale.add(write(9, K, "newer", end + 120, end + 130));
      stale.add(read(8, K, "older", end + 140, end + 150));
      Result bad =
          LinearizabilityChecker.checkKey(K, stale, LinearizabilityChecker.DEFAULT_MAX_STEPS);
      assertThat(bad.linearizable()).as("round %d with a stale read", round).isFalse();
      assertThat(bad.gaveUp()).isFalse();
    }
  }
}
