package dev.cairn.client.internal;

import dev.cairn.client.CairnException;
import dev.cairn.client.ErrorCode;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
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
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's connections to the nodes it knows (gRPC channels, and the framed namespace
 * connections of {@link MetaWire}), and the failover loop: a call goes to the current node; when
 * that node cannot be reached, or answers that it cannot serve right now, the call moves to the
 * next node and tries again, until the failover timeout runs out.
 *
 * <p>Nodes that are not the namespace's leader name it in a response header (see the server's
 * {@code LeaderHints}) or at the end of a framed answer; after a call that succeeded, the next
 * calls go to the node named, learning its address if it is new. Any node would answer, but the
 * leader answers namespace calls without passing them on.
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
  private final Consumer<String> onWaiting;
  /**
   * How long a call fails before {@code onWaiting} hears of it: longer than a leader change
   * usually takes, so that a failover the client rides through says nothing.
   */
  public static final Duration WAITING_NOTICE_AFTER = Duration.ofSeconds(2);
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private EventLoopGroup eventLoop; // guarded by this
  private final MetaWire meta;
  private volatile boolean closed;
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

  /**
   * @param metaCallTimeoutMs how long a namespace call on the framed protocol waits for its answer
   *     before the node is taken for gone
   * @param onWaiting told, once per call, when the call has failed on the nodes for {@link
   *     #WAITING_NOTICE_AFTER} and goes on trying: what failed last, and for how long in all
   */
  public Connections(List<String> addresses, Duration failoverTimeout, int metaCallTimeoutMs,
      Consumer<String> onWaiting) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no node addresses given");
    }
    this.addresses = new CopyOnWriteArrayList<>(addresses);
    this.failoverTimeout = failoverTimeout;
    this.meta = new MetaWire(metaCallTimeoutMs);
    this.onWaiting = onWaiting;
  }

  /** The addresses given, then those learned from leader hints. */
  public List<String> addresses() {
    return List.copyOf(addresses);
  }

  public String currentAddress() {
    return addresses.get(Math.floorMod(current.get(), addresses.size()));
  }

  /**
   * The gRPC channel to {@code address}, for the calls that are not on the framed protocol
   * (cluster status, decommissioning): few, and none on a hot path.
   */
  public ManagedChannel channel(String address) {
    // No gRPC retries: the client retries by itself, on another node if need be (mutations carry
    // request ids), and gRPC's retry layer would buffer every message of every call.
    return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a)
        .eventLoopGroup(eventLoop())
        .channelType(NioSocketChannel.class)
        .usePlaintext()
        .disableRetry()
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .intercept(hintReader)
        .build());
  }

  /**
   * The one thread that runs this client's gRPC channels, made with the first of them. gRPC's
   * shared threads outlive the last channel by a second, waiting in the kernel, and a JVM that
   * exits with a thread waiting there lets it finish for 300 ms first: a command that had asked
   * for the cluster's status took that much longer to end. This one ends with {@link #close}.
   */
  private synchronized EventLoopGroup eventLoop() {
    if (eventLoop == null) {
      eventLoop = new MultiThreadIoEventLoopGroup(1,
          new DefaultThreadFactory("cairn-client-grpc", true), NioIoHandler.newFactory());
    }
    return eventLoop;
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
    return callOnNodes(what, address -> attempt.run(channel(address), address));
  }

  /**
   * Runs a namespace call on the framed protocol ({@link MetaWire}), with failover; the answer's
   * status is for {@code status} to check (throwing {@link RetryableException} to move on).
   */
  public <T> T callMeta(String what, byte method, MessageLite request, Parser<T> parser,
      Checker<T> status) throws CairnException {
    return callOnNodes(what, address -> {
      MetaWire.Answer<T> answer;
      try {
        answer = meta.call(address, method, request, parser);
      } catch (IOException e) {
        throw new Unreachable(e);
      }
      if (answer.leaderHint() != null) {
        leaderHint = answer.leaderHint();
      }
      status.check(answer.response());
      return answer.response();
    });
  }

  /** Checks an answer: throws for a failure, {@link RetryableException} for one worth a retry. */
  public interface Checker<T> {
    void check(T response) throws CairnException;
  }

  private interface OnNode<T> {
    T run(String address) throws CairnException;
  }

  /** A node that could not be reached on the framed protocol. */
  private static final class Unreachable extends RuntimeException {
    Unreachable(IOException cause) {
      super(cause.getMessage(), cause, false, false);
    }
  }

  private <T> T callOnNodes(String what, OnNode<T> attempt) throws CairnException {
    long started = System.nanoTime();
    long deadline = started + failoverTimeout.toNanos();
    long noticeAt = started + WAITING_NOTICE_AFTER.toNanos();
    boolean noticed = false;
    int tries = 0;
    CairnException last = null;
    while (true) {
      if (closed) {
        throw new CairnException(ErrorCode.UNAVAILABLE, what + ": the client is closed");
      }
      int index = current.get();
      String address = addresses.get(Math.floorMod(index, addresses.size()));
      try {
        T result = attempt.run(address);
        followHint(address);
        return result;
      } catch (Unreachable e) {
        last = new CairnException(ErrorCode.UNAVAILABLE,
            what + ": node " + address + " unreachable (" + e.getCause() + ")", e.getCause());
      } catch (StatusRuntimeException e) {
        if (!transient_(e.getStatus().getCode())) {
          throw new CairnException(ErrorCode.INTERNAL,
              what + " failed on " + address + ": " + e.getStatus(), e);
        }
        last = new CairnException(ErrorCode.UNAVAILABLE,
            what + ": node " + address + " unreachable (" + e.getStatus().getCode() + ")", e);
        if (e.getStatus().getCode() == Code.UNAVAILABLE) {
          // A channel that failed to connect waits before it tries again (1 s, then longer),
          // and fails every call meanwhile: a node that came up a moment later, as a starting
          // or restarted one does, stayed unreachable to this client for seconds.
          ManagedChannel channel = channels.get(address);
          if (channel != null) {
            channel.resetConnectBackoff();
          }
        }
      } catch (RetryableException e) {
        last = e.cause;
      }
      tries++;
      long now = System.nanoTime();
      if (now > deadline) {
        throw new CairnException(last.code(), last.getMessage() + "; gave up after "
            + shown(failoverTimeout) + " and " + tries + " tries", last);
      }
      if (!noticed && now >= noticeAt) {
        noticed = true;
        onWaiting.accept(last.getMessage() + "; still trying every node, for up to "
            + shown(failoverTimeout) + " in all");
      }
      // Move on from the node that failed, unless another thread already did.
      if (current.compareAndSet(index, index + 1)) {
        log.debug("{}: moving from {} to the next node: {}", what, address, last.getMessage());
      }
      pause(tries);
    }
  }

  /** "30 s", or "500 ms" below a second. */
  private static String shown(Duration d) {
    return d.toMillis() < 1000 ? d.toMillis() + " ms" : d.toSeconds() + " s";
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
    closed = true;
    meta.close();
    channels.values().forEach(ManagedChannel::shutdownNow);
    try {
      for (ManagedChannel c : channels.values()) {
        c.awaitTermination(2, TimeUnit.SECONDS);
      }
      EventLoopGroup group;
      synchronized (this) {
        group = eventLoop;
      }
      if (group != null) {
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).await(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
