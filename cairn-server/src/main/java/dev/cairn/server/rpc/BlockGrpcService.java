package dev.cairn.server.rpc;

import dev.cairn.client.internal.BlockReadStream;
import dev.cairn.proto.BlockReportRequest;
import dev.cairn.proto.BlockReportResponse;
import dev.cairn.proto.BlockServiceGrpc;
import dev.cairn.proto.ClusterView;
import dev.cairn.proto.ClusterViewRequest;
import dev.cairn.proto.HeartbeatRequest;
import dev.cairn.proto.HeartbeatResponse;
import dev.cairn.proto.CopyBlockRequest;
import dev.cairn.proto.CopyBlockResponse;
import dev.cairn.proto.DeleteBlocksRequest;
import dev.cairn.proto.DeleteBlocksResponse;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.NodeStatus;
import dev.cairn.proto.NodeStatusRequest;
import dev.cairn.server.storage.BlockStore;
import dev.cairn.server.storage.BlockStore.BlockWriter;
import dev.cairn.server.storage.BlockStore.StoredBlock;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * The block service of one node: block copies, reports and deletes, heartbeats. Block contents
 * are written and read on the data port instead, see {@link BlockDataServer}.
 */
public final class BlockGrpcService extends BlockServiceGrpc.BlockServiceImplBase {
  private static final int COPY_READ_TIMEOUT_MS = 60_000;

  private final String selfId;
  private final BlockStore store;
  private final Supplier<NodeStatus> nodeStatus;
  private final LeaderDuties leader;

  /** What only the leader answers: heartbeats and the cluster view built from them. */
  public interface LeaderDuties {
    boolean isLeader();

    void heartbeat(NodeStatus status);

    ClusterView view();
  }

  public BlockGrpcService(String selfId, BlockStore store, Supplier<NodeStatus> nodeStatus,
      LeaderDuties leader) {
    this.selfId = selfId;
    this.store = store;
    this.nodeStatus = nodeStatus;
    this.leader = leader;
  }

  @Override
  public void copyBlock(CopyBlockRequest request, StreamObserver<CopyBlockResponse> out) {
    long id = request.getBlockId();
    if (store.contains(id)) {
      out.onNext(CopyBlockResponse.newBuilder().setStatus(Statuses.OK).build());
      out.onCompleted();
      return;
    }
    String lastError = "no source given";
    for (NodeAddress source : request.getSourcesList()) {
      try {
        copyFrom(id, source.getAddress());
        out.onNext(CopyBlockResponse.newBuilder().setStatus(Statuses.OK).build());
        out.onCompleted();
        return;
      } catch (IOException | RuntimeException e) {
        lastError = "from " + source.getId() + ": " + e.getMessage();
      }
    }
    out.onNext(CopyBlockResponse.newBuilder()
        .setStatus(Statuses.of(ErrorCode.UNAVAILABLE, "cannot copy block: " + lastError))
        .build());
    out.onCompleted();
  }

  private void copyFrom(long id, String address) throws IOException {
    try (BlockReadStream source = BlockReadStream.open(address, id, 0, COPY_READ_TIMEOUT_MS);
        BlockWriter writer = store.create(id)) {
      byte[] buf = new byte[BlockStore.CHUNK_SIZE];
      int n;
      while ((n = source.next(buf)) > 0) {
        writer.write(buf, 0, n, source.lastCrc());
      }
      writer.commit();
    }
  }

  @Override
  public void blockReport(BlockReportRequest request, StreamObserver<BlockReportResponse> out) {
    BlockReportResponse.Builder b = BlockReportResponse.newBuilder().setStatus(Statuses.OK);
    for (StoredBlock block : store.list()) {
      b.addBlockIds(block.id()).addBlockAgesMs(block.ageMs());
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void deleteBlocks(DeleteBlocksRequest request, StreamObserver<DeleteBlocksResponse> out) {
    int deleted = 0;
    try {
      for (long id : request.getBlockIdsList()) {
        if (store.delete(id)) {
          deleted++;
        }
      }
      out.onNext(DeleteBlocksResponse.newBuilder().setStatus(Statuses.OK).setDeleted(deleted).build());
    } catch (IOException e) {
      out.onNext(DeleteBlocksResponse.newBuilder()
          .setStatus(Statuses.of(ErrorCode.INTERNAL, e.getMessage())).setDeleted(deleted).build());
    }
    out.onCompleted();
  }

  @Override
  public void getNodeStatus(NodeStatusRequest request, StreamObserver<NodeStatus> out) {
    out.onNext(nodeStatus.get());
    out.onCompleted();
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
    if (!leader.isLeader()) {
      out.onNext(HeartbeatResponse.newBuilder()
          .setStatus(Statuses.of(ErrorCode.UNAVAILABLE, selfId + " is not the leader")).build());
    } else {
      leader.heartbeat(request.getStatus());
      out.onNext(HeartbeatResponse.newBuilder().setStatus(Statuses.OK).setView(leader.view())
          .build());
    }
    out.onCompleted();
  }

  @Override
  public void getClusterView(ClusterViewRequest request, StreamObserver<ClusterView> out) {
    out.onNext(leader.isLeader()
        ? leader.view()
        : ClusterView.newBuilder()
            .setStatus(Statuses.of(ErrorCode.UNAVAILABLE, selfId + " is not the leader"))
            .build());
    out.onCompleted();
  }
}
