package dev.cairn.client.internal;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Namespace calls (stat, lookup, list, mkdir, commit, delete, rename) on plain TCP connections to
 * a node's data port, opened with {@link BlockWire#META}. A stat through gRPC cost about 160 us of
 * CPU between client and node, most of it in HTTP/2 framing, header handling and the hand-offs
 * between Netty's threads and the caller's; here a call is one write and one read on each side.
 *
 * <p>A meta connection carries calls one after another, each answered before the next is sent:
 * the client writes a method byte ({@link #STAT}..{@link #RENAME}) and the request (an int length,
 * then the protobuf bytes); the node answers with the response message the same way, then the
 * client address of the namespace's leader as a UTF string, empty when the node leads or knows no
 * leader (the gRPC service's {@code cairn-leader} header). The node closes a connection idle for a
 * minute; the client keeps idle connections for {@link #IDLE_KEEP_MS}.
 *
 * <p>Thread-safe: a call takes an idle connection to the node, or opens one, and puts it back when
 * answered; a connection that failed is closed.
 */
public final class MetaWire implements Closeable {
  public static final byte STAT = 1;
  public static final byte LOOKUP = 2;
  public static final byte LIST = 3;
  public static final byte MKDIR = 4;
  public static final byte COMMIT = 5;
  public static final byte DELETE = 6;
  public static final byte RENAME = 7;
  /** The largest request or response: that of the gRPC channels (a listing, a commit's extents). */
  public static final int MAX_MESSAGE_BYTES = Connections.MAX_MESSAGE_BYTES;
  /** How long the client keeps an idle connection; the node keeps it a minute. */
  static final long IDLE_KEEP_MS = 30_000;

  private final int callTimeoutMs;
  private final Map<String, ConcurrentLinkedDeque<Idle>> idle = new ConcurrentHashMap<>();
  private final Set<BlockWire.Connection> busy = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private record Idle(BlockWire.Connection connection, long sinceNanos) {
    boolean stale() {
      return System.nanoTime() - sinceNanos >= IDLE_KEEP_MS * 1_000_000;
    }
  }

  /** An answer and the leader the node named, or null. */
  public record Answer<T>(T response, String leaderHint) {}

  /** @param callTimeoutMs how long a call waits for its answer before the node is taken for gone */
  public MetaWire(int callTimeoutMs) {
    this.callTimeoutMs = callTimeoutMs;
  }

  /**
   * Sends one call to the node at {@code clientAddress} and reads its answer. A connection taken
   * from the idle ones may have been closed by the node meanwhile; a call that fails on one for
   * any reason but a timeout is sent once more on a new connection. That is safe for mutations
   * too: each carries a request id, and the namespace applies a request once.
   *
   * @throws IOException if the node cannot be reached, or did not answer in time
   */
  public <T> Answer<T> call(String clientAddress, byte method, MessageLite request,
      Parser<T> parser) throws IOException {
    ConcurrentLinkedDeque<Idle> pool =
        idle.computeIfAbsent(clientAddress, a -> new ConcurrentLinkedDeque<>());
    BlockWire.Connection reused = takeIdle(pool);
    trimOldest(pool);
    if (reused != null) {
      try {
        return callOn(reused, pool, method, request, parser);
      } catch (SocketTimeoutException e) {
        throw e;
      } catch (IOException e) {
        // The node closed it while idle, or restarted: try once on a new connection.
      }
    }
    BlockWire.Connection fresh =
        BlockWire.Connection.open(clientAddress, BlockWire.META, callTimeoutMs);
    return callOn(fresh, pool, method, request, parser);
  }

  private <T> Answer<T> callOn(BlockWire.Connection c, ConcurrentLinkedDeque<Idle> pool,
      byte method, MessageLite request, Parser<T> parser) throws IOException {
    boolean answered = false;
    busy.add(c);
    try {
      if (closed) {
        throw new IOException("the client is closed");
      }
      c.out.writeByte(method);
      BlockWire.writeMessage(c.out, request);
      c.out.flush();
      T response = BlockWire.readMessage(c.in, parser, MAX_MESSAGE_BYTES);
      String hint = c.in.readUTF();
      answered = true;
      return new Answer<>(response, hint.isEmpty() ? null : hint);
    } finally {
      busy.remove(c);
      if (answered && !closed) {
        pool.push(new Idle(c, System.nanoTime()));
      } else {
        c.close();
      }
    }
  }

  private static BlockWire.Connection takeIdle(ConcurrentLinkedDeque<Idle> pool) {
    // Most recently used first: those are the least likely to have been closed by the node.
    for (Idle i; (i = pool.poll()) != null; ) {
      if (!i.stale()) {
        return i.connection();
      }
      i.connection().close();
    }
    return null;
  }

  private static void trimOldest(ConcurrentLinkedDeque<Idle> pool) {
    // Those at the far end are the ones a burst of calls opened and calmer times left unused.
    Idle oldest = pool.peekLast();
    if (oldest != null && oldest.stale() && pool.removeLastOccurrence(oldest)) {
      oldest.connection().close();
    }
  }

  /** Idle connections kept to the node at {@code clientAddress}. */
  public int idleConnections(String clientAddress) {
    ConcurrentLinkedDeque<Idle> pool = idle.get(clientAddress);
    return pool == null ? 0 : pool.size();
  }

  /** Closes every connection; calls in progress fail. */
  @Override
  public void close() {
    closed = true;
    busy.forEach(BlockWire.Connection::close);
    idle.values().forEach(pool -> {
      for (Idle i; (i = pool.poll()) != null; ) {
        i.connection().close();
      }
    });
  }
}
