package dev.cairn.server.replication;

import dev.cairn.proto.BlockRef;
import dev.cairn.proto.Chunk;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.WriteBlockHeader;
import dev.cairn.proto.WriteBlockRequest;
import dev.cairn.proto.WriteBlockResponse;
import dev.cairn.server.rpc.PeerChannels;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * A block being streamed to one other node, which stores it without forwarding it further. The
 * result completes with true once that node has fsynced the block, with false if it failed.
 */
final class RemoteReplica {
  final String nodeId;
  private final StreamObserver<WriteBlockRequest> stream;
  private final CompletableFuture<Boolean> result = new CompletableFuture<>();
  private volatile String failure;

  RemoteReplica(PeerChannels peers, String nodeId, String address, long blockId) {
    this.nodeId = nodeId;
    this.stream = peers.blocks(address).writeBlock(new StreamObserver<>() {
      @Override
      public void onNext(WriteBlockResponse response) {
        if (response.getStatus().getCode() != ErrorCode.OK) {
          failure = response.getStatus().getMessage();
        }
        result.complete(response.getStatus().getCode() == ErrorCode.OK);
      }

      @Override
      public void onError(Throwable t) {
        failure = t.getMessage();
        result.complete(false);
      }

      @Override
      public void onCompleted() {
        result.complete(false);
      }
    });
    stream.onNext(WriteBlockRequest.newBuilder()
        .setHeader(WriteBlockHeader.newBuilder().setBlockId(blockId).setForward(false))
        .build());
  }

  boolean failed() {
    return result.isDone() && !result.join();
  }

  void send(Chunk chunk) {
    if (!result.isDone()) {
      stream.onNext(WriteBlockRequest.newBuilder().setChunk(chunk).build());
    }
  }

  CompletableFuture<Boolean> finish() {
    if (!result.isDone()) {
      stream.onCompleted();
    }
    return result;
  }

  void cancel(Throwable why) {
    if (!result.isDone()) {
      stream.onError(why);
      result.complete(false);
    }
  }

  String failure() {
    return failure;
  }

  static BlockRef.Builder ref(long blockId, long length) {
    return BlockRef.newBuilder().setId(blockId).setLength(length);
  }
}
