package dev.cairn.server.replication;

import dev.cairn.proto.BlockRef;
import dev.cairn.proto.Chunk;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.WriteBlockHeader;
import dev.cairn.proto.WriteBlockRequest;
import dev.cairn.proto.WriteBlockResponse;
import dev.cairn.server.rpc.PeerChannels;
import dev.cairn.server.rpc.Statuses;
import dev.cairn.server.storage.BlockStore;
import dev.cairn.server.storage.BlockStore.BlockReader;
import dev.cairn.server.storage.BlockStore.BlockWriter;
import dev.cairn.server.storage.CorruptBlockException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives one block. With {@code forward} set, this node places the block: it stores it and, at
 * the same time, streams it to other nodes; once every replica has fsynced (or enough of them, see
 * {@link ReplicationSettings#minReplicas}) it answers with the replicas that hold the block.
 * Without {@code forward}, it only stores the block.
 *
 * <p>gRPC calls one handler's methods one at a time.
 */
public final class BlockWriteHandler implements StreamObserver<WriteBlockRequest> {
  private static final Logger log = LoggerFactory.getLogger(BlockWriteHandler.class);
  // Counted from when this node has the whole block: a replica that was sent the same chunks
  // meanwhile needs only its fsync by then, so a longer wait means it is stalled or cut off.
  private static final long REPLICA_TIMEOUT_MS = 10_000;

  private final String selfId;
  private final BlockStore store;
  private final PeerChannels peers;
  private final Placement placement;
  private final ReplicationSettings settings;
  private final StreamObserver<WriteBlockResponse> response;
  private final java.time.Clock clock;

  private long blockId;
  private int wanted;
  private BlockWriter local;
  private final List<RemoteReplica> remotes = new ArrayList<>();
  private boolean failed;
  private boolean forward;

  public BlockWriteHandler(
      String selfId,
      BlockStore store,
      PeerChannels peers,
      Placement placement,
      ReplicationSettings settings,
      java.time.Clock clock,
      StreamObserver<WriteBlockResponse> response) {
    this.clock = clock;
    this.selfId = selfId;
    this.store = store;
    this.peers = peers;
    this.placement = placement;
    this.settings = settings;
    this.response = response;
  }

  @Override
  public void onNext(WriteBlockRequest request) {
    if (failed) {
      return;
    }
    try {
      if (request.hasHeader()) {
        start(request.getHeader());
      } else if (local == null) {
        fail(ErrorCode.INVALID_ARGUMENT, "a block stream must start with a header");
      } else {
        Chunk chunk = request.getChunk();
        local.write(chunk.getData().asReadOnlyByteBuffer(), chunk.getCrc32C());
        for (RemoteReplica r : remotes) {
          r.send(chunk);
        }
      }
    } catch (CorruptBlockException e) {
      fail(ErrorCode.CORRUPT, e.getMessage());
    } catch (FileAlreadyExistsException e) {
      fail(ErrorCode.ALREADY_EXISTS, e.getMessage());
    } catch (IOException e) {
      fail(ErrorCode.INTERNAL, "cannot store block on " + selfId + ": " + e.getMessage());
    }
  }

  private void start(WriteBlockHeader header) throws IOException {
    if (local != null) {
      fail(ErrorCode.INVALID_ARGUMENT, "a block stream has one header");
      return;
    }
    blockId = header.getBlockId();
    wanted = header.getReplication() > 0 ? header.getReplication() : settings.replication();
    long free = store.bytesFree();
    if (settings.bytesFreeFloor() > 0 && free < settings.bytesFreeFloor()) {
      fail(ErrorCode.NO_SPACE, String.format(
          "node %s is full: %d MiB free, below its reserve of %d MiB", selfId, free >> 20,
          settings.bytesFreeFloor() >> 20));
      return;
    }
    local = store.create(blockId);
    forward = header.getForward();
    if (forward) {
      for (String id : placement.candidates()) {
        if (remotes.size() >= wanted - 1) {
          break;
        }
        remotes.add(new RemoteReplica(peers, id, placement.address(id), blockId));
      }
    }
  }

  private void fail(ErrorCode code, String message) {
    failed = true;
    if (local != null) {
      local.abort();
    }
    for (RemoteReplica r : remotes) {
      r.cancel(new IOException(message));
    }
    response.onNext(WriteBlockResponse.newBuilder().setStatus(Statuses.of(code, message)).build());
    response.onCompleted();
  }

  @Override
  public void onError(Throwable t) {
    // The sender went away: nothing of this block is kept anywhere.
    failed = true;
    if (local != null) {
      local.abort();
    }
    for (RemoteReplica r : remotes) {
      r.cancel(t);
    }
  }

  @Override
  public void onCompleted() {
    if (failed) {
      return;
    }
    if (local == null) {
      fail(ErrorCode.INVALID_ARGUMENT, "empty block stream");
      return;
    }
    long length = local.length();
    try {
      local.commit();
    } catch (IOException e) {
      fail(ErrorCode.INTERNAL, "cannot store block on " + selfId + ": " + e.getMessage());
      return;
    }
    BlockRef.Builder ref = BlockRef.newBuilder()
        .setId(blockId)
        .setLength(length)
        .setStoredAtMs(clock.millis())
        .addReplicas(selfId);
    List<String> tried = new ArrayList<>();
    for (RemoteReplica r : remotes) {
      tried.add(r.nodeId);
      if (await(r)) {
        ref.addReplicas(r.nodeId);
      }
    }
    // Replace replicas that failed from the copy just stored here, while other nodes are left.
    if (forward) {
      for (String id : placement.candidates()) {
        if (ref.getReplicasCount() >= wanted) {
          break;
        }
        if (tried.contains(id)) {
          continue;
        }
        tried.add(id);
        if (copyTo(id, length)) {
          ref.addReplicas(id);
        }
      }
    }
    // A replica that was sent the block by another node answers for itself alone.
    int minimum = forward ? Math.min(settings.minReplicas(), wanted) : 1;
    if (ref.getReplicasCount() < minimum) {
      // Not acknowledged: the copies made are orphans and will be collected.
      String message = String.format(
          "block stored on %d node(s) %s, fewer than the %d required; %d other node(s) can "
              + "take new blocks now (the others are full, dead or being retired)",
          ref.getReplicasCount(), ref.getReplicasList(), minimum,
          placement.candidates().size());
      response.onNext(WriteBlockResponse.newBuilder()
          .setStatus(Statuses.of(ErrorCode.UNAVAILABLE, message)).build());
    } else {
      response.onNext(WriteBlockResponse.newBuilder().setStatus(Statuses.OK).setBlock(ref).build());
    }
    response.onCompleted();
  }

  private boolean await(RemoteReplica r) {
    try {
      boolean ok = r.finish().get(REPLICA_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      if (ok) {
        placement.reportSuccess(r.nodeId);
      } else {
        placement.reportFailure(r.nodeId);
        log.warn("replica of block {} on {} failed: {}", Long.toHexString(blockId), r.nodeId,
            r.failure());
      }
      return ok;
    } catch (TimeoutException e) {
      r.cancel(e);
      placement.reportFailure(r.nodeId);
      return false;
    } catch (Exception e) {
      placement.reportFailure(r.nodeId);
      return false;
    }
  }

  /** Streams the block stored here to another node; true once that node has fsynced it. */
  private boolean copyTo(String nodeId, long length) {
    String address = placement.address(nodeId);
    if (address == null) {
      return false;
    }
    RemoteReplica r = new RemoteReplica(peers, nodeId, address, blockId);
    try (BlockReader reader = store.open(blockId)) {
      byte[] buf = new byte[BlockStore.CHUNK_SIZE];
      for (int i = 0; i < reader.chunkCount(); i++) {
        int n = reader.readChunk(i, buf);
        r.send(Chunk.newBuilder()
            .setData(com.google.protobuf.ByteString.copyFrom(buf, 0, n))
            .setCrc32C(reader.chunkCrc(i))
            .build());
      }
    } catch (IOException e) {
      r.cancel(e);
      return false;
    }
    return await(r);
  }
}
