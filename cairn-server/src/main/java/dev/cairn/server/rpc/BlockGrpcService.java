package dev.cairn.server.rpc;

import com.google.protobuf.UnsafeByteOperations;
import dev.cairn.proto.BlockReportRequest;
import dev.cairn.proto.BlockReportResponse;
import dev.cairn.proto.BlockServiceGrpc;
import dev.cairn.proto.Chunk;
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
import dev.cairn.proto.ReadBlockRequest;
import dev.cairn.proto.ReadBlockResponse;
import dev.cairn.proto.WriteBlockRequest;
import dev.cairn.proto.WriteBlockResponse;
import dev.cairn.server.replication.BlockWriteHandler;
import dev.cairn.server.replication.Placement;
import dev.cairn.server.replication.ReplicationSettings;
import dev.cairn.server.storage.BlockStore;
import dev.cairn.server.storage.BlockStore.BlockReader;
import dev.cairn.server.storage.BlockStore.BlockWriter;
import dev.cairn.server.storage.BlockStore.StoredBlock;
import dev.cairn.server.storage.CorruptBlockException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The block service of one node: block writes, reads, copies, reports and deletes. */
public final class BlockGrpcService extends BlockServiceGrpc.BlockServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(BlockGrpcService.class);

  private final String selfId;
  private final BlockStore store;
  private final PeerChannels peers;
  private final Placement placement;
  private final ReplicationSettings settings;
  private final Supplier<NodeStatus> nodeStatus;
  private final LeaderDuties leader;
  private final Runnable corruptionFound;
  private final java.time.Clock clock;

  /** What only the leader answers: heartbeats and the cluster view built from them. */
  public interface LeaderDuties {
    boolean isLeader();

    void heartbeat(NodeStatus status);

    ClusterView view();
  }

  public BlockGrpcService(
      String selfId,
      BlockStore store,
      PeerChannels peers,
      Placement placement,
      ReplicationSettings settings,
      Supplier<NodeStatus> nodeStatus,
      LeaderDuties leader,
      Runnable corruptionFound,
      java.time.Clock clock) {
    this.clock = clock;
    this.selfId = selfId;
    this.store = store;
    this.peers = peers;
    this.placement = placement;
    this.settings = settings;
    this.nodeStatus = nodeStatus;
    this.leader = leader;
    this.corruptionFound = corruptionFound;
  }

  @Override
  public StreamObserver<WriteBlockRequest> writeBlock(
      StreamObserver<WriteBlockResponse> responseObserver) {
    return new BlockWriteHandler(selfId, store, peers, placement, settings, clock,
        responseObserver);
  }

  @Override
  public void readBlock(ReadBlockRequest request, StreamObserver<ReadBlockResponse> out) {
    long id = request.getBlockId();
    try (BlockReader reader = store.open(id)) {
      if (request.getOffset() < 0
          || request.getOffset() % BlockStore.CHUNK_SIZE != 0
          || request.getOffset() > reader.length()) {
        out.onNext(error(ErrorCode.INVALID_ARGUMENT,
            "offset " + request.getOffset() + " is not a chunk boundary inside the block"));
        out.onCompleted();
        return;
      }
      int first = (int) (request.getOffset() / BlockStore.CHUNK_SIZE);
      for (int i = first; i < reader.chunkCount(); i++) {
        // A fresh array per chunk, handed to the message without a copy: gRPC may still hold
        // the previous chunk's when this one is read.
        byte[] buf = new byte[BlockStore.CHUNK_SIZE];
        int n = reader.readChunk(i, buf);
        out.onNext(ReadBlockResponse.newBuilder()
            .setChunk(Chunk.newBuilder()
                .setData(UnsafeByteOperations.unsafeWrap(buf, 0, n))
                .setCrc32C(reader.chunkCrc(i)))
            .build());
      }
      out.onCompleted();
    } catch (CorruptBlockException e) {
      // Never serve bad bytes: move the replica aside so that the leader sees it missing and
      // copies the block back from a good replica, and send the reader to another one.
      corruptionFound.run();
      try {
        store.quarantine(id);
      } catch (IOException q) {
        log.error("cannot quarantine corrupt block {}", Long.toHexString(id), q);
      }
      out.onNext(error(ErrorCode.CORRUPT, "replica on " + selfId + " is corrupt: " + e.getMessage()));
      out.onCompleted();
    } catch (NoSuchFileException e) {
      out.onNext(error(ErrorCode.NOT_FOUND,
          "node " + selfId + " has no block " + Long.toHexString(id)));
      out.onCompleted();
    } catch (IOException e) {
      out.onNext(error(ErrorCode.INTERNAL, "cannot read block on " + selfId + ": " + e.getMessage()));
      out.onCompleted();
    }
  }

  private static ReadBlockResponse error(ErrorCode code, String message) {
    return ReadBlockResponse.newBuilder().setStatus(Statuses.of(code, message)).build();
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
    Iterator<ReadBlockResponse> it = peers.blocksBlocking(address)
        .withDeadlineAfter(5, TimeUnit.MINUTES)
        .readBlock(ReadBlockRequest.newBuilder().setBlockId(id).build());
    try (BlockWriter writer = store.create(id)) {
      while (it.hasNext()) {
        ReadBlockResponse r = it.next();
        if (r.hasStatus() && r.getStatus().getCode() != ErrorCode.OK) {
          throw new IOException(r.getStatus().getMessage());
        }
        writer.write(r.getChunk().getData().asReadOnlyByteBuffer(), r.getChunk().getCrc32C());
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
