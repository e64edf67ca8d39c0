package dev.cairn.testing;

import static dev.cairn.testing.RawPeer.metaThreads;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.internal.BlockWire;
import dev.cairn.client.internal.MetaWire;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.StatResponse;
import dev.cairn.server.rpc.BlockDataServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node serves namespace connections on platform threads up to a cap, and those beyond it on
 * their virtual threads: every connection is answered either way, the platform threads never
 * outnumber the cap, a connection that ends gives its thread back, and a stop closes idle
 * connections of both kinds at once.
 */
@Timeout(120)
class MetaConnectionThreadsTest {
  private static final int CAP = 2;
  private static final int CONNECTIONS = 5;
  private static final int TIMEOUT_MS = 20_000;

  private String propertyBefore;
  private final List<BlockWire.Connection> open = new ArrayList<>();

  @BeforeEach
  void capThePlatformThreads() {
    propertyBefore = System.getProperty(BlockDataServer.META_PLATFORM_THREADS_KEY);
    System.setProperty(BlockDataServer.META_PLATFORM_THREADS_KEY, String.valueOf(CAP));
  }

  @AfterEach
  void restoreTheCap() {
    open.forEach(BlockWire.Connection::close);
    if (propertyBefore == null) {
      System.clearProperty(BlockDataServer.META_PLATFORM_THREADS_KEY);
    } else {
      System.setProperty(BlockDataServer.META_PLATFORM_THREADS_KEY, propertyBefore);
    }
  }

  @Test
  void connectionsBeyondTheCapAreAnsweredOnVirtualThreads() throws IOException {
    // Namespace threads of clusters that other test classes closed end once their sockets do.
    await().atMost(Duration.ofSeconds(30)).until(() -> metaThreads() == 0);
    try (MiniCluster cluster = MiniCluster.builder().nodes(1).build().start()) {
      String address = cluster.node(cluster.leaderId()).address();
      for (int i = 0; i < CONNECTIONS; i++) {
        BlockWire.Connection c = BlockWire.Connection.open(address, BlockWire.META, TIMEOUT_MS);
        open.add(c);
        assertThat(statRoot(c).getStatus().getCode()).isEqualTo(ErrorCode.OK);
      }
      // Every connection has been answered and is held open, so each has a thread serving it.
      assertThat(metaThreads()).isEqualTo(CAP);
      for (BlockWire.Connection c : open) {
        assertThat(statRoot(c).getInfo().getDirectory()).isTrue();
      }

      // Those on platform threads came first; closing them gives their threads back.
      open.get(0).close();
      open.get(1).close();
      await().atMost(Duration.ofSeconds(30)).until(() -> metaThreads() == 0);
      BlockWire.Connection next = BlockWire.Connection.open(address, BlockWire.META, TIMEOUT_MS);
      open.add(next);
      assertThat(statRoot(next).getStatus().getCode()).isEqualTo(ErrorCode.OK);
      assertThat(metaThreads()).isEqualTo(1);

      // A stop closes the idle connections of both kinds instead of waiting for their calls.
      long started = System.nanoTime();
      cluster.stop(cluster.leaderId());
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(4_500));
      await().atMost(Duration.ofSeconds(30)).until(() -> metaThreads() == 0);
    }
  }

  private static StatResponse statRoot(BlockWire.Connection c) throws IOException {
    c.out.writeByte(MetaWire.STAT);
    c.out.writeInt(7); // the call's number
    BlockWire.writeMessage(c.out, PathRequest.newBuilder().setPath("/").build());
    c.out.flush();
    assertThat(c.in.readInt()).as("the number of the call answered").isEqualTo(7);
    StatResponse response =
        BlockWire.readMessage(c.in, StatResponse.parser(), MetaWire.MAX_MESSAGE_BYTES);
    c.in.readUTF(); // the leader hint: empty on a node that leads
    return response;
  }
}
