package dev.cairn.server.meta.ratis;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyServerReplyProto;
import org.apache.ratis.proto.netty.NettyProtos.RaftNettyServerRequestProto;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.thirdparty.com.google.protobuf.CodedOutputStream;
import org.apache.ratis.util.NetUtils;
import org.apache.ratis.util.ProtoUtils;

/**
 * One connection from this node to a peer's Raft port: requests go out on the caller's thread,
 * replies come back in the same order and complete their futures on this connection's reader
 * thread. The frames are Ratis's Netty transport's (a varint32 length, then the protobuf), so a
 * Ratis Netty client and this transport's server understand each other.
 *
 * <p>Thread-safe. A failed write or read closes the connection and fails every request still
 * waiting; the caller opens a new one.
 */
final class RaftWireConnection implements Closeable {
  private static final int BUFFER_BYTES = 64 * 1024;

  private final RaftPeer peer;
  private final Socket socket;
  // Its buffer is the connection's; a message larger than what is left of it goes straight on to
  // the socket. writeDelimitedTo would allocate a buffer for every request.
  private final CodedOutputStream out;
  private final RaftFrames.Reader in;
  // Writers hold writeLock for a request's place in the queue and its bytes on the socket, so the
  // two orders agree. The queue has a lock of its own, which the reader takes only to take the
  // oldest: a write that blocks on a full socket never keeps the replies from being read.
  private final Object writeLock = new Object();
  // Guarded by this: the futures of the requests written and not yet answered, oldest first.
  private final ArrayDeque<CompletableFuture<RaftNettyServerReplyProto>> waiting =
      new ArrayDeque<>();
  private boolean closed;

  private RaftWireConnection(RaftPeer peer, Socket socket) throws IOException {
    this.peer = peer;
    this.socket = socket;
    this.out = CodedOutputStream.newInstance(socket.getOutputStream(), BUFFER_BYTES);
    this.in =
        new RaftFrames.Reader(new BufferedInputStream(socket.getInputStream(), BUFFER_BYTES));
  }

  /** Connects to {@code peer}'s Raft address and starts reading its replies. */
  static RaftWireConnection open(RaftPeer peer, String selfId, int connectTimeoutMs)
      throws IOException {
    InetSocketAddress address = NetUtils.createSocketAddr(peer.getAddress());
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(address, connectTimeoutMs);
    } catch (IOException e) {
      socket.close();
      throw new IOException("cannot connect to Raft peer " + peer.getId() + " at "
          + peer.getAddress() + ": " + e.getMessage(), e);
    }
    RaftWireConnection c = new RaftWireConnection(peer, socket);
    Thread.ofPlatform().daemon().name("raft-" + selfId + "->" + peer.getId())
        .start(c::readReplies);
    return c;
  }

  /**
   * Writes the request now, on this thread, and returns its reply's future, which fails with the
   * peer's own exception when it answered with one.
   */
  CompletableFuture<RaftNettyServerReplyProto> send(RaftNettyServerRequestProto request) {
    CompletableFuture<RaftNettyServerReplyProto> reply = new CompletableFuture<>();
    synchronized (writeLock) {
      synchronized (this) {
        if (closed) {
          reply.completeExceptionally(closedException());
          return reply;
        }
        waiting.add(reply);
      }
      try {
        out.writeUInt32NoTag(request.getSerializedSize());
        request.writeTo(out);
        out.flush();
      } catch (IOException e) {
        closeQuietly(e);
      }
    }
    return reply;
  }

  /** Sends and waits up to {@code timeoutMs} for the reply. */
  RaftNettyServerReplyProto call(RaftNettyServerRequestProto request, long timeoutMs)
      throws IOException {
    try {
      return send(request).get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted waiting for Raft peer " + peer.getId());
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (TimeoutException e) {
      throw new TimeoutIOException("no answer from Raft peer " + peer.getId() + " in "
          + timeoutMs + " ms", e);
    }
  }

  boolean isClosed() {
    synchronized (this) {
      return closed;
    }
  }

  private void readReplies() {
    try {
      while (true) {
        RaftNettyServerReplyProto reply = in.next(RaftNettyServerReplyProto.parser());
        if (reply == null) {
          throw new java.io.EOFException("Raft peer " + peer.getId() + " closed the connection");
        }
        CompletableFuture<RaftNettyServerReplyProto> future;
        synchronized (this) {
          future = waiting.poll();
        }
        if (future == null) {
          throw new IOException("a reply from Raft peer " + peer.getId() + " answers no request");
        }
        if (reply.hasExceptionReply()) {
          Object error = ProtoUtils.toObject(reply.getExceptionReply().getException());
          future.completeExceptionally(error instanceof Throwable t ? t
              : new IOException("Raft peer " + peer.getId() + " failed: " + error));
        } else {
          future.complete(reply);
        }
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(e);
    }
  }

  private IOException closedException() {
    return new IOException("connection to Raft peer " + peer.getId() + " is closed");
  }

  private void closeQuietly(Exception cause) {
    ArrayDeque<CompletableFuture<RaftNettyServerReplyProto>> failed;
    synchronized (this) {
      closed = true;
      failed = new ArrayDeque<>(waiting);
      waiting.clear();
    }
    try {
      socket.close();
    } catch (IOException e) {
      // Closing is all that is left to do.
    }
    IOException error = closedException();
    if (cause != null) {
      error.initCause(cause);
    }
    failed.forEach(f -> f.completeExceptionally(error));
  }

  @Override
  public void close() {
    closeQuietly(null);
  }

  @Override
  public String toString() {
    return "raft connection to " + peer.getId();
  }
}
