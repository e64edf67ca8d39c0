package dev.cairn.client.internal;

import dev.cairn.client.CairnException;
import dev.cairn.client.ErrorCode;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.Closeable;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's channels to the nodes it knows, and the failover loop: a call goes to the current
 * node; when that node cannot be reached, or answers that it cannot serve right now, the call
 * moves to the next node and tries again, until the failover timeout runs out.
 *
 * <p>Nodes that are not the namespace's leader name it in a response header (see the server's
 * {@code LeaderHints}); after a call that succeeded, the next calls go to the node named, learning
 * its address if it is new. Any node would answer, but the leader answers namespace calls without
 * passing them on.
 *
 * <p>Thread-safe.
 */
public final class Connections implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Connections.class);
  public static final int MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

  private static final Metadata.Key<String> LEADER_HINT =
      Metadata.Key.of("cairn-leader", Metadata.ASCII_STRING_MARSHALLER);

  private final CopyOnWriteArrayList<String> addresses;
  private final Duration failoverTimeout;
  private final int connectionsPerNode;
  private final Map<String, ManagedChannel[]> channels = new ConcurrentHashMap<>();
  private final AtomicInteger turn = new AtomicInteger();
  private final AtomicInteger current = new AtomicInteger();
  // The leader the last answer named; applied only once a call has succeeded, so that a node that
  // still names a dead leader during an election does not send the client back to it.
  private volatile String leaderHint;
  private final ClientInterceptor hintReader = new ClientInterceptor() {
    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(
        MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          super.start(new SimpleForwardingClientCallListener<>(listener) {
            @Override
            public void onHeaders(Metadata responseHeaders) {
              String hint = responseHeaders.get(LEADER_HINT);
              if (hint != null) {
                leaderHint = hint;
              }
              super.onHeaders(responseHeaders);
            }
          }, headers);
        }
      };
    }
  };

  public Connections(List<String> addresses, Duration failoverTimeout, int connectionsPerNode) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no node addresses given");
    }
    if (connectionsPerNode < 1) {
      throw new IllegalArgumentException("connections per node must be at least 1");
    }
    this.addresses = new CopyOnWriteArrayList<>(addresses);
    this.failoverTimeout = failoverTimeout;
    this.connectionsPerNode = connectionsPerNode;
  }

  /** The addresses given, then those learned from leader hints. */
  public List<String> addresses() {
    return List.copyOf(addresses);
  }

  public String currentAddress() {
    return addresses.get(Math.floorMod(current.get(), addresses.size()));
  }

  /**
   * A channel to {@code address}: one of the node's connections, taken in turn. A connection's
   * calls are framed and answered by one event-loop thread at each end (namespace calls run on
   * the server's), so a client whose threads share one connection queues behind those two
   * threads however many cores the node has.
   */
  public ManagedChannel channel(String address) {
    ManagedChannel[] pool = channels.computeIfAbsent(address, this::open);
    return pool[Math.floorMod(turn.getAndIncrement(), pool.length)];
  }

  private ManagedChannel[] open(String address) {
    ManagedChannel[] pool = new ManagedChannel[connectionsPerNode];
    for (int i = 0; i < pool.length; i++) {
      // No gRPC retries: the client retries by itself, on another node if need be (mutations
      // carry request ids), and gRPC's retry layer would buffer every message of every call.
      pool[i] = NettyChannelBuilder.forTarget(address)
          .usePlaintext()
          .disableRetry()
          .maxInboundMessageSize(MAX_MESSAGE_BYTES)
          .intercept(hintReader)
          .build();
    }
    return pool;
  }

  /** One attempt of a call on one node. */
  public interface Attempt<T> {
    /**
     * Runs the call on {@code channel}. Throws {@link StatusRuntimeException} for transport
     * failures and {@link RetryableException} for answers that say "try again".
     */
    T run(ManagedChannel channel, String address) throws CairnException;
  }

  /** A node's answer that another try, on it or on another node, may succeed. */
  public static final class RetryableException extends RuntimeException {
    public final CairnException cause;

    public RetryableException(CairnException cause) {
      super(cause.getMessage(), cause, false, false);
      this.cause = cause;
    }
  }

  /** Runs a call with failover; see the class comment. */
  public <T> T call(String what, Attempt<T> attempt) throws CairnException {
    long deadline = System.nanoTime() + failoverTimeout.toNanos();
    int tries = 0;
    CairnException last = null;
    while (true) {
      int index = current.get();
      String address = addresses.get(Math.floorMod(index, addresses.size()));
      try {
        T result = attempt.run(channel(address), address);
        followHint(address);
        return result;
      } catch (StatusRuntimeException e) {
        if (!transient_(e.getStatus().getCode())) {
          throw new CairnException(ErrorCode.INTERNAL,
              what + " failed on " + address + ": " + e.getStatus(), e);
        }
        last = new CairnException(ErrorCode.UNAVAILABLE,
            what + ": node " + address + " unreachable (" + e.getStatus().getCode() + ")", e);
      } catch (RetryableException e) {
        last = e.cause;
      }
      tries++;
      if (System.nanoTime() > deadline) {
        throw new CairnException(last.code(), last.getMessage() + "; gave up after "
            + failoverTimeout.toSeconds() + " s and " + tries + " tries", last);
      }
      // Move on from the node that failed, unless another thread already did.
      if (current.compareAndSet(index, index + 1)) {
        log.debug("{}: moving from {} to the next node: {}", what, address, last.getMessage());
      }
      pause(tries);
    }
  }

  private void followHint(String answered) {
    String hint = leaderHint;
    if (hint == null || hint.equals(answered)) {
      return;
    }
    leaderHint = null;
    addresses.addIfAbsent(hint);
    int index = addresses.indexOf(hint);
    current.set(index);
  }

  private void pause(int tries) {
    // Going round every node once costs nothing; after that, back off so that a cluster without
    // a leader is not hammered while it elects one.
    if (tries < addresses.size()) {
      return;
    }
    long ms = Math.min(500, 25L << Math.min(5, tries / addresses.size()));
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while failing over", e);
    }
  }

  private static boolean transient_(Code code) {
    return switch (code) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED, RESOURCE_EXHAUSTED -> true;
      default -> false;
    };
  }

  @Override
  public void close() {
    List<ManagedChannel> all = channels.values().stream().flatMap(Arrays::stream).toList();
    all.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel c : all) {
      try {
        c.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
