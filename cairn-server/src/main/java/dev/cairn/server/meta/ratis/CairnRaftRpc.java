package dev.cairn.server.meta.ratis;

import org.apache.ratis.client.ClientFactory;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerRpc;
import org.apache.ratis.server.ServerFactory;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;

/**
 * Cairn's Raft transport, as Ratis plugs one in: {@link RaftWireServer} between the nodes, with
 * {@link PipelinedLogAppender} on the leader, and {@link RaftWireClientRpc} for Raft clients. Ratis
 * finds it by its class name in the {@code raft.rpc.type} property.
 */
public final class CairnRaftRpc implements RpcType {
  @Override
  public String name() {
    return CairnRaftRpc.class.getName();
  }

  @Override
  public RpcFactory newFactory(Parameters parameters) {
    return new Factory(this);
  }

  private record Factory(RpcType type) implements ServerFactory, ClientFactory {
    @Override
    public RpcType getRpcType() {
      return type;
    }

    @Override
    public RaftServerRpc newRaftServerRpc(RaftServer server) {
      return new RaftWireServer(server, type);
    }

    @Override
    public LogAppender newLogAppender(RaftServer.Division server, LeaderState state,
        FollowerInfo follower) {
      return new PipelinedLogAppender(server, state, follower);
    }

    @Override
    public RaftClientRpc newRaftClientRpc(ClientId clientId, RaftProperties properties) {
      return new RaftWireClientRpc(clientId, properties);
    }
  }
}
