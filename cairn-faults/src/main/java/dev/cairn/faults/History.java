package dev.cairn.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A history of operations on registers (one register per key: a small file that is written whole,
 * read whole and deleted), as clients saw them: when each operation was invoked, when it returned,
 * and what it returned. An operation that threw may or may not have taken effect, and may still
 * take effect later: it is recorded as {@link Outcome#INFO} (indeterminate) with no return time.
 * {@link LinearizabilityChecker} decides whether some order of the operations explains what the
 * clients saw.
 *
 * <p>Thread-safe: many client threads record into one history.
 */
public final class History {
  /** What an operation did. */
  public enum Kind {
    /** Replaced the register's value ({@link Op#value} is the value written). */
    WRITE,
    /** Read the register ({@link Op#value} is what was read; null: there was no file). */
    READ,
    /** Deleted the file ({@link Op#existed}: false when the answer was NOT_FOUND). */
    DELETE
  }

  /** How an operation ended. */
  public enum Outcome {
    /** Returned normally; its result is known. */
    OK,
    /** Failed in a way that guarantees it had no effect. */
    FAIL,
    /** Threw in a way that leaves open whether it took effect (or will, later). */
    INFO
  }

  /**
   * One operation.
   *
   * @param index order of invocation in the history
   * @param process the client thread that ran it
   * @param invokeNanos when it was invoked ({@link System#nanoTime})
   * @param completeNanos when it returned; {@link Long#MAX_VALUE} for INFO
   */
  public record Op(
      int index,
      int process,
      String key,
      Kind kind,
      String value,
      boolean existed,
      Outcome outcome,
      long invokeNanos,
      long completeNanos) {

    /** A completed write of {@code value}. */
    public static Op write(int process, String key, String value, long invoke, long complete) {
      return new Op(-1, process, key, Kind.WRITE, value, false, Outcome.OK, invoke, complete);
    }

    /** A write that threw: it may or may not take effect, at any time after {@code invoke}. */
    public static Op indeterminateWrite(int process, String key, String value, long invoke) {
      return new Op(-1, process, key, Kind.WRITE, value, false, Outcome.INFO, invoke,
          Long.MAX_VALUE);
    }

    /** A completed read that returned {@code value} (null: no file). */
    public static Op read(int process, String key, String value, long invoke, long complete) {
      return new Op(-1, process, key, Kind.READ, value, false, Outcome.OK, invoke, complete);
    }

    /** A completed delete; {@code existed} is false if it answered NOT_FOUND. */
    public static Op delete(int process, String key, boolean existed, long invoke, long complete) {
      return new Op(-1, process, key, Kind.DELETE, null, existed, Outcome.OK, invoke, complete);
    }

    /** A delete that threw. */
    public static Op indeterminateDelete(int process, String key, long invoke) {
      return new Op(-1, process, key, Kind.DELETE, null, false, Outcome.INFO, invoke,
          Long.MAX_VALUE);
    }

    @Override
    public String toString() {
      String what = switch (kind) {
        case WRITE -> "write " + value;
        case READ -> "read -> " + (outcome == Outcome.OK ? String.valueOf(value) : "?");
        case DELETE -> "delete" + (outcome == Outcome.OK ? (existed ? " -> ok" : " -> NOT_FOUND")
            : "");
      };
      return "#" + index + " p" + process + " " + key + " " + what
          + (outcome == Outcome.OK ? "" : " [" + outcome + "]");
    }
  }

  /** An operation that was invoked and has not returned yet. */
  public final class Pending {
    private final int index;
    private final int process;
    private final String key;
    private final Kind kind;
    private final String value;
    private final long invokeNanos;

    private Pending(int index, int process, String key, Kind kind, String value) {
      this.index = index;
      this.process = process;
      this.key = key;
      this.kind = kind;
      this.value = value;
      this.invokeNanos = System.nanoTime();
    }

    /** A write or read returned; for a read, {@code readValue} is what it read (null: none). */
    public void ok(String readValue) {
      finish(kind == Kind.READ ? readValue : value, false, Outcome.OK);
    }

    /** A delete returned; {@code existed} is false if it answered NOT_FOUND. */
    public void deleted(boolean existed) {
      finish(null, existed, Outcome.OK);
    }

    /** The operation certainly had no effect. */
    public void failed() {
      finish(value, false, Outcome.FAIL);
    }

    /** The operation threw; it may or may not have taken effect. */
    public void indeterminate() {
      finish(value, false, Outcome.INFO);
    }

    private void finish(String v, boolean existed, Outcome outcome) {
      long now = outcome == Outcome.INFO ? Long.MAX_VALUE : System.nanoTime();
      Op op = new Op(index, process, key, kind, v, existed, outcome, invokeNanos, now);
      synchronized (History.this) {
        pending.remove(this);
        ops.add(op);
      }
    }

    private Op asIndeterminate() {
      return new Op(index, process, key, kind, value, false, Outcome.INFO, invokeNanos,
          Long.MAX_VALUE);
    }
  }

  private final AtomicInteger nextIndex = new AtomicInteger();
  private final List<Op> ops = new ArrayList<>();
  private final Set<Pending> pending = new LinkedHashSet<>();

  /** Records the invocation of an operation; complete it with one of Pending's methods. */
  public Pending invoke(int process, String key, Kind kind, String value) {
    Pending p = new Pending(nextIndex.getAndIncrement(), process, key, kind, value);
    synchronized (this) {
      pending.add(p);
    }
    return p;
  }

  /**
   * Every operation so far, in invocation order; operations still running count as
   * indeterminate.
   */
  public synchronized List<Op> ops() {
    List<Op> all = new ArrayList<>(ops);
    pending.forEach(p -> all.add(p.asIndeterminate()));
    all.sort(Comparator.comparingInt(Op::index));
    return all;
  }

  /** Number of operations recorded so far (completed or not). */
  public synchronized int size() {
    return ops.size() + pending.size();
  }
}
