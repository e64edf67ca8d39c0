package dev.cairn.server.rpc;

import com.google.protobuf.MessageLite;
import dev.cairn.client.internal.BlockWire;
import dev.cairn.client.internal.MetaWire;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.DeleteRequest;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.RenameRequest;
import dev.cairn.server.DeferredFlush;
import io.grpc.stub.StreamObserver;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.Flushable;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Serves namespace calls on a {@link BlockWire#META} connection of the data port, framed as
 * {@link MetaWire} says, by handing each to the same {@link MetaGrpcService} methods that gRPC
 * calls: the checks, the batching of mutations and the linearizable reads are theirs.
 *
 * <p>The connection's own (platform) thread reads calls and starts them; the answer is written by
 * the thread that has it. For a mutation on the leader that is the thread that applied its log
 * entry, so the connection's thread is not woken just to write it. A client's threads share one
 * connection, so calls come several at a time: the connection's thread starts every call it has
 * read before it flushes the answers it wrote itself (stats on the leader), and the thread that
 * applies an entry flushes once per connection the answers to all of the entry's commands (see
 * {@link DeferredFlush}).
 */
public final class MetaWireHandler {
  /** Calls under way on one connection past which the node takes its client for broken. */
  static final int MAX_CALLS_UNDER_WAY = 4096;
  // Calls arrive several at a time; those of 4 KiB files are about 4.2 KB each.
  private static final int INPUT_BUFFER_BYTES = 64 << 10;

  private final MetaGrpcService service;
  private final BooleanSupplier isLeader;
  private final Supplier<String> leaderAddress;

  /**
   * @param isLeader whether this node leads now
   * @param leaderAddress the leader's client address as this node knows it, or null
   */
  public MetaWireHandler(MetaGrpcService service, BooleanSupplier isLeader,
      Supplier<String> leaderAddress) {
    this.service = service;
    this.isLeader = isLeader;
    this.leaderAddress = leaderAddress;
  }

  /**
   * Reads and starts calls until the client closes the connection, or until {@code stopping} says
   * the node is stopping. While no call is under way the connection is in {@code betweenCalls},
   * where the node's stop closes it instead of waiting for it: a client keeps idle connections.
   */
  public void serve(BlockWire.Connection c, Set<BlockWire.Connection> betweenCalls,
      BooleanSupplier stopping) throws IOException {
    Answers answers = new Answers(c, betweenCalls, stopping);
    betweenCalls.add(c);
    // Checked after joining the set: a stop either finds the connection there or is seen.
    if (stopping.getAsBoolean()) {
      return;
    }
    DataInputStream in =
        new DataInputStream(new BufferedInputStream(c.in, INPUT_BUFFER_BYTES));
    while (true) {
      int method = in.read();
      if (method < 0) {
        return; // the client closed it
      }
      // The answers this thread writes leave once it has started every call it has read.
      try (DeferredFlush answersOfThisRead = DeferredFlush.open()) {
        while (true) {
          start((byte) method, answers.begin(in.readInt()), in);
          if (in.available() == 0) {
            break;
          }
          method = in.read();
          if (method < 0) {
            return;
          }
        }
      }
    }
  }

  // Every method's answer goes through the same writer, whatever the message type.
  @SuppressWarnings("unchecked")
  private static <T> StreamObserver<T> as(StreamObserver<MessageLite> call) {
    return (StreamObserver<T>) call;
  }

  private void start(byte method, StreamObserver<MessageLite> call, DataInputStream in)
      throws IOException {
    int max = MetaWire.MAX_MESSAGE_BYTES;
    switch (method) {
      case MetaWire.STAT -> service.stat(
          BlockWire.readMessage(in, PathRequest.parser(), max), as(call));
      case MetaWire.LOOKUP -> service.lookup(
          BlockWire.readMessage(in, PathRequest.parser(), max), as(call));
      case MetaWire.LIST -> service.list(
          BlockWire.readMessage(in, PathRequest.parser(), max), as(call));
      case MetaWire.MKDIR -> service.mkdir(
          BlockWire.readMessage(in, MkdirRequest.parser(), max), as(call));
      case MetaWire.COMMIT -> service.commit(
          BlockWire.readMessage(in, CommitRequest.parser(), max), as(call));
      case MetaWire.DELETE -> service.delete(
          BlockWire.readMessage(in, DeleteRequest.parser(), max), as(call));
      case MetaWire.RENAME -> service.rename(
          BlockWire.readMessage(in, RenameRequest.parser(), max), as(call));
      // Nothing after an unknown method can be framed: end the connection.
      default -> throw new EOFException("unknown namespace method " + method);
    }
  }

  /**
   * Writes the answers of the calls under way on one connection, on whichever thread gives each:
   * the connection's own for an answer known at once, the namespace's for a mutation. The service
   * answers failures as statuses; an error here is a bug, and ends the connection, which the
   * client then retries elsewhere (every mutation carries a request id).
   */
  private final class Answers implements Flushable {
    private final BlockWire.Connection c;
    private final Set<BlockWire.Connection> betweenCalls;
    private final BooleanSupplier stopping;
    // Guarded by this: the calls read whose answers are not yet written.
    private int underWay;

    Answers(BlockWire.Connection c, Set<BlockWire.Connection> betweenCalls,
        BooleanSupplier stopping) {
      this.c = c;
      this.betweenCalls = betweenCalls;
      this.stopping = stopping;
    }

    /** Marks a call under way and returns what answers it. */
    synchronized StreamObserver<MessageLite> begin(int number) throws IOException {
      if (underWay == MAX_CALLS_UNDER_WAY) {
        throw new EOFException("more than " + MAX_CALLS_UNDER_WAY
            + " namespace calls under way on one connection");
      }
      if (underWay++ == 0) {
        betweenCalls.remove(c);
      }
      return new Call(this, number);
    }

    /** Writes one call's answer; it leaves with the next {@link #flush}. */
    void write(int number, MessageLite answer) {
      try {
        synchronized (this) {
          c.out.writeInt(number);
          BlockWire.writeMessage(c.out, answer);
          String leader = isLeader.getAsBoolean() ? null : leaderAddress.get();
          c.out.writeUTF(leader == null ? "" : leader);
          // Between calls before the answer leaves: the client's next call can only follow it,
          // and the connection's thread takes the connection out of the set when that comes.
          if (--underWay == 0) {
            betweenCalls.add(c);
          }
        }
        DeferredFlush.flush(this);
      } catch (IOException | RuntimeException e) {
        c.close(); // the client is gone, or the answer could not be framed
      }
    }

    @Override
    public void flush() {
      try {
        boolean idle;
        synchronized (this) {
          c.out.flush();
          idle = underWay == 0;
        }
        if (idle && stopping.getAsBoolean()) {
          c.close();
        }
      } catch (IOException | RuntimeException e) {
        c.close();
      }
    }
  }

  /** The answer to one call: the first one given is written, any later one dropped. */
  private static final class Call implements StreamObserver<MessageLite> {
    private final Answers answers;
    private final int number;
    private final AtomicBoolean answered = new AtomicBoolean();

    Call(Answers answers, int number) {
      this.answers = answers;
      this.number = number;
    }

    @Override
    public void onNext(MessageLite answer) {
      if (answered.compareAndSet(false, true)) {
        answers.write(number, answer);
      }
    }

    @Override
    public void onError(Throwable t) {
      answers.c.close();
    }

    @Override
    public void onCompleted() {
      // A unary call: its one answer was written by onNext.
    }
  }
}
