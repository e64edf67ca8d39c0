package dev.cairn.testing;

import static dev.cairn.client.internal.BlockUpload.newBlockId;
import static dev.cairn.testing.RawPeer.crc;
import static dev.cairn.testing.RawPeer.header;
import static dev.cairn.testing.RawPeer.metaThreads;
import static dev.cairn.testing.RawPeer.unfinishedWrites;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.CairnClient;
import dev.cairn.client.internal.BlockWire;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.WriteBlockResponse;
import dev.cairn.server.rpc.BlockDataServer;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node's data port drops a peer that has gone quiet in the middle of an operation or between
 * namespace calls, after its read timeout ({@link BlockDataServer#READ_TIMEOUT_KEY}, here 1.5 s
 * instead of a minute), and only then: the timeout counts from the last bytes read, not from the
 * start of the connection.
 */
@Timeout(120)
@ExtendWith(TestSeed.Extension.class)
class DataPortReadTimeoutTest {
  private static final int CHUNK = BlockWire.CHUNK_SIZE;
  private static final long READ_TIMEOUT_MS = 1_500;
  // The client side's own read timeout: far longer than the node's, so that a read the node
  // ends is told apart from one that timed out here.
  private static final int CLIENT_TIMEOUT_MS = 30_000;

  private static MiniCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = SystemProperties.setWhile(
        BlockDataServer.READ_TIMEOUT_KEY, Long.toString(READ_TIMEOUT_MS),
        () -> MiniCluster.builder().nodes(1).build().start());
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aSenderThatGoesQuietMidBlockIsCutOffAndNothingOfTheBlockIsKept(TestSeed seed)
      throws IOException {
    MiniCluster.Node node = cluster.node(1);
    long blockId = newBlockId();
    byte[] data = SeededContent.bytes(seed.value(), CHUNK);
    try (BlockWire.Connection c =
        BlockWire.Connection.open(node.address(), BlockWire.WRITE, CLIENT_TIMEOUT_MS)) {
      BlockWire.writeMessage(c.out, header(blockId, false));
      BlockWire.writeChunk(c.out, data, 0, CHUNK, crc(data, CHUNK));
      c.out.flush();
      long lastSent = System.nanoTime();
      await("the node has started the block").atMost(Duration.ofSeconds(10))
          .until(() -> !unfinishedWrites(node).isEmpty());

      // Silence: the node must close the connection, after its timeout and not before.
      assertThat(endOfStream(c)).as("the node closed the connection").isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - lastSent))
          .isGreaterThanOrEqualTo(Duration.ofMillis(READ_TIMEOUT_MS));
    }
    await("the partial block is discarded").atMost(Duration.ofSeconds(30))
        .until(() -> unfinishedWrites(node).isEmpty());
    assertThat(node.blockIdsOnDisk()).doesNotContain(blockId);
  }

  @Test
  void aSlowSenderThatKeepsSendingIsServedPastTheTimeout(TestSeed seed) throws Exception {
    int chunks = 6;
    long pauseMs = READ_TIMEOUT_MS / 5;
    byte[] data = SeededContent.bytes(seed.value(), chunks * CHUNK);
    long blockId = newBlockId();
    WriteBlockResponse answer;
    long started = System.nanoTime();
    try (BlockWire.Connection c = BlockWire.Connection.open(cluster.node(1).address(),
        BlockWire.WRITE, CLIENT_TIMEOUT_MS)) {
      BlockWire.writeMessage(c.out, header(blockId, false));
      for (int i = 0; i < chunks; i++) {
        byte[] chunk = Arrays.copyOfRange(data, i * CHUNK, (i + 1) * CHUNK);
        BlockWire.writeChunk(c.out, chunk, 0, CHUNK, crc(chunk, CHUNK));
        c.out.flush();
        Thread.sleep(pauseMs); // the pace of a slow sender, not a wait for the node
      }
      c.out.writeInt(BlockWire.END);
      c.out.flush();
      answer = BlockWire.readMessage(c.in, WriteBlockResponse.parser());
    }
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .as("the connection outlived the read timeout")
        .isGreaterThan(Duration.ofMillis(READ_TIMEOUT_MS));
    assertThat(answer.getStatus().getCode()).isEqualTo(ErrorCode.OK);
    assertThat(answer.getBlock().getLength()).isEqualTo((long) chunks * CHUNK);
    assertThat(cluster.readReplica("n1", blockId)).isEqualTo(data);
  }

  @Test
  void anIdleNamespaceConnectionIsClosedAndTheClientCarriesOn(TestSeed seed) throws Exception {
    byte[] first = SeededContent.bytes(seed.value(), 100);
    byte[] second = SeededContent.bytes(seed.value() + 1, 200);
    String address = cluster.node(1).address();
    try (CairnClient client = cluster.newClient()) {
      client.write("/idle-first", first);
      // A raw namespace connection, left idle: the node closes it.
      try (BlockWire.Connection raw =
          BlockWire.Connection.open(address, BlockWire.META, CLIENT_TIMEOUT_MS)) {
        raw.out.flush();
        assertThat(endOfStream(raw)).as("the node closed the idle connection").isTrue();
      }
      // By now the client's own idle connection to the node is closed too; its next calls go on.
      await("the node's namespace threads are gone").atMost(Duration.ofSeconds(30))
          .until(() -> metaThreads() == 0);
      client.write("/idle-second", second);
      assertThat(client.readAllBytes("/idle-first")).isEqualTo(first);
      assertThat(client.readAllBytes("/idle-second")).isEqualTo(second);
    }
  }

  /**
   * Waits for the node to end the connection: true once a read sees its end (or a reset), false
   * if this side's own read timeout passed first.
   */
  private static boolean endOfStream(BlockWire.Connection c) {
    try {
      return c.in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the node
    }
  }
}
