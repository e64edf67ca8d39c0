package dev.cairn.server.meta.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcReplyProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyExceptionReplyProto;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyServerReplyProto;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyServerRequestProto;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.util.ProtoUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A connection to a peer played by the test on a real socket. */
@Timeout(60)
class RaftWireConnectionTest {
  private static final long WAIT_SECONDS = 10;

  private ServerSocket listener;
  private Socket peer;
  private final BlockingQueue<RaftNettyServerRequestProto> received = new LinkedBlockingQueue<>();
  private RaftWireConnection connection;

  @BeforeEach
  void connect() throws Exception {
    listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
      try {
        return listener.accept();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    connection = RaftWireConnection.open(RaftPeer.newBuilder().setId("n2")
        .setAddress("127.0.0.1:" + listener.getLocalPort()).build(), "n1", 5_000);
    peer = accepted.get(WAIT_SECONDS, TimeUnit.SECONDS);
    Thread.ofPlatform().daemon().start(() -> {
      try {
        RaftFrames.Reader in =
            new RaftFrames.Reader(new BufferedInputStream(peer.getInputStream()));
        for (RaftNettyServerRequestProto r;
            (r = in.next(RaftNettyServerRequestProto.parser())) != null; ) {
          received.add(r);
        }
      } catch (IOException e) {
        // The test closed the peer.
      }
    });
  }

  @AfterEach
  void close() throws IOException {
    connection.close();
    peer.close();
    listener.close();
  }

  @Test
  void repliesCompleteTheRequestsInTheOrderTheyWereSent() throws Exception {
    List<CompletableFuture<RaftNettyServerReplyProto>> replies = new ArrayList<>();
    for (long callId = 1; callId <= 3; callId++) {
      replies.add(connection.send(append(callId)));
    }
    for (long callId = 1; callId <= 3; callId++) {
      RaftNettyServerRequestProto request = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
      assertThat(request).isNotNull();
      assertThat(request.getAppendEntriesRequest().getServerRequest().getCallId())
          .isEqualTo(callId);
    }
    for (long callId = 1; callId <= 3; callId++) {
      answer(success(callId));
    }
    for (int i = 0; i < 3; i++) {
      assertThat(replies.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS)
          .getAppendEntriesReply().getServerReply().getCallId()).isEqualTo(i + 1L);
    }
  }

  @Test
  void anExceptionReplyFailsItsOwnRequestWithThePeersException() throws Exception {
    CompletableFuture<RaftNettyServerReplyProto> first = connection.send(append(1));
    CompletableFuture<RaftNettyServerReplyProto> second = connection.send(append(2));
    answer(RaftNettyServerReplyProto.newBuilder().setExceptionReply(
        RaftNettyExceptionReplyProto.newBuilder()
            .setRpcReply(RaftRpcReplyProto.newBuilder().setCallId(1))
            .setException(ProtoUtils.writeObject2ByteString(new IOException("disk full"))))
        .build());
    answer(success(2));

    assertThatThrownBy(() -> first.get(WAIT_SECONDS, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(IOException.class).hasMessage("disk full");
    assertThat(second.get(WAIT_SECONDS, TimeUnit.SECONDS).hasAppendEntriesReply()).isTrue();
    assertThat(connection.isClosed()).isFalse();
  }

  @Test
  void aPeerThatHangsUpFailsEveryWaitingRequestAndLaterOnesAtOnce() throws Exception {
    CompletableFuture<RaftNettyServerReplyProto> first = connection.send(append(1));
    CompletableFuture<RaftNettyServerReplyProto> second = connection.send(append(2));
    assertThat(received.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isNotNull();

    peer.close();

    for (CompletableFuture<RaftNettyServerReplyProto> f : List.of(first, second)) {
      assertThatThrownBy(() -> f.get(WAIT_SECONDS, TimeUnit.SECONDS))
          .cause().isInstanceOf(IOException.class).hasMessageContaining("is closed");
    }
    assertThat(connection.isClosed()).isTrue();
    assertThat(connection.send(append(3))).isCompletedExceptionally();
  }

  @Test
  void aReplyToNoRequestClosesTheConnection() throws Exception {
    answer(success(9));

    org.awaitility.Awaitility.await().atMost(WAIT_SECONDS, TimeUnit.SECONDS)
        .until(connection::isClosed);
  }

  @Test
  void aCallThatGetsNoAnswerTimesOut() {
    assertThatThrownBy(() -> connection.call(append(1), 200))
        .isInstanceOf(TimeoutIOException.class)
        .hasMessageContaining("n2");
  }

  @Test
  void aPeerNobodyListensForCannotBeOpened() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    RaftPeer gone = RaftPeer.newBuilder().setId("n3").setAddress("127.0.0.1:" + port).build();

    assertThatThrownBy(() -> RaftWireConnection.open(gone, "n1", 2_000))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot connect to Raft peer n3");
  }

  private void answer(RaftNettyServerReplyProto reply) throws IOException {
    OutputStream out = peer.getOutputStream();
    reply.writeDelimitedTo(out);
    out.flush();
  }

  private static RaftNettyServerRequestProto append(long callId) {
    return RaftNettyServerRequestProto.newBuilder().setAppendEntriesRequest(
        AppendEntriesRequestProto.newBuilder().setServerRequest(
            RaftRpcRequestProto.newBuilder().setCallId(callId))).build();
  }

  private static RaftNettyServerReplyProto success(long callId) {
    return RaftNettyServerReplyProto.newBuilder().setAppendEntriesReply(
        AppendEntriesReplyProto.newBuilder().setServerReply(
            RaftRpcReplyProto.newBuilder().setCallId(callId).setSuccess(true))).build();
  }
}
