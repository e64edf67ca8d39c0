package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import dev.cairn.client.ErrorCode;
import dev.cairn.proto.MetaServiceGrpc;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.StatResponse;
import dev.cairn.proto.Status;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client's calls to one node take its connections in turn. The node here is a stand-in that
 * answers every stat with "not found" and notes which connection (client port) each call came
 * on: the point is the client's side of the wire.
 */
class ConnectionsTest {
  private final Map<SocketAddress, AtomicInteger> callsPerConnection = new ConcurrentHashMap<>();
  private Server node;

  @BeforeEach
  void startNode() throws Exception {
    ServerInterceptor notePeer = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        callsPerConnection.computeIfAbsent(peer, p -> new AtomicInteger()).incrementAndGet();
        return next.startCall(call, headers);
      }
    };
    MetaServiceGrpc.MetaServiceImplBase meta = new MetaServiceGrpc.MetaServiceImplBase() {
      @Override
      public void stat(PathRequest request, StreamObserver<StatResponse> out) {
        out.onNext(StatResponse.newBuilder().setStatus(Status.newBuilder()
            .setCode(dev.cairn.proto.ErrorCode.NOT_FOUND).setMessage("no " + request.getPath()))
            .build());
        out.onCompleted();
      }
    };
    node = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(meta, notePeer))
        .build()
        .start();
  }

  @AfterEach
  void stopNode() {
    node.shutdownNow();
  }

  private String address() {
    return "127.0.0.1:" + node.getPort();
  }

  @Test
  void callsTakeTheConnectionsInTurn() throws Exception {
    try (CairnClient client =
        CairnClient.builder().addresses(address()).connectionsPerNode(3).build()) {
      for (int i = 0; i < 12; i++) {
        int n = i;
        assertThatThrownBy(() -> client.stat("/f" + n))
            .isInstanceOfSatisfying(CairnException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
      }
    }
    assertThat(callsPerConnection).hasSize(3);
    assertThat(callsPerConnection.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(4));
  }

  @Test
  void oneConnectionCarriesEveryCall() throws Exception {
    try (CairnClient client =
        CairnClient.builder().addresses(address()).connectionsPerNode(1).build()) {
      for (int i = 0; i < 5; i++) {
        assertThat(client.exists("/f" + i)).isFalse();
      }
    }
    assertThat(callsPerConnection).hasSize(1);
    assertThat(callsPerConnection.values().iterator().next().get()).isEqualTo(5);
  }

  @Test
  void aConnectionCountOutOfRangeIsRefused() {
    assertThatThrownBy(() -> CairnClient.builder().connectionsPerNode(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1..64");
  }
}
