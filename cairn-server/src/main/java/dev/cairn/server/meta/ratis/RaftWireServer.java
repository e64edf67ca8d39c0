package dev.cairn.server.meta.ratis;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.ratis.client.impl.ClientProtoUtils;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotReplyProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcReplyProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteReplyProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionReplyProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyExceptionReplyProto;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyServerReplyProto;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyServerRequestProto;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.RaftServerRpcWithProxy;
import org.apache.ratis.server.protocol.RaftServerAsynchronousProtocol;
import org.apache.ratis.util.IOUtils;
import org.apache.ratis.util.JavaUtils;
import org.apache.ratis.util.PeerProxyMap;
import org.apache.ratis.util.ProtoUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis's server transport for Cairn: the Raft messages of Ratis's Netty transport, carried over
 * plain sockets with a platform thread per connection, so that a message costs as few thread
 * hand-offs as it can.
 *
 * <p>Inbound, a connection's thread reads each request and hands it to the Raft server at once:
 * an append goes to the server's division without waiting for the one before it, so a follower's
 * log can flush several appends together. Replies leave in the order of the requests, written by
 * whichever thread finished the last one needed (for an append, the server thread that saw the
 * log flushed). Outbound, requests are written on the caller's thread ({@link
 * RaftWireConnection}).
 *
 * <p>Raft clients' requests come in on the same kind of connection ({@link RaftWireClientRpc});
 * Ratis's own Netty client could send them too, since the messages are the same.
 */
final class RaftWireServer
    extends RaftServerRpcWithProxy<RaftWireConnection, PeerProxyMap<RaftWireConnection>> {
  private static final Logger LOG = LoggerFactory.getLogger(RaftWireServer.class);
  private static final int BUFFER_BYTES = 64 * 1024;

  private final RaftServer server;
  private final RpcType rpcType;
  private final InetSocketAddress bindAddress;
  private final long requestTimeoutMs;
  private final Set<Socket> inbound = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket listener;

  RaftWireServer(RaftServer server, RpcType rpcType) {
    super(server::getId, id -> new PeerProxyMap<>(id.toString(), peer -> RaftWireConnection.open(
        peer, id.toString(), (int) requestTimeoutMs(server))));
    this.server = server;
    this.rpcType = rpcType;
    String host = NettyConfigKeys.Server.host(server.getProperties());
    int port = NettyConfigKeys.Server.port(server.getProperties());
    this.bindAddress = host == null || host.isEmpty()
        ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    this.requestTimeoutMs = requestTimeoutMs(server);
  }

  private static long requestTimeoutMs(RaftServer server) {
    return RaftServerConfigKeys.Rpc.requestTimeout(server.getProperties())
        .toLong(TimeUnit.MILLISECONDS);
  }

  @Override
  public RpcType getRpcType() {
    return rpcType;
  }

  @Override
  protected void startImpl() throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(bindAddress, 128);
    listener = socket;
    Thread.ofPlatform().daemon().name("raft-accept-" + getId()).start(this::accept);
  }

  @Override
  public void closeImpl() throws IOException {
    ServerSocket socket = listener;
    if (socket != null) {
      socket.close();
    }
    inbound.forEach(RaftWireServer::closeQuietly);
    super.closeImpl();
  }

  @Override
  public InetSocketAddress getInetSocketAddress() {
    ServerSocket socket = listener;
    if (socket == null) {
      return bindAddress;
    }
    InetAddress address = socket.getInetAddress();
    return new InetSocketAddress(address, socket.getLocalPort());
  }

  // ------------------------------------------------------------------------------ outbound

  @Override
  public RequestVoteReplyProto requestVote(RequestVoteRequestProto request) throws IOException {
    return call(request.getServerRequest(),
        RaftNettyServerRequestProto.newBuilder().setRequestVoteRequest(request).build())
        .getRequestVoteReply();
  }

  @Override
  public StartLeaderElectionReplyProto startLeaderElection(StartLeaderElectionRequestProto request)
      throws IOException {
    return call(request.getServerRequest(),
        RaftNettyServerRequestProto.newBuilder().setStartLeaderElectionRequest(request).build())
        .getStartLeaderElectionReply();
  }

  @Override
  public AppendEntriesReplyProto appendEntries(AppendEntriesRequestProto request)
      throws IOException {
    return call(request.getServerRequest(),
        RaftNettyServerRequestProto.newBuilder().setAppendEntriesRequest(request).build())
        .getAppendEntriesReply();
  }

  @Override
  public InstallSnapshotReplyProto installSnapshot(InstallSnapshotRequestProto request)
      throws IOException {
    return call(request.getServerRequest(),
        RaftNettyServerRequestProto.newBuilder().setInstallSnapshotRequest(request).build())
        .getInstallSnapshotReply();
  }

  private RaftNettyServerReplyProto call(RaftRpcRequestProto header,
      RaftNettyServerRequestProto request) throws IOException {
    RaftPeerId peer = RaftPeerId.valueOf(header.getReplyId());
    try {
      return getProxies().getProxy(peer)
          .call(request, requestTimeoutMs + header.getTimeoutMs());
    } catch (IOException e) {
      // A connection that failed or timed out is dropped; the next call opens a new one.
      getProxies().handleException(peer, e, true);
      throw e;
    }
  }

  // ------------------------------------------------------------------------------- inbound

  private void accept() {
    ServerSocket socket = listener;
    while (!socket.isClosed()) {
      Socket s;
      try {
        s = socket.accept();
      } catch (IOException e) {
        if (!socket.isClosed()) {
          LOG.warn("{}: accepting a Raft connection failed", getId(), e);
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // a breath, not a spin
        }
        continue;
      }
      try {
        s.setTcpNoDelay(true);
        Inbound connection = new Inbound(s);
        inbound.add(s);
        Thread.ofPlatform().daemon().name("raft-" + getId() + "<-" + s.getRemoteSocketAddress())
            .start(connection::serve);
      } catch (IOException | RuntimeException e) {
        LOG.warn("{}: cannot serve the Raft connection from {}", getId(),
            s.getRemoteSocketAddress(), e);
        closeQuietly(s);
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Nothing more to do with it.
    }
  }

  /** One peer's or client's connection: its requests, and their replies in the same order. */
  private final class Inbound {
    private final Socket socket;
    private final RaftFrames.Reader in;
    private final InOrderReplies replies;

    Inbound(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new RaftFrames.Reader(
          new BufferedInputStream(socket.getInputStream(), BUFFER_BYTES));
      this.replies = new InOrderReplies(
          new BufferedOutputStream(socket.getOutputStream(), BUFFER_BYTES),
          () -> closeQuietly(socket));
    }

    void serve() {
      try {
        while (true) {
          RaftNettyServerRequestProto request = in.next(RaftNettyServerRequestProto.parser());
          if (request == null) {
            return; // the peer closed it
          }
          replies.add(handle(request));
        }
      } catch (SocketException e) {
        // Closed by the peer or by this server's close.
      } catch (IOException | RuntimeException e) {
        if (!socket.isClosed()) {
          LOG.warn("{}: Raft connection from {} failed", getId(), socket.getRemoteSocketAddress(),
              e);
        }
      } finally {
        inbound.remove(socket);
        closeQuietly(socket);
      }
    }
  }

  /** The reply to one request; never fails, a failure becomes an exception reply. */
  private CompletableFuture<RaftNettyServerReplyProto> handle(RaftNettyServerRequestProto proto) {
    RaftRpcRequestProto header = header(proto);
    CompletableFuture<RaftNettyServerReplyProto> reply;
    try {
      reply = dispatch(proto);
    } catch (Throwable t) {
      reply = CompletableFuture.failedFuture(t);
    }
    return reply.handle((r, error) -> error == null ? r
        : exceptionReply(header,
            IOUtils.asIOException(JavaUtils.unwrapCompletionException(error))));
  }

  private CompletableFuture<RaftNettyServerReplyProto> dispatch(RaftNettyServerRequestProto proto)
      throws IOException {
    RaftNettyServerReplyProto.Builder reply = RaftNettyServerReplyProto.newBuilder();
    switch (proto.getRaftNettyServerRequestCase()) {
      case APPENDENTRIESREQUEST -> {
        AppendEntriesRequestProto request = proto.getAppendEntriesRequest();
        return appender(request.getServerRequest()).appendEntriesAsync(request)
            .thenApply(r -> reply.setAppendEntriesReply(r).build());
      }
      case REQUESTVOTEREQUEST -> {
        return CompletableFuture.completedFuture(
            reply.setRequestVoteReply(server.requestVote(proto.getRequestVoteRequest())).build());
      }
      case STARTLEADERELECTIONREQUEST -> {
        return CompletableFuture.completedFuture(reply.setStartLeaderElectionReply(
            server.startLeaderElection(proto.getStartLeaderElectionRequest())).build());
      }
      case INSTALLSNAPSHOTREQUEST -> {
        return CompletableFuture.completedFuture(reply.setInstallSnapshotReply(
            server.installSnapshot(proto.getInstallSnapshotRequest())).build());
      }
      case RAFTCLIENTREQUEST -> {
        return clientReply(reply, server.submitClientRequestAsync(
            ClientProtoUtils.toRaftClientRequest(proto.getRaftClientRequest())));
      }
      case SETCONFIGURATIONREQUEST -> {
        return clientReply(reply, server.setConfigurationAsync(
            ClientProtoUtils.toSetConfigurationRequest(proto.getSetConfigurationRequest())));
      }
      case TRANSFERLEADERSHIPREQUEST -> {
        return clientReply(reply, server.transferLeadershipAsync(
            ClientProtoUtils.toTransferLeadershipRequest(proto.getTransferLeadershipRequest())));
      }
      case SNAPSHOTMANAGEMENTREQUEST -> {
        return clientReply(reply, server.snapshotManagementAsync(
            ClientProtoUtils.toSnapshotManagementRequest(proto.getSnapshotManagementRequest())));
      }
      case LEADERELECTIONMANAGEMENTREQUEST -> {
        return clientReply(reply, server.leaderElectionManagementAsync(
            ClientProtoUtils.toLeaderElectionManagementRequest(
                proto.getLeaderElectionManagementRequest())));
      }
      case GROUPMANAGEMENTREQUEST -> {
        return clientReply(reply, server.groupManagementAsync(
            ClientProtoUtils.toGroupManagementRequest(proto.getGroupManagementRequest())));
      }
      case GROUPLISTREQUEST -> {
        return server.getGroupListAsync(
                ClientProtoUtils.toGroupListRequest(proto.getGroupListRequest()))
            .thenApply(r -> reply.setGroupListReply(ClientProtoUtils.toGroupListReplyProto(r))
                .build());
      }
      case GROUPINFOREQUEST -> {
        return server.getGroupInfoAsync(
                ClientProtoUtils.toGroupInfoRequest(proto.getGroupInfoRequest()))
            .thenApply(r -> reply.setGroupInfoReply(ClientProtoUtils.toGroupInfoReplyProto(r))
                .build());
      }
      default -> throw new IOException(
          "unsupported Raft request " + proto.getRaftNettyServerRequestCase());
    }
  }

  /**
   * The division an append is for, called directly: the server's own entry point would first
   * hand the append to a thread of its pool and wait for it there.
   */
  private RaftServerAsynchronousProtocol appender(RaftRpcRequestProto header) throws IOException {
    RaftServer.Division division =
        server.getDivision(ProtoUtils.toRaftGroupId(header.getRaftGroupId()));
    return division instanceof RaftServerAsynchronousProtocol direct ? direct : server;
  }

  private static CompletableFuture<RaftNettyServerReplyProto> clientReply(
      RaftNettyServerReplyProto.Builder reply, CompletableFuture<RaftClientReply> future) {
    return future.thenApply(r ->
        reply.setRaftClientReply(ClientProtoUtils.toRaftClientReplyProto(r)).build());
  }

  private static RaftRpcRequestProto header(RaftNettyServerRequestProto proto) {
    return switch (proto.getRaftNettyServerRequestCase()) {
      case APPENDENTRIESREQUEST -> proto.getAppendEntriesRequest().getServerRequest();
      case REQUESTVOTEREQUEST -> proto.getRequestVoteRequest().getServerRequest();
      case STARTLEADERELECTIONREQUEST -> proto.getStartLeaderElectionRequest().getServerRequest();
      case INSTALLSNAPSHOTREQUEST -> proto.getInstallSnapshotRequest().getServerRequest();
      case RAFTCLIENTREQUEST -> proto.getRaftClientRequest().getRpcRequest();
      case SETCONFIGURATIONREQUEST -> proto.getSetConfigurationRequest().getRpcRequest();
      case TRANSFERLEADERSHIPREQUEST -> proto.getTransferLeadershipRequest().getRpcRequest();
      case SNAPSHOTMANAGEMENTREQUEST -> proto.getSnapshotManagementRequest().getRpcRequest();
      case LEADERELECTIONMANAGEMENTREQUEST ->
          proto.getLeaderElectionManagementRequest().getRpcRequest();
      case GROUPMANAGEMENTREQUEST -> proto.getGroupManagementRequest().getRpcRequest();
      case GROUPLISTREQUEST -> proto.getGroupListRequest().getRpcRequest();
      case GROUPINFOREQUEST -> proto.getGroupInfoRequest().getRpcRequest();
      default -> RaftRpcRequestProto.getDefaultInstance();
    };
  }

  /**
   * A failure as Ratis's Netty transport answers one: the exception itself, Java-serialized, which
   * its client turns back into the exception. The format is Ratis's; Cairn's own protocols never
   * carry Java objects.
   */
  private static RaftNettyServerReplyProto exceptionReply(RaftRpcRequestProto request,
      IOException e) {
    RaftRpcReplyProto.Builder rpcReply = RaftRpcReplyProto.newBuilder()
        .setRequestorId(request.getRequestorId())
        .setReplyId(request.getReplyId())
        .setCallId(request.getCallId())
        .setSuccess(false);
    return RaftNettyServerReplyProto.newBuilder()
        .setExceptionReply(RaftNettyExceptionReplyProto.newBuilder()
            .setRpcReply(rpcReply)
            .setException(ProtoUtils.writeObject2ByteString(e)))
        .build();
  }
}
