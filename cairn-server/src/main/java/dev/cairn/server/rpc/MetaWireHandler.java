package dev.cairn.server.rpc;

import com.google.protobuf.MessageLite;
import dev.cairn.client.internal.BlockWire;
import dev.cairn.client.internal.MetaWire;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.DeleteRequest;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.RenameRequest;
import io.grpc.stub.StreamObserver;
import java.io.EOFException;
import java.io.IOException;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Serves namespace calls on a {@link BlockWire#META} connection of the data port, framed as
 * {@link MetaWire} says, by handing each to the same {@link MetaGrpcService} methods that gRPC
 * calls: the checks, the batching of mutations and the linearizable reads are theirs.
 *
 * <p>The connection's own (platform) thread reads a call, starts it and goes back to reading; the
 * answer is written by the thread that has it. For a mutation on the leader that is the thread
 * that applied its log entry, so the connection's thread is not woken just to write it: one
 * wake-up fewer per call. A client sends its next call on a connection only after the answer to
 * the one before, so one call at a time is under way on each.
 */
public final class MetaWireHandler {
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
    while (true) {
      int method = c.in.read();
      betweenCalls.remove(c);
      if (method < 0) {
        return; // the client closed it between calls
      }
      if (!answers.begin()) {
        throw new EOFException("a namespace call came before the answer to the one before it");
      }
      start((byte) method, c, answers);
    }
  }

  // Every method's answer goes through the same writer, whatever the message type.
  @SuppressWarnings("unchecked")
  private static <T> StreamObserver<T> as(Answers answers) {
    return (StreamObserver<T>) answers;
  }

  private void start(byte method, BlockWire.Connection c, Answers answers) throws IOException {
    int max = MetaWire.MAX_MESSAGE_BYTES;
    switch (method) {
      case MetaWire.STAT -> service.stat(
          BlockWire.readMessage(c.in, PathRequest.parser(), max), as(answers));
      case MetaWire.LOOKUP -> service.lookup(
          BlockWire.readMessage(c.in, PathRequest.parser(), max), as(answers));
      case MetaWire.LIST -> service.list(
          BlockWire.readMessage(c.in, PathRequest.parser(), max), as(answers));
      case MetaWire.MKDIR -> service.mkdir(
          BlockWire.readMessage(c.in, MkdirRequest.parser(), max), as(answers));
      case MetaWire.COMMIT -> service.commit(
          BlockWire.readMessage(c.in, CommitRequest.parser(), max), as(answers));
      case MetaWire.DELETE -> service.delete(
          BlockWire.readMessage(c.in, DeleteRequest.parser(), max), as(answers));
      case MetaWire.RENAME -> service.rename(
          BlockWire.readMessage(c.in, RenameRequest.parser(), max), as(answers));
      // Nothing after an unknown method can be framed: end the connection.
      default -> throw new EOFException("unknown namespace method " + method);
    }
  }

  /**
   * Writes the answer of the call under way on one connection, on whichever thread gives it: the
   * connection's own for an answer known at once, the namespace's for a mutation. The service
   * answers failures as statuses; an error here is a bug, and ends the connection, which the
   * client then retries elsewhere (every mutation carries a request id).
   */
  private final class Answers implements StreamObserver<MessageLite> {
    private final BlockWire.Connection c;
    private final Set<BlockWire.Connection> betweenCalls;
    private final BooleanSupplier stopping;
    // Guarded by this: whether a call was read whose answer is not yet written.
    private boolean underWay;

    Answers(BlockWire.Connection c, Set<BlockWire.Connection> betweenCalls,
        BooleanSupplier stopping) {
      this.c = c;
      this.betweenCalls = betweenCalls;
      this.stopping = stopping;
    }

    /** Marks a call under way; false if one already is. */
    synchronized boolean begin() {
      if (underWay) {
        return false;
      }
      underWay = true;
      return true;
    }

    @Override
    public void onNext(MessageLite answer) {
      try {
        synchronized (this) {
          if (!underWay) {
            return; // a second answer to one call: there is nobody to give it to
          }
          BlockWire.writeMessage(c.out, answer);
          String leader = isLeader.getAsBoolean() ? null : leaderAddress.get();
          c.out.writeUTF(leader == null ? "" : leader);
          underWay = false;
          // Between calls before the answer leaves: the client's next call can only follow it,
          // and the connection's thread takes the connection out of the set when that comes.
          betweenCalls.add(c);
          c.out.flush();
        }
        if (stopping.getAsBoolean()) {
          c.close();
        }
      } catch (IOException | RuntimeException e) {
        c.close(); // the client is gone, or the answer could not be framed
      }
    }

    @Override
    public void onError(Throwable t) {
      c.close();
    }

    @Override
    public void onCompleted() {
      // A unary call: its one answer was written by onNext.
    }
  }
}
