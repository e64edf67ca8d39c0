package dev.cairn.server.meta.ratis;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.impl.ClientProtoUtils;
import org.apache.ratis.client.impl.RaftClientRpcWithProxy;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyServerReplyProto;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyServerRequestProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.util.PeerProxyMap;

/**
 * A Raft client's requests on Cairn's own connections ({@link RaftWireConnection}), one per
 * server, in the messages {@link RaftWireServer} reads. Cairn's Raft client forwards commands from
 * nodes that do not lead and changes the membership; it sends nothing else.
 *
 * <p>Ratis's Netty client closed a connection while holding the lock its event loop needs to
 * take a reply off the same connection, and waited up to 5 s for that event loop to close it: a
 * connection dropped while a reply came in (as the client does after an error, to reconnect) held
 * every request on that connection for 5 s. In 2 of the 3 measured rounds of one benchmark run,
 * a node's first forwarded requests hit it as the 3 nodes started together, and the cluster took
 * 7.1 and 5.3 s instead of 2.2 to take its first write.
 */
final class RaftWireClientRpc extends RaftClientRpcWithProxy<RaftWireConnection> {
  private final long requestTimeoutMs;

  RaftWireClientRpc(ClientId clientId, RaftProperties properties) {
    super(new PeerProxyMap<>(clientId.toString(), peer -> RaftWireConnection.open(
        peer, "client-" + clientId, (int) requestTimeoutMs(properties))));
    this.requestTimeoutMs = requestTimeoutMs(properties);
  }

  private static long requestTimeoutMs(RaftProperties properties) {
    return RaftClientConfigKeys.Rpc.requestTimeout(properties).toLong(TimeUnit.MILLISECONDS);
  }

  @Override
  public RaftClientReply sendRequest(RaftClientRequest request) throws IOException {
    RaftNettyServerRequestProto.Builder proto = RaftNettyServerRequestProto.newBuilder();
    if (request instanceof SetConfigurationRequest change) {
      proto.setSetConfigurationRequest(ClientProtoUtils.toSetConfigurationRequestProto(change));
    } else if (request.getClass() == RaftClientRequest.class) {
      proto.setRaftClientRequest(ClientProtoUtils.toRaftClientRequestProto(request));
    } else {
      // Group management, leadership transfer and the like: Cairn's client never sends them.
      throw new UnsupportedOperationException(
          "Cairn's Raft transport does not carry " + request.getClass().getSimpleName());
    }
    RaftNettyServerReplyProto reply = getProxies().getProxy(request.getServerId())
        .call(proto.build(), requestTimeoutMs + request.getTimeoutMs());
    return ClientProtoUtils.toRaftClientReply(reply.getRaftClientReply());
  }
}
