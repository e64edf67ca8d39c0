package dev.cairn.server.rpc;

import dev.cairn.proto.BlockServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.Closeable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** One gRPC channel per other node, opened on first use and shared. Thread-safe. */
public final class PeerChannels implements Closeable {
  /** Largest message a node sends or accepts: inline file content plus headroom. */
  public static final int MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  public ManagedChannel channel(String address) {
    // No gRPC retries: every caller handles a failed call itself (a block stream is retried as
    // a new block), and gRPC's retry layer would buffer the messages of every stream.
    return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a)
        .usePlaintext()
        .disableRetry()
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        .build());
  }

  /**
   * Lets the channel to {@code address}, if one was opened, connect on its next call. A channel
   * that failed to connect waits before it tries again (1 s, then longer) and fails every call
   * meanwhile, so a node that has just come up would look down for that long.
   */
  public void reconnectNow(String address) {
    ManagedChannel channel = channels.get(address);
    if (channel != null) {
      channel.resetConnectBackoff();
    }
  }

  public BlockServiceGrpc.BlockServiceStub blocks(String address) {
    return BlockServiceGrpc.newStub(channel(address));
  }

  public BlockServiceGrpc.BlockServiceBlockingStub blocksBlocking(String address) {
    return BlockServiceGrpc.newBlockingStub(channel(address));
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel c : channels.values()) {
      try {
        c.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
