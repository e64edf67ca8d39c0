package dev.cairn.server.rpc;

import com.google.protobuf.MessageLite;
import dev.cairn.client.internal.BlockWire;
import dev.cairn.client.internal.MetaWire;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.DeleteRequest;
import dev.cairn.proto.ListResponse;
import dev.cairn.proto.LookupResponse;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.MutationResponse;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.RenameRequest;
import dev.cairn.proto.StatResponse;
import io.grpc.stub.StreamObserver;
import java.io.EOFException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Serves namespace calls on a {@link BlockWire#META} connection of the data port, framed as
 * {@link MetaWire} says, by handing each to the same {@link MetaGrpcService} methods that gRPC
 * calls: the checks, the batching of mutations and the linearizable reads are theirs. Runs on the
 * connection's own (platform) thread, which waits for each answer before it reads the next call.
 */
public final class MetaWireHandler {
  // The namespace answers a mutation UNAVAILABLE itself when the leader does not confirm it in
  // time; this only stops a connection from waiting forever on an answer that never comes.
  private static final long ANSWER_TIMEOUT_MS = 120_000;

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
   * Answers calls until the client closes the connection, or until {@code stopping} says the
   * node is stopping. While it waits for the next call the connection is in {@code betweenCalls},
   * where the node's stop closes it instead of waiting for it: a client keeps idle connections.
   */
  public void serve(BlockWire.Connection c, Set<BlockWire.Connection> betweenCalls,
      BooleanSupplier stopping) throws IOException {
    while (true) {
      int method;
      betweenCalls.add(c);
      try {
        // Checked after joining the set: a stop either finds the connection there or is seen.
        if (stopping.getAsBoolean()) {
          return;
        }
        method = c.in.read();
      } finally {
        betweenCalls.remove(c);
      }
      if (method < 0) {
        return; // the client closed it between calls
      }
      MessageLite answer = answer((byte) method, c);
      BlockWire.writeMessage(c.out, answer);
      String leader = isLeader.getAsBoolean() ? null : leaderAddress.get();
      c.out.writeUTF(leader == null ? "" : leader);
      c.out.flush();
    }
  }

  private MessageLite answer(byte method, BlockWire.Connection c) throws IOException {
    int max = MetaWire.MAX_MESSAGE_BYTES;
    return switch (method) {
      case MetaWire.STAT -> MetaWireHandler.<StatResponse>await(out ->
          service.stat(BlockWire.readMessage(c.in, PathRequest.parser(), max), out));
      case MetaWire.LOOKUP -> MetaWireHandler.<LookupResponse>await(out ->
          service.lookup(BlockWire.readMessage(c.in, PathRequest.parser(), max), out));
      case MetaWire.LIST -> MetaWireHandler.<ListResponse>await(out ->
          service.list(BlockWire.readMessage(c.in, PathRequest.parser(), max), out));
      case MetaWire.MKDIR -> MetaWireHandler.<MutationResponse>await(out ->
          service.mkdir(BlockWire.readMessage(c.in, MkdirRequest.parser(), max), out));
      case MetaWire.COMMIT -> MetaWireHandler.<MutationResponse>await(out ->
          service.commit(BlockWire.readMessage(c.in, CommitRequest.parser(), max), out));
      case MetaWire.DELETE -> MetaWireHandler.<MutationResponse>await(out ->
          service.delete(BlockWire.readMessage(c.in, DeleteRequest.parser(), max), out));
      case MetaWire.RENAME -> MetaWireHandler.<MutationResponse>await(out ->
          service.rename(BlockWire.readMessage(c.in, RenameRequest.parser(), max), out));
      // Nothing after an unknown method can be framed: end the connection.
      default -> throw new EOFException("unknown namespace method " + method);
    };
  }

  private interface Call<T> {
    void start(StreamObserver<T> out) throws IOException;
  }

  private static <T extends MessageLite> T await(Call<T> call) throws IOException {
    Answer<T> answer = new Answer<>();
    call.start(answer);
    try {
      return answer.future.get(ANSWER_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the namespace", e);
    } catch (ExecutionException | TimeoutException e) {
      // The service answers failures as statuses; this is a bug or a namespace that hangs.
      throw new IOException("no answer from the namespace: " + e, e);
    }
  }

  /** The one response of a unary call. */
  private static final class Answer<T> implements StreamObserver<T> {
    final CompletableFuture<T> future = new CompletableFuture<>();

    @Override
    public void onNext(T value) {
      future.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      future.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      if (!future.isDone()) {
        future.completeExceptionally(new IllegalStateException("completed without an answer"));
      }
    }
  }
}
