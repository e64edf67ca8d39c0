package dev.cairn.server.rpc;

import dev.cairn.client.internal.BlockWire;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.ReadBlockRequest;
import dev.cairn.proto.ReadBlockResponse;
import dev.cairn.server.replication.BlockWriteHandler;
import dev.cairn.server.replication.Placement;
import dev.cairn.server.replication.ReplicationSettings;
import dev.cairn.server.storage.BlockStore;
import dev.cairn.server.storage.BlockStore.BlockReader;
import dev.cairn.server.storage.CorruptBlockException;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the block data protocol ({@link BlockWire}) on a node's data port: block writes from
 * clients and from the nodes that place blocks, block reads, and the namespace calls of clients
 * ({@link MetaWireHandler}). Each connection runs on a thread of its own, with blocking socket and
 * file I/O: a virtual thread for block operations, a platform thread for namespace calls (see
 * {@link #serveMeta}).
 */
public final class BlockDataServer implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(BlockDataServer.class);
  /**
   * System property: how long, in ms, a read on a data-port connection may wait for its peer
   * (default 60,000). A sender that goes quiet this long in the middle of a block, or a client
   * that leaves a namespace connection idle this long, is taken for gone and its connection
   * closed.
   */
  public static final String READ_TIMEOUT_KEY = "cairn.data.read-timeout-ms";
  /**
   * System property: how long, in ms, the node may wait to write to a namespace connection whose
   * client reads nothing (default 5,000). Answers to mutations are written by the thread that
   * applies the Raft log, so a client that stops reading while its answers fill the socket's
   * buffers would stop every commit of the cluster; past this wait its connection is closed, which
   * frees that thread. The client's calls then fail over as after any lost connection, and
   * their request ids make the retries safe.
   */
  public static final String ANSWER_TIMEOUT_KEY = "cairn.meta.answer-timeout-ms";
  // A reader may take its time, but not forever: a client cut off mid-read would otherwise hold
  // a thread and an open block file.
  private static final long READ_OPERATION_DEADLINE_MS = 10 * 60_000;
  /**
   * System property: the most namespace connections served on platform threads at once (default
   * 256); those beyond it are served on their virtual threads, a little slower, so that many
   * clients cannot make a node run out of threads.
   */
  public static final String META_PLATFORM_THREADS_KEY = "cairn.meta.platform-threads";
  /** The name of the platform threads that serve namespace connections. */
  public static final String META_THREAD_NAME = "cairn-meta-conn";

  private final String selfId;
  private final BlockStore store;
  private final Placement placement;
  private final ReplicationSettings settings;
  private final Quarantine quarantine;
  private final Clock clock;
  private final MetaWireHandler metaCalls;
  private final ServerSocketChannel listener;
  // Every open connection, with the watches on its reads and writes that the sweeper looks at.
  private final Map<BlockWire.Connection, Watches> open = new ConcurrentHashMap<>();
  private final long readTimeoutNanos;
  private final long answerTimeoutNanos;
  private final ScheduledExecutorService sweeper;
  // Namespace connections waiting for their client's next call: a stop closes them at once.
  private final Set<BlockWire.Connection> betweenCalls = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private final Semaphore metaThreads =
      new Semaphore(Math.max(0, Integer.getInteger(META_PLATFORM_THREADS_KEY, 256)));

  /** Listens on {@code address} and starts accepting connections. */
  public BlockDataServer(InetSocketAddress address, String selfId, BlockStore store,
      Placement placement, ReplicationSettings settings, Quarantine quarantine, Clock clock,
      MetaWireHandler metaCalls) throws IOException {
    this.metaCalls = metaCalls;
    this.selfId = selfId;
    this.store = store;
    this.placement = placement;
    this.settings = settings;
    this.quarantine = quarantine;
    this.clock = clock;
    listener = ServerSocketChannel.open();
    try {
      listener.bind(address, 128);
    } catch (IOException e) {
      listener.close();
      throw new IOException("cannot listen for block data on " + address.getHostString() + ":"
          + address.getPort() + ": "
          + e.getMessage(), e);
    }
    long readTimeoutMs = Math.max(1, Long.getLong(READ_TIMEOUT_KEY, 60_000));
    readTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(readTimeoutMs);
    sweeper = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("cairn-data-sweeper-" + selfId).factory());
    long answerTimeoutMs = Math.max(1, Long.getLong(ANSWER_TIMEOUT_KEY, 5_000));
    answerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(answerTimeoutMs);
    long every = Math.min(1_000, Math.max(1, Math.min(readTimeoutMs, answerTimeoutMs) / 4));
    sweeper.scheduleWithFixedDelay(this::closeStalled, every, every, TimeUnit.MILLISECONDS);
    acceptor = new Thread(this::accept, "cairn-data-" + selfId);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept() {
    while (listener.isOpen()) {
      Socket socket;
      try {
        socket = listener.accept().socket();
      } catch (IOException e) {
        if (listener.isOpen()) {
          log.warn("block data port of {}: accept failed: {}", selfId, e.getMessage());
        }
        continue;
      }
      Thread.ofVirtual().name("cairn-data-conn").start(() -> serve(socket));
    }
  }

  private void serve(Socket socket) {
    BlockWire.Connection c = null;
    boolean handedOff = false;
    try {
      Watches watches = new Watches(new ReadWatch(socket.getInputStream()),
          new WriteWatch(socket.getOutputStream()));
      c = new BlockWire.Connection(socket, watches.read(), watches.write());
      open.put(c, watches);
      if (!listener.isOpen()) {
        return;
      }
      if (c.in.readInt() != BlockWire.MAGIC) {
        return; // not a Cairn peer: say nothing
      }
      byte operation = c.in.readByte();
      switch (operation) {
        case BlockWire.WRITE ->
            new BlockWriteHandler(selfId, store, placement, settings, clock).serve(c);
        case BlockWire.READ -> read(c);
        case BlockWire.VERIFY -> verify(c);
        case BlockWire.META -> {
          watches.write().limit(answerTimeoutNanos);
          handedOff = metaThreads.tryAcquire() && startMetaThread(socket, c);
          if (!handedOff) {
            metaCalls.serve(c, betweenCalls, () -> !listener.isOpen());
          }
        }
        default -> log.warn("block data port of {}: unknown operation {} from {}", selfId,
            operation, socket.getRemoteSocketAddress());
      }
    } catch (IOException | RuntimeException e) {
      logEnd(socket, e);
    } finally {
      if (!handedOff) {
        release(socket, c);
      }
    }
  }

  /**
   * Hands a namespace connection to a platform thread of its own, which gives back its permit when
   * the connection ends; false, with the permit given back, if the process cannot start one.
   */
  private boolean startMetaThread(Socket socket, BlockWire.Connection c) {
    try {
      Thread.ofPlatform().daemon().name(META_THREAD_NAME).start(() -> {
        try {
          serveMeta(socket, c);
        } finally {
          metaThreads.release();
        }
      });
      return true;
    } catch (OutOfMemoryError e) {
      // No native thread to be had: the connection stays on its virtual thread.
      metaThreads.release();
      log.warn("block data port of {}: no platform thread for a namespace connection: {}",
          selfId, e.getMessage());
      return false;
    }
  }

  /**
   * Answers a client's namespace calls on a platform thread of the connection's own. A call is a
   * short turn, a small request and a small answer, so the wake-ups around it are most of its
   * cost: a platform thread blocked in a read is woken by the kernel, where a virtual thread is
   * woken through the JDK's poller and then scheduled on a carrier. On 3 local nodes, 8-thread
   * renames ran 6-12% faster with 4-10% less node CPU per rename, and 1-thread stats were often
   * faster (see docs/architecture.md). A client keeps one such connection per node, and an idle
   * one is closed after a minute, so the threads stay few; past {@link #META_PLATFORM_THREADS_KEY}
   * of them, connections stay on virtual threads.
   */
  private void serveMeta(Socket socket, BlockWire.Connection c) {
    try {
      metaCalls.serve(c, betweenCalls, () -> !listener.isOpen());
    } catch (IOException | RuntimeException e) {
      logEnd(socket, e);
    } finally {
      release(socket, c);
    }
  }

  /** Logs a connection that ended early: a peer gone away at debug level, a bug as an error. */
  private static void logEnd(Socket socket, Exception e) {
    if (e instanceof IOException) {
      log.debug("block data connection from {} ended: {}", socket.getRemoteSocketAddress(),
          e.getMessage());
    } else {
      log.error("block data connection from {} failed", socket.getRemoteSocketAddress(), e);
    }
  }

  /** The watches on one connection's reads and writes. */
  private record Watches(ReadWatch read, WriteWatch write) {}

  /**
   * Closes the connections whose current read has waited longer than the read timeout, or whose
   * current write of namespace answers has waited longer than the answer timeout, which ends that
   * read or write with an IOException on its own thread.
   */
  private void closeStalled() {
    long now = System.nanoTime();
    open.forEach((c, watches) -> {
      if (watches.read().stalled(now, readTimeoutNanos)) {
        log.debug("block data connection from {}: nothing read for {} ms, closing it",
            c.socket.getRemoteSocketAddress(), TimeUnit.NANOSECONDS.toMillis(readTimeoutNanos));
        c.close();
      } else if (watches.write().stalled(now)) {
        log.warn("namespace connection from {}: its client has read no answer for {} "
            + "ms, closing it", c.socket.getRemoteSocketAddress(),
            TimeUnit.NANOSECONDS.toMillis(answerTimeoutNanos));
        c.close();
      }
    });
  }

  private void release(Socket socket, BlockWire.Connection c) {
    if (c != null) {
      open.remove(c);
      c.close();
    } else {
      try {
        socket.close();
      } catch (IOException e) {
        // already gone
      }
    }
  }

  private void read(BlockWire.Connection c) throws IOException {
    ReadBlockRequest request = BlockWire.readMessage(c.in, ReadBlockRequest.parser());
    onReplica(c, request.getBlockId(), reader -> {
      if (request.getOffset() < 0
          || request.getOffset() % BlockStore.CHUNK_SIZE != 0
          || request.getOffset() > reader.length()) {
        answer(c, ErrorCode.INVALID_ARGUMENT,
            "offset " + request.getOffset() + " is not a chunk boundary inside the block");
        return;
      }
      BlockWire.writeMessage(c.out, ReadBlockResponse.newBuilder().setStatus(Statuses.OK).build());
      // The data goes from the page cache to the socket (sendfile) unread and unchecked: the
      // reader checks every chunk against the CRC sent with it, the one stored at write time,
      // and reports a mismatch (VERIFY); the scrubber checks every replica in the background.
      SocketChannel socket = c.socket.getChannel();
      int first = (int) (request.getOffset() / BlockStore.CHUNK_SIZE);
      for (int span = first; span < reader.chunkCount(); span += BlockWire.MAX_SPAN) {
        int count = Math.min(BlockWire.MAX_SPAN, reader.chunkCount() - span);
        c.out.writeInt(count);
        for (int i = span; i < span + count; i++) {
          c.out.writeInt(reader.chunkLength(i));
          c.out.writeInt(reader.chunkCrc(i));
        }
        c.out.flush();
        reader.send(span, count, socket);
      }
      c.out.writeInt(BlockWire.END);
      c.out.flush();
    });
  }

  /**
   * Checks this node's replica of a block a reader found damaged: every chunk against its CRC.
   * The reader's word alone is not enough to drop a replica, since bytes can be damaged on the
   * way.
   */
  private void verify(BlockWire.Connection c) throws IOException {
    long id = BlockWire.readMessage(c.in, ReadBlockRequest.parser()).getBlockId();
    onReplica(c, id, reader -> {
      byte[] buf = new byte[BlockStore.CHUNK_SIZE];
      for (int i = 0; i < reader.chunkCount(); i++) {
        reader.readChunk(i, buf);
      }
      log.info("block {} on {} was reported damaged by a reader, and checked sound",
          Long.toHexString(id), selfId);
      answer(c, ErrorCode.OK, "replica on " + selfId + " is sound");
    });
  }

  private interface ReplicaWork {
    void run(BlockReader reader) throws IOException;
  }

  /**
   * Runs {@code work} on this node's replica of block {@code id}, within the operation deadline,
   * and answers CORRUPT (quarantining the replica) or NOT_FOUND when it cannot. Opening a replica
   * checks its layout (the trailer and the CRC table); only {@link BlockReader#readChunk} checks
   * data.
   */
  private void onReplica(BlockWire.Connection c, long id, ReplicaWork work) throws IOException {
    ScheduledFuture<?> deadline = c.deadline(READ_OPERATION_DEADLINE_MS);
    try (BlockReader reader = store.open(id)) {
      work.run(reader);
    } catch (CorruptBlockException e) {
      quarantine.quarantine(id, "the block data port", e);
      answer(c, ErrorCode.CORRUPT, "replica on " + selfId + " is corrupt: " + e.getMessage());
    } catch (NoSuchFileException e) {
      answer(c, ErrorCode.NOT_FOUND, "node " + selfId + " has no block " + Long.toHexString(id));
    } finally {
      deadline.cancel(false);
    }
  }

  /** Where a corrupt replica goes: moved aside and counted (the node's scrubber does both). */
  public interface Quarantine {
    void quarantine(long blockId, String foundBy, CorruptBlockException e);
  }

  /** Sends a status that ends the operation. */
  private static void answer(BlockWire.Connection c, ErrorCode code, String message)
      throws IOException {
    BlockWire.writeMessage(c.out,
        ReadBlockResponse.newBuilder().setStatus(Statuses.of(code, message)).build());
    c.out.flush();
  }

  /**
   * Stops accepting connections, closes the namespace connections that wait for a call, lets the
   * operations under way finish for up to {@code graceMs}, then closes what is left: a block write
   * cut off is not acknowledged, and its sender tries again.
   */
  public void close(long graceMs) {
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    betweenCalls.forEach(BlockWire.Connection::close);
    long deadline = System.nanoTime() + graceMs * 1_000_000;
    while (!open.isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10); // polling for in-flight block operations to end
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    open.keySet().forEach(BlockWire.Connection::close);
    sweeper.shutdownNow();
  }

  @Override
  public void close() {
    close(0);
  }
}
