package dev.cairn.client.internal;

import com.google.protobuf.UnsafeByteOperations;
import dev.cairn.client.CairnException;
import dev.cairn.client.ErrorCode;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.BlockServiceGrpc;
import dev.cairn.proto.Chunk;
import dev.cairn.proto.WriteBlockHeader;
import dev.cairn.proto.WriteBlockRequest;
import dev.cairn.proto.WriteBlockResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.CRC32C;

/**
 * Sends one block to a node, which places its replicas and answers once they have fsynced it. The
 * caller keeps the block's bytes, so that a failed upload is simply sent again to another node
 * under a new block id (the partial copies of the failed try are orphans, collected later).
 */
public final class BlockUpload {
  /** Bytes per checksummed chunk; must match the servers' block store. */
  public static final int CHUNK_SIZE = 64 * 1024;

  private static final long UPLOAD_TIMEOUT_SECONDS = 120;

  private BlockUpload() {}

  /**
   * Uploads {@code data[0..length)} as a new block with failover; returns where it is held. The
   * chunks sent are views of {@code data}, not copies: the caller must not change it until this
   * returns.
   */
  public static BlockRef upload(Connections nodes, byte[] data, int length, int replication)
      throws CairnException {
    return nodes.call("write block", (channel, address) -> {
      long blockId = newBlockId();
      CompletableFuture<WriteBlockResponse> done = new CompletableFuture<>();
      StreamObserver<WriteBlockRequest> out = BlockServiceGrpc.newStub(channel)
          .withDeadlineAfter(UPLOAD_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .writeBlock(new StreamObserver<>() {
            @Override
            public void onNext(WriteBlockResponse r) {
              done.complete(r);
            }

            @Override
            public void onError(Throwable t) {
              done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
              done.completeExceptionally(
                  Status.INTERNAL.withDescription("no answer to block write").asRuntimeException());
            }
          });
      out.onNext(WriteBlockRequest.newBuilder()
          .setHeader(WriteBlockHeader.newBuilder()
              .setBlockId(blockId)
              .setReplication(replication)
              .setForward(true))
          .build());
      CRC32C crc = new CRC32C();
      for (int off = 0; off < length && !done.isDone(); off += CHUNK_SIZE) {
        int n = Math.min(CHUNK_SIZE, length - off);
        crc.reset();
        crc.update(data, off, n);
        out.onNext(WriteBlockRequest.newBuilder()
            .setChunk(Chunk.newBuilder()
                .setData(UnsafeByteOperations.unsafeWrap(data, off, n))
                .setCrc32C((int) crc.getValue()))
            .build());
      }
      out.onCompleted();
      WriteBlockResponse response = await(done);
      if (response.getStatus().getCodeValue() != 0) {
        CairnException e = Errors.toException(response.getStatus());
        if (e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.NO_SPACE
            || e.code() == ErrorCode.ALREADY_EXISTS || e.code() == ErrorCode.CORRUPT
            || e.code() == ErrorCode.INTERNAL) {
          // Another node, or another id, may do better.
          throw new Connections.RetryableException(e);
        }
        throw e;
      }
      return response.getBlock();
    });
  }

  private static WriteBlockResponse await(CompletableFuture<WriteBlockResponse> done) {
    try {
      return done.get(UPLOAD_TIMEOUT_SECONDS + 5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        throw s;
      }
      throw Status.UNKNOWN.withCause(e.getCause()).asRuntimeException();
    } catch (TimeoutException e) {
      throw Status.DEADLINE_EXCEEDED.withDescription("block write timed out").asRuntimeException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }

  /** A random block id: 64 random bits, never 0. A clash is refused by the store and retried. */
  static long newBlockId() {
    long id;
    do {
      id = ThreadLocalRandom.current().nextLong();
    } while (id == 0);
    return id;
  }
}
