package dev.cairn.server;

import java.io.Flushable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Lets one thread write many answers and send them with one flush per connection: while a scope
 * is open on a thread ({@link #open}), {@link #flush} only notes the stream, and closing the scope
 * flushes each noted stream once. Outside a scope, {@link #flush} flushes at once. The thread that
 * applies a log entry of many commands answers them all inside one scope, so the callers that
 * share a connection get their answers in one write instead of one write each.
 */
public final class DeferredFlush implements AutoCloseable {
  private static final ThreadLocal<DeferredFlush> OPEN = new ThreadLocal<>();
  private static final DeferredFlush NESTED = new DeferredFlush(null);

  // Null for a scope opened inside another one, which flushes nothing itself.
  private final List<Flushable> noted;

  private DeferredFlush(List<Flushable> noted) {
    this.noted = noted;
  }

  /** Opens a scope on this thread; within one already open, a scope that leaves it to that one. */
  public static DeferredFlush open() {
    if (OPEN.get() != null) {
      return NESTED;
    }
    DeferredFlush scope = new DeferredFlush(new ArrayList<>());
    OPEN.set(scope);
    return scope;
  }

  /** Flushes {@code stream} now, or when the scope open on this thread closes. */
  public static void flush(Flushable stream) throws IOException {
    DeferredFlush scope = OPEN.get();
    if (scope == null) {
      stream.flush();
    } else if (!scope.noted.contains(stream)) {
      scope.noted.add(stream);
    }
  }

  /** Flushes every stream noted in this scope; one that fails is left to its owner's handling. */
  @Override
  public void close() {
    if (noted == null) {
      return;
    }
    OPEN.remove();
    for (Flushable stream : noted) {
      try {
        stream.flush();
      } catch (IOException e) {
        // The stream's owner closes its connection on a failed flush.
      }
    }
  }
}
