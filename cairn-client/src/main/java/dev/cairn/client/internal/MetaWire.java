package dev.cairn.client.internal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Namespace calls (stat, lookup, list, mkdir, commit, delete, rename) on plain TCP connections to
 * a node's data port, opened with {@link BlockWire#META}. A stat through gRPC cost about 160 us of
 * CPU between client and node, most of it in HTTP/2 framing, header handling and the hand-offs
 * between Netty's threads and the caller's.
 *
 * <p>A client keeps one connection per node, and all its threads' calls share it, each call
 * marked with a number of its own: the client writes a method byte ({@link #STAT}..{@link
 * #RENAME}), the call's number (an int), then the request (an int length, then the protobuf
 * bytes); the node answers, in whatever order its calls finish, with the call's number, the
 * response message the same way, then the client address of the namespace's leader as a UTF
 * string, empty when the node leads or knows no leader (the gRPC service's {@code cairn-leader}
 * header). Sharing the connection is what lets calls travel together: requests that the client's
 * threads send at the same moment leave in one write, and the node reads them in one read and
 * answers all of those that one log entry commits in one write, where a connection per call costs
 * a read, a write and a wake-up on each side for every call. The node closes a connection idle for
 * a minute; the client keeps an idle one for {@link #IDLE_KEEP_MS}.
 *
 * <p>Thread-safe.
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
  private final Map<String, Shared> connections = new ConcurrentHashMap<>();
  private final Map<String, Object> opening = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** An answer and the leader the node named, or null. */
  public record Answer<T>(T response, String leaderHint) {}

  /** @param callTimeoutMs how long a call waits for its answer before the node is taken for gone */
  public MetaWire(int callTimeoutMs) {
    this.callTimeoutMs = callTimeoutMs;
  }

  /**
   * Sends one call to the node at {@code clientAddress} and waits for its answer. The connection
   * may have been closed by the node while it was idle; a call that fails on a connection it did
   * not open for any reason but a timeout is sent once more on a new one. That is safe for
   * mutations too: each carries a request id, and the namespace applies a request once. A call
   * not answered in time closes the connection, and the other calls on it fail: the node is taken
   * for gone.
   *
   * @throws IOException if the node cannot be reached, or did not answer in time
   */
  public <T> Answer<T> call(String clientAddress, byte method, MessageLite request,
      Parser<T> parser) throws IOException {
    Shared found = connections.get(clientAddress);
    boolean reused = found != null && found.usable();
    Shared shared = reused ? found : connected(clientAddress, found);
    try {
      return shared.call(method, request, parser);
    } catch (InterruptedIOException e) {
      throw e; // a timeout (the node is taken for gone), or the caller was interrupted
    } catch (IOException e) {
      if (!reused || closed) {
        throw e;
      }
      // The node closed it while idle, or restarted: once more, on a new connection.
      return connected(clientAddress, shared).call(method, request, parser);
    }
  }

  /**
   * The connection to the node, opened unless another thread has just done so; {@code failed}
   * (or null) is the one found unusable, which this closes.
   */
  private Shared connected(String clientAddress, Shared failed) throws IOException {
    synchronized (opening.computeIfAbsent(clientAddress, a -> new Object())) {
      Shared current = connections.get(clientAddress);
      if (current != null && current != failed && current.usable()) {
        return current;
      }
      if (current != null) {
        current.close(new IOException("replaced by a new connection"));
      }
      if (closed) {
        throw new IOException("the client is closed");
      }
      Shared fresh =
          new Shared(BlockWire.Connection.open(clientAddress, BlockWire.META, callTimeoutMs));
      connections.put(clientAddress, fresh);
      if (closed) {
        fresh.close(new IOException("the client is closed"));
      }
      return fresh;
    }
  }

  /** Open connections to the node at {@code clientAddress}: 1 or 0. */
  public int connections(String clientAddress) {
    Shared shared = connections.get(clientAddress);
    return shared != null && shared.usable() ? 1 : 0;
  }

  /** Closes every connection; calls in progress fail. */
  @Override
  public void close() {
    closed = true;
    connections.values().forEach(s -> s.close(new IOException("the client is closed")));
  }

  /** The bytes of an answer, parsed by the caller, and the leader the node named. */
  private record RawAnswer(byte[] message, String leaderHint) {}

  /**
   * One connection and the calls under way on it. There is no thread of the connection's own:
   * callers write their requests themselves, and one waiting caller at a time reads the answers,
   * hands each to its caller, and stops once it has its own and has read all that had arrived; it
   * then wakes another waiting caller, if any, to read on. A lone caller so reads its own answer,
   * with no hand-off between threads.
   */
  private final class Shared {
    private final BlockWire.Connection c;
    private final AtomicInteger callNumbers = new AtomicInteger();
    private final Map<Integer, Waiter> waiting = new ConcurrentHashMap<>();
    // Requests not yet written; whichever caller holds the writing lock writes all of them.
    private final Queue<byte[]> unsent = new ConcurrentLinkedQueue<>();
    private final ReentrantLock writing = new ReentrantLock();
    private final ReentrantLock reading = new ReentrantLock();
    private volatile IOException failure;
    private volatile long lastUsedNanos = System.nanoTime();

    Shared(BlockWire.Connection c) {
      this.c = c;
    }

    boolean usable() {
      return failure == null
          && (!waiting.isEmpty() || System.nanoTime() - lastUsedNanos < IDLE_KEEP_MS * 1_000_000);
    }

    <T> Answer<T> call(byte method, MessageLite request, Parser<T> parser) throws IOException {
      lastUsedNanos = System.nanoTime();
      long deadline = lastUsedNanos + callTimeoutMs * 1_000_000L;
      int number = callNumbers.incrementAndGet();
      Waiter me = new Waiter(Thread.currentThread());
      waiting.put(number, me);
      // Checked after joining the waiting calls: a failure either finds this one there or is seen.
      if (failure != null) {
        waiting.remove(number);
        throw Waiter.failedWith(failure);
      }
      send(frame(method, number, request));
      RawAnswer raw = await(number, me, deadline);
      lastUsedNanos = System.nanoTime();
      return new Answer<>(parser.parseFrom(raw.message()),
          raw.leaderHint().isEmpty() ? null : raw.leaderHint());
    }

    /** Waits for the answer to call {@code number}, reading answers whenever nobody else is. */
    private RawAnswer await(int number, Waiter me, long deadline) throws IOException {
      while (true) {
        if (me.done()) {
          return me.answer();
        }
        if (reading.tryLock()) {
          try {
            // On past its own answer through those already here: the callers they wake need
            // not take over reading just to find their answers waiting.
            while (!me.done() || c.in.available() > 0) {
              readAnswer();
            }
          } catch (SocketTimeoutException e) {
            close(timedOut());
          } catch (IOException e) {
            close(e);
          } finally {
            reading.unlock();
          }
          wakeAReader();
          return me.answer();
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || Thread.currentThread().isInterrupted()) {
          waiting.remove(number);
          // Woken to read, it may have been the one meant to: another takes its turn.
          wakeAReader();
          if (left > 0) {
            throw new InterruptedIOException("interrupted while waiting for the node's answer");
          }
          SocketTimeoutException late = timedOut();
          close(late);
          throw late;
        }
        // Woken by its answer, by a failure, or to take over reading; a wake-up before the park
        // is not lost.
        LockSupport.parkNanos(this, left);
      }
    }

    private SocketTimeoutException timedOut() {
      return new SocketTimeoutException("no answer from the node in " + callTimeoutMs + " ms");
    }

    /** Reads one answer and hands it to its caller. */
    private void readAnswer() throws IOException {
      int number = c.in.readInt();
      byte[] message = BlockWire.readMessageBytes(c.in, MAX_MESSAGE_BYTES);
      String hint = c.in.readUTF();
      Waiter caller = waiting.remove(number);
      if (caller != null) {
        caller.complete(new RawAnswer(message, hint), null);
      }
    }

    /** Wakes one caller still waiting, to read the answers now that no one does. */
    private void wakeAReader() {
      for (Waiter w : waiting.values()) {
        LockSupport.unpark(w.thread);
        return;
      }
    }

    private static byte[] frame(byte method, int number, MessageLite request) throws IOException {
      int size = request.getSerializedSize();
      byte[] frame = new byte[9 + size];
      ByteBuffer.wrap(frame).put(method).putInt(number).putInt(size);
      CodedOutputStream body = CodedOutputStream.newInstance(frame, 9, size);
      request.writeTo(body);
      body.checkNoSpaceLeft();
      return frame;
    }

    /**
     * Writes a request, with any that other callers queued meanwhile: a caller that finds another
     * writing leaves its request to that one, which looks at the queue again once it lets go.
     */
    private void send(byte[] frame) throws IOException {
      unsent.add(frame);
      while (!unsent.isEmpty() && writing.tryLock()) {
        try {
          for (byte[] next; (next = unsent.poll()) != null; ) {
            c.out.write(next);
          }
          c.out.flush();
        } catch (IOException e) {
          close(e);
          throw e;
        } finally {
          writing.unlock();
        }
      }
    }

    /** Closes the connection; every call waiting on it fails with {@code why}. */
    void close(IOException why) {
      if (failure == null) {
        failure = why;
      }
      c.close();
      for (Integer number : waiting.keySet()) {
        Waiter caller = waiting.remove(number);
        if (caller != null) {
          caller.complete(null, failure);
        }
      }
    }
  }

  /** A caller waiting for its answer, and the answer or failure once there is one. */
  private static final class Waiter {
    final Thread thread;
    private volatile RawAnswer answer;
    private volatile IOException failure;

    Waiter(Thread thread) {
      this.thread = thread;
    }

    boolean done() {
      return answer != null || failure != null;
    }

    void complete(RawAnswer answer, IOException failure) {
      this.failure = failure;
      this.answer = answer;
      if (thread != Thread.currentThread()) {
        LockSupport.unpark(thread);
      }
    }

    RawAnswer answer() throws IOException {
      RawAnswer a = answer;
      if (a != null) {
        return a;
      }
      throw failedWith(failure);
    }

    /** The failure to throw for {@code why}: a timeout stays one, since this call waited too. */
    static IOException failedWith(IOException why) {
      return why instanceof SocketTimeoutException
          ? new SocketTimeoutException(why.getMessage())
          : new IOException(why.getMessage(), why);
    }
  }
}
