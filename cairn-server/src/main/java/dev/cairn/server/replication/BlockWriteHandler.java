package dev.cairn.server.replication;

import dev.cairn.client.internal.BlockWire;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.WriteBlockHeader;
import dev.cairn.proto.WriteBlockResponse;
import dev.cairn.server.rpc.Statuses;
import dev.cairn.server.storage.BlockStore;
import dev.cairn.server.storage.BlockStore.BlockReader;
import dev.cairn.server.storage.BlockStore.BlockWriter;
import dev.cairn.server.storage.CorruptBlockException;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives one block on a connection of the block data protocol ({@link BlockWire#WRITE}). With
 * {@code forward} set in its header, this node places the block: it stores it and, at the same
 * time, streams it to other nodes; once every replica has fsynced (or enough of them, see {@link
 * ReplicationSettings#minReplicas}) it answers with the replicas that hold the block. Without
 * {@code forward}, it only stores the block.
 *
 * <p>One handler serves one connection, on that connection's thread.
 */
public final class BlockWriteHandler {
  private static final Logger log = LoggerFactory.getLogger(BlockWriteHandler.class);
  // Counted from when this node has the whole block: a replica that was sent the same chunks
  // meanwhile needs only its fsync by then, so a longer wait means it is stalled or cut off.
  private static final long REPLICA_TIMEOUT_MS = 10_000;

  private final String selfId;
  private final BlockStore store;
  private final Placement placement;
  private final ReplicationSettings settings;
  private final java.time.Clock clock;

  private long blockId;
  private int wanted;
  private BlockWriter local;
  private final List<RemoteReplica> remotes = new ArrayList<>();
  private boolean forward;

  public BlockWriteHandler(
      String selfId,
      BlockStore store,
      Placement placement,
      ReplicationSettings settings,
      java.time.Clock clock) {
    this.clock = clock;
    this.selfId = selfId;
    this.store = store;
    this.placement = placement;
    this.settings = settings;
  }

  /**
   * Serves a WRITE connection whose magic and operation were read. Throws when the connection
   * itself failed (or on a bug), in which case nothing of the block is kept.
   */
  public void serve(BlockWire.Connection c) throws IOException {
    WriteBlockResponse answer;
    try {
      answer = start(BlockWire.readMessage(c.in, WriteBlockHeader.parser()));
      if (answer == null) {
        answer = receive(c.in);
      }
    } catch (IOException | RuntimeException e) {
      abort(e);
      throw e;
    }
    if (answer == null) {
      answer = complete();
    }
    BlockWire.writeMessage(c.out, answer);
    c.out.flush();
    if (answer.getStatus().getCode() != ErrorCode.OK) {
      // The sender may still be sending: read to its end so that it is not cut off before it
      // reads the answer.
      drain(c.in);
    }
  }

  /** Opens the local copy and the streams to other replicas; null, or the refusal to answer. */
  private WriteBlockResponse start(WriteBlockHeader header) throws IOException {
    blockId = header.getBlockId();
    wanted = header.getReplication() > 0 ? header.getReplication() : settings.replication();
    long free = store.bytesFree();
    if (settings.bytesFreeFloor() > 0 && free < settings.bytesFreeFloor()) {
      return failure(ErrorCode.NO_SPACE, String.format(
          "node %s is full: %d MiB free, below its reserve of %d MiB", selfId, free >> 20,
          settings.bytesFreeFloor() >> 20));
    }
    try {
      local = store.create(blockId);
    } catch (FileAlreadyExistsException e) {
      return failure(ErrorCode.ALREADY_EXISTS, e.getMessage());
    } catch (IOException e) {
      return failure(ErrorCode.INTERNAL, "cannot store block on " + selfId + ": " + e.getMessage());
    }
    forward = header.getForward();
    if (forward) {
      for (String id : placement.candidates()) {
        if (remotes.size() >= wanted - 1) {
          break;
        }
        if (skip(id, 1 + remotes.size())) {
          continue;
        }
        remotes.add(new RemoteReplica(id, placement.address(id), blockId));
      }
    }
    return null;
  }

  /**
   * Reads chunks to the end frame, storing each and passing it on; null once all are stored, or
   * the refusal to answer if the block cannot be stored. IOException: the connection failed.
   */
  private WriteBlockResponse receive(DataInputStream in) throws IOException {
    byte[] buffer = new byte[BlockWire.CHUNK_SIZE];
    while (true) {
      int length = BlockWire.readChunkLength(in);
      if (length == BlockWire.END) {
        return null;
      }
      if (length == BlockWire.FAILED) {
        throw new IOException("the sender gave up on block " + Long.toHexString(blockId));
      }
      int crc = BlockWire.readChunkData(in, buffer, length);
      try {
        local.write(buffer, 0, length, crc);
      } catch (CorruptBlockException e) {
        return abortWith(ErrorCode.CORRUPT, e.getMessage());
      } catch (IOException e) {
        return abortWith(ErrorCode.INTERNAL,
            "cannot store block on " + selfId + ": " + e.getMessage());
      }
      for (RemoteReplica r : remotes) {
        r.send(buffer, length, crc);
      }
      if (!remotes.isEmpty()) {
        // The replicas' senders still hold this chunk: the next one goes into a new buffer.
        buffer = new byte[BlockWire.CHUNK_SIZE];
      }
    }
  }

  private static void drain(DataInputStream in) {
    try {
      byte[] skip = new byte[BlockWire.CHUNK_SIZE];
      int length;
      while ((length = BlockWire.readChunkLength(in)) > 0) {
        BlockWire.readChunkData(in, skip, length);
      }
    } catch (IOException e) {
      // The sender is gone too: nothing is left to read.
    }
  }

  private WriteBlockResponse abortWith(ErrorCode code, String message) {
    abort(new IOException(message));
    return failure(code, message);
  }

  private static WriteBlockResponse failure(ErrorCode code, String message) {
    return WriteBlockResponse.newBuilder().setStatus(Statuses.of(code, message)).build();
  }

  private void abort(Throwable why) {
    // Nothing of this block is kept anywhere.
    if (local != null) {
      local.abort();
    }
    for (RemoteReplica r : remotes) {
      r.cancel(why);
    }
  }

  /** Commits the local copy and collects the replicas; the answer to send. */
  private WriteBlockResponse complete() {
    long length = local.length();
    try {
      local.commit();
    } catch (IOException e) {
      return abortWith(ErrorCode.INTERNAL,
          "cannot store block on " + selfId + ": " + e.getMessage());
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
        if (tried.contains(id) || skip(id, ref.getReplicasCount())) {
          continue;
        }
        tried.add(id);
        if (copyTo(id, length)) {
          ref.addReplicas(id);
        }
      }
    }
    // A replica that was sent the block by another node answers for itself alone.
    int minimum = forward ? minimum() : 1;
    if (ref.getReplicasCount() < minimum) {
      // Not acknowledged: the copies made are orphans and will be collected.
      String message = String.format(
          "block stored on %d node(s) %s, fewer than the %d required; %d other node(s) can "
              + "take new blocks now (the others are full, dead or being retired)",
          ref.getReplicasCount(), ref.getReplicasList(), minimum,
          placement.candidates().size());
      return failure(ErrorCode.UNAVAILABLE, message);
    }
    return WriteBlockResponse.newBuilder().setStatus(Statuses.OK).setBlock(ref).build();
  }

  private int minimum() {
    return Math.min(settings.minReplicas(), wanted);
  }

  /**
   * A node that failed a block write here recently (see {@link Placement#failedRecently}) is
   * left out once {@code replicas} reach the minimum a write needs: the block is acknowledged
   * without it, and the leader's healer adds the missing replica later, rather than every write
   * waiting out the replica timeout on a node that may be stalled.
   */
  private boolean skip(String nodeId, int replicas) {
    return replicas >= minimum() && placement.failedRecently(nodeId);
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
    RemoteReplica r = new RemoteReplica(nodeId, address, blockId);
    try (BlockReader reader = store.open(blockId)) {
      for (int i = 0; i < reader.chunkCount(); i++) {
        byte[] buf = new byte[BlockStore.CHUNK_SIZE];
        int n = reader.readChunk(i, buf);
        r.send(buf, n, reader.chunkCrc(i));
      }
    } catch (IOException e) {
      r.cancel(e);
      return false;
    }
    return await(r);
  }
}
