package dev.cairn.server;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;

/**
 * One Cairn server: a voter of the namespace's Raft group, a block store, and the gRPC services
 * clients and other nodes call. {@link #start} returns once the node listens; the cluster may not
 * have a leader yet ({@link #awaitLeader}).
 */
public final class CairnNode implements Closeable {

  /**
   * Starts a node. Fails with {@link IllegalStateException} if the data directory belongs to
   * another node id or another cluster.
   */
  public static CairnNode start(NodeConfig config) throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  public String id() {
    throw new UnsupportedOperationException("not yet");
  }

  /** host:port of the client service. */
  public String address() {
    throw new UnsupportedOperationException("not yet");
  }

  public boolean isLeader() {
    throw new UnsupportedOperationException("not yet");
  }

  /** Waits until this node knows a leader that is ready to serve; false on timeout. */
  public boolean awaitLeader(Duration timeout) throws InterruptedException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Blocks until {@link #close} is called (for the `cairn server` command). */
  public void awaitTermination() throws InterruptedException {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Stops the node abruptly, as a crash would: no snapshot, no goodbye to peers. What was
   * acknowledged is on disk already; what was in flight is lost. For tests.
   */
  public void kill() {
    throw new UnsupportedOperationException("not yet");
  }

  /** Stops the node gracefully. */
  @Override
  public void close() throws IOException {}
}
