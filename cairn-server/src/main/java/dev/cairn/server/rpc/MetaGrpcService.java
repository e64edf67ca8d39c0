package dev.cairn.server.rpc;

import dev.cairn.meta.PathNames;
import dev.cairn.proto.ClusterInfo;
import dev.cairn.proto.ClusterInfoRequest;
import dev.cairn.proto.DecommissionRequest;
import dev.cairn.proto.JoinRequest;
import dev.cairn.proto.JoinResponse;
import dev.cairn.proto.Membership;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.RegisterNode;
import dev.cairn.proto.SetMembership;
import dev.cairn.server.NodeConfig;
import java.io.IOException;
import dev.cairn.proto.BlockMap;
import dev.cairn.proto.BlockMapRequest;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.ClusterStatusRequest;
import dev.cairn.proto.ClusterStatusResponse;
import dev.cairn.proto.ClusterView;
import dev.cairn.proto.ClusterViewRequest;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.DeleteRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.ListResponse;
import dev.cairn.proto.LookupResponse;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaQuery;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.MetaServiceGrpc;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.MutationResponse;
import dev.cairn.proto.NamespaceSummary;
import dev.cairn.proto.NodeStatus;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.RenameRequest;
import dev.cairn.proto.StatResponse;
import dev.cairn.proto.SummaryRequest;
import dev.cairn.server.meta.ratis.RaftMeta;
import dev.cairn.server.replication.ClusterProbe;
import dev.cairn.server.replication.ClusterState;
import java.util.concurrent.TimeUnit;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * The namespace service: any node answers, proposing mutations to the Raft leader and running
 * queries linearizably. A mutation the leader did not confirm in time is answered UNAVAILABLE; the
 * client retries it with the same request id, and the namespace applies it once.
 */
public final class MetaGrpcService extends MetaServiceGrpc.MetaServiceImplBase {
  private final RaftMeta meta;
  private final Clock clock;
  private final ClusterProbe probe;
  private final PeerChannels peers;
  private final ClusterState cluster;
  private final int defaultReplication;
  private final long uploadWindowMs;

  /**
   * @param orphanGrace how old unreferenced blocks get before they are collected; commits may name
   *     only blocks stored within half of it
   */
  public MetaGrpcService(RaftMeta meta, Clock clock, ClusterProbe probe, PeerChannels peers,
      ClusterState cluster, int defaultReplication, java.time.Duration orphanGrace) {
    this.uploadWindowMs = Math.max(1, orphanGrace.toMillis() / 2);
    this.meta = meta;
    this.clock = clock;
    this.probe = probe;
    this.peers = peers;
    this.cluster = cluster;
    this.defaultReplication = defaultReplication;
  }

  @Override
  public void stat(PathRequest request, StreamObserver<StatResponse> out) {
    if (rejected(out, s -> StatResponse.newBuilder().setStatus(s).build(), request.getPath())) {
      return;
    }
    query(MetaQuery.newBuilder().setStat(request).build(), out,
        r -> StatResponse.newBuilder().setStatus(r.getStatus()).setInfo(r.getInfo()).build(),
        s -> StatResponse.newBuilder().setStatus(s).build());
  }

  @Override
  public void lookup(PathRequest request, StreamObserver<LookupResponse> out) {
    if (rejected(out, s -> LookupResponse.newBuilder().setStatus(s).build(), request.getPath())) {
      return;
    }
    query(MetaQuery.newBuilder().setLookup(request).build(), out,
        r -> LookupResponse.newBuilder().setStatus(r.getStatus()).setInfo(r.getInfo())
            .addAllNodes(r.getNodesList()).build(),
        s -> LookupResponse.newBuilder().setStatus(s).build());
  }

  @Override
  public void list(PathRequest request, StreamObserver<ListResponse> out) {
    if (rejected(out, s -> ListResponse.newBuilder().setStatus(s).build(), request.getPath())) {
      return;
    }
    query(MetaQuery.newBuilder().setList(request).build(), out,
        r -> ListResponse.newBuilder().setStatus(r.getStatus()).addAllEntries(r.getEntriesList())
            .build(),
        s -> ListResponse.newBuilder().setStatus(s).build());
  }

  @Override
  public void mkdir(MkdirRequest request, StreamObserver<MutationResponse> out) {
    if (rejected(out, MetaGrpcService::mutationFailure, request.getPath())) {
      return;
    }
    mutate(command(request.getRequestId()).setMkdir(request), out);
  }

  @Override
  public void commit(CommitRequest request, StreamObserver<MutationResponse> out) {
    if (rejected(out, MetaGrpcService::mutationFailure, request.getPath())) {
      return;
    }
    mutate(command(request.getRequestId()).setCommit(request).setUploadWindowMs(uploadWindowMs),
        out);
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<MutationResponse> out) {
    if (rejected(out, MetaGrpcService::mutationFailure, request.getPath())) {
      return;
    }
    mutate(command(request.getRequestId()).setDelete(request), out);
  }

  @Override
  public void rename(RenameRequest request, StreamObserver<MutationResponse> out) {
    if (rejected(out, MetaGrpcService::mutationFailure, request.getSource(),
        request.getTarget())) {
      return;
    }
    mutate(command(request.getRequestId()).setRename(request), out);
  }

  @Override
  public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> out) {
    CompletableFuture<MetaQueryResult> summary =
        meta.query(MetaQuery.newBuilder().setSummary(SummaryRequest.getDefaultInstance()).build());
    CompletableFuture<MetaQueryResult> blocks =
        meta.query(MetaQuery.newBuilder().setBlockMap(BlockMapRequest.getDefaultInstance()).build());
    String leader = meta.leaderId();
    ClusterView view = leaderView(leader);
    // The leader's heartbeat view says how long each node has been silent; without a leader,
    // ask every node directly.
    List<NodeStatus> nodes = view != null ? view.getNodesList() : probe.probeAll();
    ClusterStatusResponse.Builder b = ClusterStatusResponse.newBuilder()
        .setDefaultReplication(defaultReplication);
    if (view != null) {
      b.setHealing(view.getHealing());
    }
    b.setLeaderId(leader == null ? "" : leader);
    try {
      NamespaceSummary s = summary.join().getSummary();
      b.setFiles(s.getFiles()).setDirectories(s.getDirectories()).setBlocks(s.getBlocks());
      Set<String> up = new HashSet<>();
      nodes.stream().filter(NodeStatus::getUp).forEach(n -> up.add(n.getId()));
      BlockMap map = blocks.join().getBlockMap();
      long under = 0;
      long underBytes = 0;
      java.util.Map<String, Long> referenced = new java.util.HashMap<>();
      for (int i = 0; i < map.getBlocksCount(); i++) {
        BlockRef block = map.getBlocks(i);
        block.getReplicasList().forEach(n -> referenced.merge(n, 1L, Long::sum));
        long live = block.getReplicasList().stream().filter(up::contains).count();
        if (live < map.getReplication(i)) {
          under++;
          underBytes += block.getLength();
        }
      }
      b.setUnderReplicatedBlocks(under).setUnderReplicatedBytes(underBytes);
      for (NodeStatus n : nodes) {
        b.addNodes(n.toBuilder().setReferencedBlocks(referenced.getOrDefault(n.getId(), 0L)));
      }
      b.setStatus(Statuses.OK);
    } catch (CompletionException | RaftMeta.MetaUnavailableException e) {
      // The node table is still worth showing when the namespace has no leader.
      b.clearNodes().addAllNodes(nodes);
      b.setStatus(Statuses.of(ErrorCode.UNAVAILABLE, "namespace unavailable: " + rootMessage(e)));
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  /**
   * Answers INVALID_ARGUMENT at once for a malformed path, so that bad input never costs a log
   * entry. The namespace checks again when it applies a command: this is only the fast path.
   */
  private static <T> boolean rejected(
      StreamObserver<T> out, Function<dev.cairn.proto.Status, T> failure, String... paths) {
    for (String path : paths) {
      String problem = PathNames.validate(path);
      if (problem != null) {
        out.onNext(failure.apply(Statuses.of(ErrorCode.INVALID_ARGUMENT, problem)));
        out.onCompleted();
        return true;
      }
    }
    return false;
  }

  private static MutationResponse mutationFailure(dev.cairn.proto.Status status) {
    return MutationResponse.newBuilder().setStatus(status).build();
  }

  @Override
  public void getClusterInfo(ClusterInfoRequest request, StreamObserver<ClusterInfo> out) {
    ClusterInfo.Builder b = ClusterInfo.newBuilder().setGroupId(meta.groupId());
    try {
      meta.members(true).forEach((id, a) ->
          b.addVoters(NodeAddress.newBuilder().setId(id).setAddress(a)));
      meta.members(false).forEach((id, a) ->
          b.addListeners(NodeAddress.newBuilder().setId(id).setAddress(a)));
      b.setStatus(Statuses.OK);
    } catch (IOException e) {
      b.setStatus(Statuses.of(ErrorCode.UNAVAILABLE, "cannot read the Raft group: " + e));
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void join(JoinRequest request, StreamObserver<JoinResponse> out) {
    NodeAddress node = request.getNode();
    JoinResponse.Builder b = JoinResponse.newBuilder();
    if (!meta.isLeader()) {
      b.setStatus(Statuses.of(ErrorCode.UNAVAILABLE, "not the leader (the leader is "
          + meta.leaderId() + ")"));
    } else if (!node.getId().matches("[A-Za-z0-9_.-]{1,64}")) {
      b.setStatus(Statuses.of(ErrorCode.INVALID_ARGUMENT, "bad node id '" + node.getId() + "'"));
    } else {
      try {
        NodeConfig.parseAddress(node.getAddress());
        String known = cluster.address(node.getId());
        if (known != null && !known.equals(node.getAddress())) {
          b.setStatus(Statuses.of(ErrorCode.ALREADY_EXISTS, "node id " + node.getId()
              + " is taken by the node at " + known));
        } else {
          boolean voter = meta.addPeer(node.getId(), node.getAddress());
          cluster.learnAddress(node.getId(), node.getAddress());
          meta.submit(MetaCommand.newBuilder().setTimeMs(clock.millis())
                  .setRegisterNode(RegisterNode.newBuilder().setNode(node)).build())
              .get(30, TimeUnit.SECONDS);
          if (cluster.membership(node.getId()) != Membership.ACTIVE) {
            // A retired node that joins again comes back into service.
            meta.submit(MetaCommand.newBuilder().setTimeMs(clock.millis())
                    .setSetMembership(SetMembership.newBuilder().setNodeId(node.getId())
                        .setMembership(Membership.ACTIVE)).build())
                .get(30, TimeUnit.SECONDS);
          }
          b.setStatus(Statuses.OK).setVoter(voter);
        }
      } catch (IllegalArgumentException e) {
        b.setStatus(Statuses.of(ErrorCode.INVALID_ARGUMENT, e.getMessage()));
      } catch (Exception e) {
        b.setStatus(Statuses.of(ErrorCode.UNAVAILABLE, "join failed: " + rootMessage(e)));
      }
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void decommission(DecommissionRequest request, StreamObserver<MutationResponse> out) {
    String id = request.getNodeId();
    if (cluster.address(id) == null) {
      out.onNext(mutationFailure(Statuses.of(ErrorCode.NOT_FOUND, "no node " + id)));
      out.onCompleted();
      return;
    }
    long active = cluster.addresses().keySet().stream()
        .filter(n -> !n.equals(id) && cluster.membership(n) == Membership.ACTIVE)
        .count();
    if (active < defaultReplication) {
      out.onNext(mutationFailure(Statuses.of(ErrorCode.INVALID_ARGUMENT, "cannot decommission "
          + id + ": the " + active + " other active node(s) cannot hold " + defaultReplication
          + " replicas of every block; add a node first")));
      out.onCompleted();
      return;
    }
    mutate(command(request.getRequestId()).setSetMembership(SetMembership.newBuilder()
        .setNodeId(id).setMembership(Membership.DECOMMISSIONING)), out);
  }

  private ClusterView leaderView(String leader) {
    String address = leader == null ? null : cluster.address(leader);
    if (address == null) {
      return null;
    }
    try {
      ClusterView v = peers.blocksBlocking(address)
          .withDeadlineAfter(2, TimeUnit.SECONDS)
          .getClusterView(ClusterViewRequest.getDefaultInstance());
      return v.getStatus().getCode() == ErrorCode.OK ? v : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  private MetaCommand.Builder command(dev.cairn.proto.RequestId requestId) {
    return MetaCommand.newBuilder().setRequestId(requestId).setTimeMs(clock.millis());
  }

  private void mutate(MetaCommand.Builder command, StreamObserver<MutationResponse> out) {
    meta.submit(command.build()).whenComplete((result, error) -> {
      if (error != null) {
        out.onNext(MutationResponse.newBuilder()
            .setStatus(Statuses.of(ErrorCode.UNAVAILABLE, rootMessage(error))).build());
      } else {
        MutationResponse.Builder b = MutationResponse.newBuilder().setStatus(result.getStatus());
        if (result.hasInfo()) {
          b.setInfo(result.getInfo());
        }
        out.onNext(b.build());
      }
      out.onCompleted();
    });
  }

  private <T> void query(
      MetaQuery query,
      StreamObserver<T> out,
      Function<MetaQueryResult, T> ok,
      Function<dev.cairn.proto.Status, T> failed) {
    meta.query(query).whenComplete((result, error) -> {
      out.onNext(error != null
          ? failed.apply(Statuses.of(ErrorCode.UNAVAILABLE, rootMessage(error)))
          : ok.apply(result));
      out.onCompleted();
    });
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c.getMessage() == null) && c.getCause() != null) {
      c = c.getCause();
    }
    return String.valueOf(c.getMessage());
  }
}
