package dev.cairn.server.rpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Tells clients where the namespace's leader is. A node that is not the leader still answers every
 * namespace call, by passing it on to the leader, but that costs one more hop and a second
 * serialization; so its answers carry the leader's client address in the {@value #HEADER} header,
 * and a client sends its next calls there. The leader's own answers carry nothing.
 *
 * <p>Thread-safe.
 */
public final class LeaderHints implements ServerInterceptor {
  /** The response header that names the leader's client address (host:port). */
  public static final String HEADER = "cairn-leader";

  private static final Metadata.Key<String> KEY =
      Metadata.Key.of(HEADER, Metadata.ASCII_STRING_MARSHALLER);

  private final BooleanSupplier isLeader;
  private final Supplier<String> leaderAddress;

  /**
   * @param isLeader whether this node leads now
   * @param leaderAddress the leader's client address as this node knows it, or null
   */
  public LeaderHints(BooleanSupplier isLeader, Supplier<String> leaderAddress) {
    this.isLeader = isLeader;
    this.leaderAddress = leaderAddress;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      @Override
      public void sendHeaders(Metadata responseHeaders) {
        if (!isLeader.getAsBoolean()) {
          String leader = leaderAddress.get();
          if (leader != null) {
            responseHeaders.put(KEY, leader);
          }
        }
        super.sendHeaders(responseHeaders);
      }
    }, headers);
  }
}
