package dev.cairn.server.rpc;

import dev.cairn.meta.PathNames;
import dev.cairn.proto.BlockMap;
import dev.cairn.proto.BlockMapRequest;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.ClusterStatusRequest;
import dev.cairn.proto.ClusterStatusResponse;
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
  private final int defaultReplication;

  public MetaGrpcService(RaftMeta meta, Clock clock, ClusterProbe probe, int defaultReplication) {
    this.meta = meta;
    this.clock = clock;
    this.probe = probe;
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
    mutate(command(request.getRequestId()).setCommit(request), out);
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
    List<NodeStatus> nodes = probe.probeAll();
    ClusterStatusResponse.Builder b = ClusterStatusResponse.newBuilder()
        .addAllNodes(nodes)
        .setDefaultReplication(defaultReplication);
    String leader = meta.leaderId();
    b.setLeaderId(leader == null ? "" : leader);
    try {
      NamespaceSummary s = summary.join().getSummary();
      b.setFiles(s.getFiles()).setDirectories(s.getDirectories()).setBlocks(s.getBlocks());
      Set<String> up = new HashSet<>();
      nodes.stream().filter(NodeStatus::getUp).forEach(n -> up.add(n.getId()));
      BlockMap map = blocks.join().getBlockMap();
      long under = 0;
      long underBytes = 0;
      for (int i = 0; i < map.getBlocksCount(); i++) {
        BlockRef block = map.getBlocks(i);
        long live = block.getReplicasList().stream().filter(up::contains).count();
        if (live < map.getReplication(i)) {
          under++;
          underBytes += block.getLength();
        }
      }
      b.setUnderReplicatedBlocks(under).setUnderReplicatedBytes(underBytes);
      b.setStatus(Statuses.OK);
    } catch (CompletionException | RaftMeta.MetaUnavailableException e) {
      // The node table is still worth showing when the namespace has no leader.
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
