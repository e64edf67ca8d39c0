package dev.cairn.faults;

import dev.cairn.faults.History.Kind;
import dev.cairn.faults.History.Op;
import dev.cairn.faults.History.Outcome;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that a history of register operations is linearizable: that there is one total order of
 * the operations, consistent with real time (an operation that returned before another was
 * invoked comes first), in which every read returns the value of the latest write before it (or
 * nothing, after a delete or before any write) and every delete's answer fits.
 *
 * <p>Linearizability is compositional, so each key is checked on its own. For one key the search
 * is the Wing-Gong algorithm with Lowe's memoization (as in Knossos and Porcupine): walk the
 * history's call and return events in time order; at a call, try to linearize that operation
 * now; at a return whose operation is not linearized yet, backtrack. A configuration (set of
 * operations linearized, register value) already explored is not explored again.
 *
 * <p>Indeterminate operations ({@link Outcome#INFO}) have no return event: they may be
 * linearized at any point after their invocation, or never. Failed operations ({@link
 * Outcome#FAIL}) are left out.
 *
 * <p>Stateless and thread-safe.
 */
public final class LinearizabilityChecker {
  /** A search that explores more configurations than this gives up (and says so). */
  public static final long DEFAULT_MAX_STEPS = 20_000_000;

  private LinearizabilityChecker() {}

  /**
   * The verdict on one key.
   *
   * @param ops operations of this key that took part (FAIL ones are left out)
   * @param gaveUp the search hit its step limit: neither linearizable nor refuted
   * @param explanation why not, for a history that is not linearizable
   */
  public record Result(
      String key, int ops, boolean linearizable, boolean gaveUp, long steps, String explanation) {
    @Override
    public String toString() {
      return key + ": " + (linearizable ? "linearizable" : gaveUp ? "undecided" : "NOT "
          + "linearizable") + " (" + ops + " ops, " + steps + " steps)"
          + (explanation.isEmpty() ? "" : "\n" + explanation);
    }
  }

  /** Checks every key of a history; one result per key, in order of first appearance. */
  public static List<Result> check(List<Op> history) {
    return check(history, DEFAULT_MAX_STEPS);
  }

  public static List<Result> check(List<Op> history, long maxStepsPerKey) {
    Map<String, List<Op>> byKey = new LinkedHashMap<>();
    for (Op op : history) {
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    List<Result> results = new ArrayList<>();
    byKey.forEach((key, ops) -> results.add(checkKey(key, ops, maxStepsPerKey)));
    return results;
  }

  // ------------------------------------------------------------------------------ the model

  /** A register that can also be absent (null): the file at one path. */
  private static final String INVALID = new String("<invalid>");

  /** The value of every write that no read returned (no real value contains a NUL). */
  private static final String UNREAD = "\u0000unread";

  /** The register's value after {@code op}, or INVALID if {@code op} cannot happen in state. */
  private static String step(String state, Op op) {
    return switch (op.kind()) {
      case WRITE -> op.value();
      case READ -> Objects.equals(state, op.value()) ? state : INVALID;
      // An indeterminate delete that is linearized is one that removed the file; one that did
      // nothing (or found nothing) is the same as not linearizing it at all.
      case DELETE -> (op.outcome() == Outcome.INFO || op.existed()) == (state != null)
          ? null : INVALID;
    };
  }

  // ------------------------------------------------------------------------------ the search

  private static final class Entry {
    final Op op;
    final int id;
    final boolean call;
    Entry match;
    Entry prev;
    Entry next;

    Entry(Op op, int id, boolean call) {
      this.op = op;
      this.id = id;
      this.call = call;
    }

    long time() {
      return call ? op.invokeNanos() : op.completeNanos();
    }
  }

  /**
   * A point of the search: which operations are linearized, the register's value, and whether
   * the last operation linearized was an indeterminate one (which limits what may come next).
   */
  private record Config(BitSet linearized, String state, boolean afterIndeterminate) {}

  private record Frame(Entry call, String stateBefore) {}

  /** Checks the operations of one key, starting from an absent register. */
  public static Result checkKey(String key, List<Op> all, long maxSteps) {
    List<Op> kept = all.stream()
        .filter(op -> op.outcome() != Outcome.FAIL)
        // An indeterminate read changes nothing and tells nothing.
        .filter(op -> !(op.outcome() == Outcome.INFO && op.kind() == Kind.READ))
        .toList();
    // Values no read returned are all alike to the model (a read never matches them, a delete
    // only asks whether there is a value): one symbol for all of them lets the search treat
    // such writes as interchangeable.
    Set<String> read = new HashSet<>();
    kept.stream().filter(op -> op.kind() == Kind.READ && op.value() != null)
        .forEach(op -> read.add(op.value()));
    List<Op> ops = kept.stream()
        .map(op -> op.kind() == Kind.WRITE && !read.contains(op.value())
            ? new Op(op.index(), op.process(), op.key(), op.kind(), UNREAD, op.existed(),
                op.outcome(), op.invokeNanos(), op.completeNanos())
            : op)
        .toList();
    List<Entry> events = new ArrayList<>();
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      Entry call = new Entry(op, i, true);
      events.add(call);
      if (op.outcome() == Outcome.OK) {
        if (op.completeNanos() < op.invokeNanos()) {
          throw new IllegalArgumentException("operation returns before it is invoked: " + op);
        }
        Entry ret = new Entry(op, i, false);
        call.match = ret;
        ret.match = call;
        events.add(ret);
      }
    }
    // At equal times calls go first: operations that touch count as concurrent, the weaker
    // (never wrongly failing) reading.
    events.sort(Comparator.comparingLong(Entry::time).thenComparing(e -> e.call ? 0 : 1));
    Entry head = new Entry(null, -1, true);
    Entry last = head;
    int returnsLeft = 0;
    for (Entry e : events) {
      last.next = e;
      e.prev = last;
      last = e;
      if (!e.call) {
        returnsLeft++;
      }
    }

    BitSet linearized = new BitSet(ops.size());
    String state = null;
    Deque<Frame> stack = new ArrayDeque<>();
    Set<Config> seen = new HashSet<>();
    long steps = 0;
    int deepest = -1;
    List<Op> deepestOrder = List.of();
    String deepestState = null;
    Entry entry = head.next;
    while (returnsLeft > 0) {
      if (++steps > maxSteps) {
        return new Result(key, ops.size(), false, true, steps,
            "gave up after " + maxSteps + " steps; the longest linearizable prefix has "
                + deepestOrder.size() + " of " + ops.size() + " operations");
      }
      if (entry == null) {
        // Only indeterminate calls were left to try: go back as at a return.
        if (stack.isEmpty()) {
          break;
        }
        Frame f = stack.pop();
        state = f.stateBefore;
        linearized.clear(f.call.id);
        unlift(f.call);
        if (f.call.match != null) {
          returnsLeft++;
        }
        entry = f.call.next;
        continue;
      }
      if (entry.call) {
        String next = mayFollow(stack, entry.op) ? step(state, entry.op) : INVALID;
        if (next != INVALID && twin(entry)) {
          next = INVALID;
        }
        if (next != INVALID) {
          BitSet with = (BitSet) linearized.clone();
          with.set(entry.id);
          if (seen.add(new Config(with, next, entry.op.outcome() == Outcome.INFO))) {
            stack.push(new Frame(entry, state));
            state = next;
            linearized = with;
            lift(entry);
            if (entry.match != null) {
              returnsLeft--;
            }
            if (stack.size() > deepest) {
              deepest = stack.size();
              List<Op> order = new ArrayList<>();
              stack.descendingIterator().forEachRemaining(f -> order.add(f.call.op));
              deepestOrder = order;
              deepestState = state;
            }
            entry = head.next;
            continue;
          }
        }
        entry = entry.next;
      } else {
        // This operation returned and nothing linearized so far lets it go next: backtrack.
        if (stack.isEmpty()) {
          return new Result(key, ops.size(), false, false, steps,
              explain(ops, deepestOrder, deepestState, head));
        }
        Frame f = stack.pop();
        state = f.stateBefore;
        linearized.clear(f.call.id);
        unlift(f.call);
        if (f.call.match != null) {
          returnsLeft++;
        }
        entry = f.call.next;
      }
    }
    if (returnsLeft > 0) {
      return new Result(key, ops.size(), false, false, steps,
          explain(ops, deepestOrder, deepestState, head));
    }
    return new Result(key, ops.size(), true, false, steps, "");
  }

  /**
   * Whether {@code op} may be linearized right after what is on the stack. An indeterminate
   * operation is only worth linearizing right before a completed operation that could not happen
   * without it. If a history has a linearization at all, it has one of that form: an
   * indeterminate operation followed by anything else (a write, nothing, another indeterminate
   * operation, or a completed operation that would be valid anyway) can be dropped, since the
   * register's value after what follows it is the same with or without it, and an indeterminate
   * operation may always be left out. Searching only such linearizations keeps histories with
   * many indeterminate operations from blowing up the search.
   */
  private static boolean mayFollow(Deque<Frame> stack, Op op) {
    Frame top = stack.peek();
    if (top == null || top.call.op.outcome() != Outcome.INFO) {
      return true;
    }
    return op.outcome() == Outcome.OK && step(top.stateBefore, op) == INVALID;
  }

  /**
   * True if {@code entry} is an indeterminate operation and an earlier one with the same effect
   * is still waiting in the list: it has no return to meet either, so it can go wherever this one
   * can, and trying both would only explore the same configurations twice.
   */
  private static boolean twin(Entry entry) {
    if (entry.op.outcome() != Outcome.INFO) {
      return false;
    }
    for (Entry e = entry.prev; e != null && e.op != null; e = e.prev) {
      if (e.call && e.op.outcome() == Outcome.INFO && e.op.kind() == entry.op.kind()
          && Objects.equals(e.op.value(), entry.op.value())) {
        return true;
      }
    }
    return false;
  }

  /** Takes a linearized call (and its return) out of the event list. */
  private static void lift(Entry call) {
    call.prev.next = call.next;
    if (call.next != null) {
      call.next.prev = call.prev;
    }
    Entry ret = call.match;
    if (ret != null) {
      ret.prev.next = ret.next;
      if (ret.next != null) {
        ret.next.prev = ret.prev;
      }
    }
  }

  /** Puts a call (and its return) back where they were; the reverse of {@link #lift}. */
  private static void unlift(Entry call) {
    Entry ret = call.match;
    if (ret != null) {
      ret.prev.next = ret;
      if (ret.next != null) {
        ret.next.prev = ret;
      }
    }
    call.prev.next = call;
    if (call.next != null) {
      call.next.prev = call;
    }
  }

  private static String explain(List<Op> ops, List<Op> order, String state, Entry head) {
    long origin = ops.stream().mapToLong(Op::invokeNanos).min().orElse(0);
    Set<Op> done = new HashSet<>(order);
    // The first operation that returned without ever being linearizable after the best prefix.
    Op stuck = ops.stream()
        .filter(op -> op.outcome() == Outcome.OK && !done.contains(op))
        .min(Comparator.comparingLong(Op::completeNanos))
        .orElse(null);
    StringBuilder b = new StringBuilder();
    b.append("  the longest linearizable prefix has ").append(order.size()).append(" of ")
        .append(ops.size()).append(" operations and leaves the value ")
        .append(state == null ? "absent" : state).append("; its last operations:\n");
    for (Op op : order.subList(Math.max(0, order.size() - 5), order.size())) {
      b.append("    ").append(describe(op, origin)).append('\n');
    }
    if (stuck != null) {
      b.append("  then this operation cannot be placed:\n    ").append(describe(stuck, origin))
          .append('\n');
      b.append("  operations concurrent with it:\n");
      ops.stream()
          .filter(op -> op != stuck && !done.contains(op))
          .filter(op -> op.invokeNanos() <= stuck.completeNanos()
              && op.completeNanos() >= stuck.invokeNanos())
          .limit(10)
          .forEach(op -> b.append("    ").append(describe(op, origin)).append('\n'));
    }
    return b.toString();
  }

  private static String describe(Op op, long origin) {
    String end = op.completeNanos() == Long.MAX_VALUE ? "never"
        : String.format("%.3f s", (op.completeNanos() - origin) / 1e9);
    return String.format("%s  [invoked %.3f s, returned %s]", op,
        (op.invokeNanos() - origin) / 1e9, end);
  }
}
