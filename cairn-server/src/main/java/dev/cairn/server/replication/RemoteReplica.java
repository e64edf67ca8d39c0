package dev.cairn.server.replication;

import dev.cairn.client.internal.BlockWire;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.WriteBlockHeader;
import dev.cairn.proto.WriteBlockResponse;
import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A block being streamed to one other node, which stores it without forwarding it further. The
 * result completes with true once that node has fsynced the block, with false if it failed.
 *
 * <p>A thread of its own sends the chunks, so that a slow or stalled replica never holds up the
 * node that places the block, nor its other replicas: chunks queue up for it, to at most {@link
 * #MAX_QUEUED_BYTES}, beyond which the replica is dropped.
 */
final class RemoteReplica {
  private static final int MAX_QUEUED_BYTES = 64 * 1024 * 1024;
  // Longer than the placing node waits for an answer, which cancels this first.
  private static final int READ_TIMEOUT_MS = 60_000;

  final String nodeId;
  private final String address;
  private final long blockId;
  private final BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
  private final CompletableFuture<Boolean> result = new CompletableFuture<>();
  private volatile BlockWire.Connection connection;
  private volatile String failure;
  private final AtomicLong queuedBytes = new AtomicLong();

  private record Chunk(byte[] data, int length, int crc) {}

  private static final Chunk END = new Chunk(new byte[0], 0, 0);

  RemoteReplica(String nodeId, String address, long blockId) {
    this.nodeId = nodeId;
    this.address = address;
    this.blockId = blockId;
    if (address == null) {
      fail("no address known for node " + nodeId);
    } else {
      Thread.ofVirtual().name("cairn-replica-" + nodeId).start(this::run);
    }
  }

  /** Queues a chunk; {@code data} must not change afterwards. */
  void send(byte[] data, int length, int crc) {
    if (result.isDone()) {
      return;
    }
    if (queuedBytes.addAndGet(length) > MAX_QUEUED_BYTES) {
      cancel(new IOException("replica on " + nodeId + " fell more than "
          + (MAX_QUEUED_BYTES >> 20) + " MiB behind"));
      return;
    }
    queue.add(new Chunk(data, length, crc));
  }

  /** Ends the block; the result completes once the replica has answered. */
  CompletableFuture<Boolean> finish() {
    if (!result.isDone()) {
      queue.add(END);
    }
    return result;
  }

  void cancel(Throwable why) {
    fail(why.getMessage());
    BlockWire.Connection c = connection;
    if (c != null) {
      c.close();
    }
    queue.clear();
    queue.add(END); // wakes the sender, which then sees the result and stops
  }

  String failure() {
    return failure;
  }

  private void fail(String why) {
    if (!result.isDone()) {
      failure = why;
      result.complete(false);
    }
  }

  private void run() {
    try (BlockWire.Connection c =
        BlockWire.Connection.open(address, BlockWire.WRITE, READ_TIMEOUT_MS)) {
      connection = c;
      if (result.isDone()) {
        return; // cancelled while connecting
      }
      BlockWire.writeMessage(c.out,
          WriteBlockHeader.newBuilder().setBlockId(blockId).setForward(false).build());
      while (true) {
        Chunk chunk = queue.take();
        if (result.isDone()) {
          return; // cancelled
        }
        if (chunk == END) {
          c.out.writeInt(BlockWire.END);
          c.out.flush();
          WriteBlockResponse r = BlockWire.readMessage(c.in, WriteBlockResponse.parser());
          if (r.getStatus().getCode() == ErrorCode.OK) {
            result.complete(true);
          } else {
            fail(r.getStatus().getMessage());
          }
          return;
        }
        BlockWire.writeChunk(c.out, chunk.data, 0, chunk.length, chunk.crc);
        queuedBytes.addAndGet(-chunk.length);
        if (queue.isEmpty()) {
          c.out.flush();
        }
      }
    } catch (IOException | RuntimeException e) {
      fail(String.valueOf(e.getMessage()));
    } catch (InterruptedException e) {
      fail("interrupted");
    } finally {
      queue.clear();
    }
  }
}
