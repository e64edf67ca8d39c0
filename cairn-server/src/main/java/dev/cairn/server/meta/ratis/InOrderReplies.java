package dev.cairn.server.meta.ratis;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.thirdparty.com.google.protobuf.MessageLite;

/**
 * The replies of one connection, written in the order of its requests whatever order they are
 * ready in: Ratis's clients match a reply to the oldest request still waiting. A reply is written
 * by whichever thread made the last one it waited for ready, so no thread is woken only to write.
 *
 * <p>Thread-safe. Writers hold {@code writeLock}; the queue has a lock of its own, which adding a
 * reply takes alone: a write that blocks on a full socket never stops the connection's requests
 * from being read.
 */
final class InOrderReplies {
  private final OutputStream out;
  private final Runnable onWriteFailure;
  private final Object writeLock = new Object();
  // Guarded by this.
  private final ArrayDeque<CompletableFuture<? extends MessageLite>> waiting = new ArrayDeque<>();

  /**
   * @param out where replies go, each as a varint32 length and the message
   * @param onWriteFailure run once a write fails, to close the connection
   */
  InOrderReplies(OutputStream out, Runnable onWriteFailure) {
    this.out = out;
    this.onWriteFailure = onWriteFailure;
  }

  /** Queues the reply to the request read last; {@code reply} must not fail. */
  void add(CompletableFuture<? extends MessageLite> reply) {
    synchronized (this) {
      waiting.add(reply);
    }
    reply.whenComplete((r, e) -> writeReady());
  }

  /** Writes every reply that is ready and has none before it still waiting. */
  private void writeReady() {
    synchronized (writeLock) {
      boolean wrote = false;
      try {
        while (true) {
          CompletableFuture<? extends MessageLite> next;
          synchronized (this) {
            next = waiting.peek();
            if (next == null || !next.isDone()) {
              break;
            }
            waiting.poll();
          }
          next.join().writeDelimitedTo(out);
          wrote = true;
        }
        if (wrote) {
          out.flush();
        }
      } catch (IOException e) {
        onWriteFailure.run();
      }
    }
  }
}
