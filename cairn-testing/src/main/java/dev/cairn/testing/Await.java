package dev.cairn.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Bounded polling: checks a condition until it holds or a deadline passes, so that the fixture
 * never waits with a bare sleep. Tests may use Awaitility instead; the fixture uses this to keep
 * Awaitility out of its own compile-scope dependencies.
 *
 * <p>Threading: stateless; every method blocks the calling thread only.
 */
public final class Await {
  private static final Duration FIRST_PAUSE = Duration.ofMillis(10);
  private static final Duration LONGEST_PAUSE = Duration.ofMillis(200);

  private Await() {}

  /** A condition to poll; an exception counts as "not yet" and is kept as the cause on timeout. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /**
   * Polls {@code condition} until it returns true.
   *
   * @param what what is awaited, for the message on timeout
   * @throws IllegalStateException on timeout (with the last exception the condition threw, if any,
   *     as its cause) or if the thread is interrupted
   */
  public static void until(Duration timeout, String what, Condition condition) {
    value(timeout, what, () -> condition.holds(), Boolean::booleanValue);
  }

  /**
   * Polls {@code probe} until {@code accept} approves what it returns, and returns that value.
   *
   * @throws IllegalStateException on timeout, naming the last value seen and with the last
   *     exception the probe threw as its cause; or if the thread is interrupted
   */
  public static <T> T value(
      Duration timeout, String what, Callable<? extends T> probe, Predicate<? super T> accept) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseNanos = FIRST_PAUSE.toNanos();
    T last = null;
    Exception lastError = null;
    while (true) {
      try {
        last = probe.call();
        lastError = null;
        if (accept.test(last)) {
          return last;
        }
      } catch (Exception e) {
        lastError = e;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        String seen = lastError != null ? "last error: " + lastError : "last value: " + last;
        throw new IllegalStateException(
            "timed out after " + timeout + " waiting for " + what + " (" + seen + ")", lastError);
      }
      try {
        Thread.sleep(Duration.ofNanos(Math.min(pauseNanos, left)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      }
      pauseNanos = Math.min(pauseNanos * 2, LONGEST_PAUSE.toNanos());
    }
  }
}
