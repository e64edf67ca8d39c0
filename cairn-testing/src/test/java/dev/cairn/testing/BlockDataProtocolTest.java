package dev.cairn.testing;

import static dev.cairn.client.internal.BlockUpload.newBlockId;
import static dev.cairn.testing.RawPeer.crc;
import static dev.cairn.testing.RawPeer.header;
import static dev.cairn.testing.RawPeer.unfinishedWrites;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.CairnClient;
import dev.cairn.client.internal.BlockReadStream;
import dev.cairn.client.internal.BlockWire;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.ReadBlockResponse;
import dev.cairn.proto.WriteBlockResponse;
import dev.cairn.server.NodeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The block data protocol as a misbehaving or careless peer sees it, on real nodes: damaged
 * chunks, senders that vanish mid-block, reads from odd offsets, bytes that are not the protocol
 * at all. Nothing damaged or partial may ever be kept, and the node must go on serving.
 */
@Timeout(120)
@ExtendWith(TestSeed.Extension.class)
class BlockDataProtocolTest {
  private static final int CHUNK = BlockWire.CHUNK_SIZE;
  private static final int TIMEOUT_MS = 20_000;

  private static MiniCluster cluster;

  @BeforeAll
  static void startCluster() {
    // No scrubber: damage a test makes on disk is found only by the reads the test makes.
    NodeConfig.Healing d = NodeConfig.Healing.DEFAULTS;
    NodeConfig.Healing noScrubber = new NodeConfig.Healing(d.heartbeatInterval(),
        d.suspectAfter(), d.deadAfter(), d.copyRateBytesPerSec(), 0);
    cluster = MiniCluster.builder().nodes(3).blockSize(4 * CHUNK)
        .configure(c -> c.withHealing(noScrubber)).build().start();
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aChunkThatArrivesDamagedIsRefusedAndNothingOfTheBlockIsKept(TestSeed seed)
      throws IOException {
    MiniCluster.Node node = cluster.node(1);
    long blockId = newBlockId();
    byte[] good = SeededContent.bytes(seed.value(), CHUNK);
    byte[] bad = SeededContent.bytes(seed.value() + 1, CHUNK);
    WriteBlockResponse answer;
    try (BlockWire.Connection c = BlockWire.Connection.open(node.address(), BlockWire.WRITE,
        TIMEOUT_MS)) {
      BlockWire.writeMessage(c.out, header(blockId, false));
      BlockWire.writeChunk(c.out, good, 0, CHUNK, crc(good, CHUNK));
      BlockWire.writeChunk(c.out, bad, 0, CHUNK, crc(bad, CHUNK) ^ 1);
      c.out.writeInt(BlockWire.END);
      c.out.flush();
      answer = BlockWire.readMessage(c.in, WriteBlockResponse.parser());
    }
    assertThat(answer.getStatus().getCode()).isEqualTo(ErrorCode.CORRUPT);
    assertThat(answer.getStatus().getMessage()).contains("chunk 1");
    assertThat(node.blockIdsOnDisk()).doesNotContain(blockId);
    assertThat(unfinishedWrites(node)).as("unfinished block files").isEmpty();
  }

  @Test
  void aSenderThatVanishesMidBlockLeavesNothingBehind(TestSeed seed) throws IOException {
    MiniCluster.Node node = cluster.node(2);
    long blockId = newBlockId();
    byte[] data = SeededContent.bytes(seed.value(), CHUNK);
    try (BlockWire.Connection c = BlockWire.Connection.open(node.address(), BlockWire.WRITE,
        TIMEOUT_MS)) {
      BlockWire.writeMessage(c.out, header(blockId, true));
      BlockWire.writeChunk(c.out, data, 0, CHUNK, crc(data, CHUNK));
      c.out.flush();
      await("the node has started the block").atMost(Duration.ofSeconds(10))
          .until(() -> !unfinishedWrites(node).isEmpty());
    } // closed without an end frame
    await("the partial block is discarded").atMost(Duration.ofSeconds(30))
        .until(() -> cluster.nodes().stream().allMatch(n -> unfinishedWrites(n).isEmpty()));
    for (MiniCluster.Node n : cluster.nodes()) {
      assertThat(n.blockIdsOnDisk()).as("blocks on %s", n.id()).doesNotContain(blockId);
    }
  }

  @Test
  void anAcknowledgedBlockIsWholeOnEveryReplicaItNames(TestSeed seed) throws IOException {
    long blockId = newBlockId();
    int length = 2 * CHUNK + 1234;
    byte[] data = SeededContent.bytes(seed.value(), length);
    WriteBlockResponse answer;
    try (BlockWire.Connection c = BlockWire.Connection.open(cluster.node(3).address(),
        BlockWire.WRITE, TIMEOUT_MS)) {
      BlockWire.writeMessage(c.out, header(blockId, true));
      for (int off = 0; off < length; off += CHUNK) {
        int n = Math.min(CHUNK, length - off);
        byte[] chunk = Arrays.copyOfRange(data, off, off + n);
        BlockWire.writeChunk(c.out, chunk, 0, n, crc(chunk, n));
      }
      c.out.writeInt(BlockWire.END);
      c.out.flush();
      answer = BlockWire.readMessage(c.in, WriteBlockResponse.parser());
    }
    assertThat(answer.getStatus().getCode()).isEqualTo(ErrorCode.OK);
    assertThat(answer.getBlock().getLength()).isEqualTo(length);
    assertThat(answer.getBlock().getReplicasList()).hasSize(3).contains("n3");
    for (String replica : answer.getBlock().getReplicasList()) {
      assertThat(cluster.readReplica(replica, blockId)).as("replica on %s", replica)
          .isEqualTo(data);
    }

    // From the second chunk on: the rest of the block, and only that.
    String address = cluster.node(1).address();
    byte[] buf = new byte[CHUNK];
    try (BlockReadStream in = BlockReadStream.open(address, blockId, CHUNK, TIMEOUT_MS)) {
      assertThat(in.next(buf)).isEqualTo(CHUNK);
      assertThat(Arrays.copyOf(buf, CHUNK)).isEqualTo(Arrays.copyOfRange(data, CHUNK, 2 * CHUNK));
      assertThat(in.next(buf)).isEqualTo(1234);
      assertThat(in.next(buf)).as("end of the block").isZero();
    }
    assertThatThrownBy(() -> BlockReadStream.open(address, blockId, 100, TIMEOUT_MS))
        .isInstanceOf(BlockReadStream.ReplicaException.class)
        .hasMessageContaining("not a chunk boundary");
    assertThatThrownBy(() -> BlockReadStream.open(address, newBlockId(), 0, TIMEOUT_MS))
        .isInstanceOf(BlockReadStream.ReplicaException.class)
        .hasMessageContaining("has no block");
  }

  @Test
  void aReportOfDamageCostsAReplicaOnlyWhenTheNodeFindsTheDamageItself(TestSeed seed)
      throws IOException {
    byte[] content = SeededContent.bytes(seed.value(), 3 * CHUNK + 99);
    try (CairnClient client = cluster.newClient()) {
      client.write("/reported", content);
    }
    MiniCluster.BlockLocation block = cluster.blocksOf("/reported").get(0);
    assertThat(block.replicas()).containsExactlyInAnyOrder("n1", "n2", "n3");

    // A reader that saw damage the replica does not have (bytes hit on the way) costs a check.
    ReadBlockResponse sound = BlockReadStream.verify(cluster.node("n1").address(),
        block.blockId(), TIMEOUT_MS);
    assertThat(sound.getStatus().getCode()).isEqualTo(ErrorCode.OK);
    assertThat(cluster.blockIdsOnDisk("n1")).contains(block.blockId());
    assertThat(quarantined("n1")).isEmpty();

    // A replica really damaged is found so and moved aside.
    cluster.corruptReplica("n2", block.blockId(), 8);
    ReadBlockResponse damaged = BlockReadStream.verify(cluster.node("n2").address(),
        block.blockId(), TIMEOUT_MS);
    assertThat(damaged.getStatus().getCode()).isEqualTo(ErrorCode.CORRUPT);
    assertThat(quarantined("n2")).hasSize(1);

    // A reader of a damaged replica refuses its bytes and reports it, and the node acts on that.
    cluster.corruptReplica("n3", block.blockId(), 8);
    byte[] buf = new byte[CHUNK];
    try (BlockReadStream in = BlockReadStream.open(cluster.node("n3").address(),
        block.blockId(), 0, TIMEOUT_MS)) {
      assertThatThrownBy(() -> {
        while (in.next(buf) > 0) {
          // reading to the damaged chunk
        }
      }).isInstanceOfSatisfying(BlockReadStream.ReplicaException.class,
          e -> assertThat(e.corrupt).isTrue());
    }
    await("the replica on n3 quarantined after the reader's report")
        .atMost(Duration.ofSeconds(30)).until(() -> quarantined("n3").size() == 1);
    try (CairnClient client = cluster.newClient()) {
      assertThat(client.readAllBytes("/reported")).isEqualTo(content);
    }
  }

  @Test
  void bytesThatAreNotTheProtocolGetTheConnectionClosedAndTheNodeServesOn(TestSeed seed)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(BlockWire.dataSocketAddress(cluster.node(1).address()), TIMEOUT_MS);
      socket.setSoTimeout(TIMEOUT_MS);
      OutputStream out = socket.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: cairn\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      assertThat(in.read()).as("the node hangs up without answering").isEqualTo(-1);
    }
    byte[] content = SeededContent.bytes(seed.value(), 5 * CHUNK + 7);
    try (CairnClient client = cluster.newClient()) {
      client.write("/after-garbage", content);
      assertThat(client.readAllBytes("/after-garbage")).isEqualTo(content);
    }
  }

  @Test
  void readConnectionsAskForABigReceiveBufferOnlyWhereTheKernelAllowsIt() throws IOException {
    int big = BlockWire.READ_BUFFER_BYTES;
    assertThat(BlockWire.readReceiveBuffer(2L * big)).isEqualTo(big);
    assertThat(BlockWire.readReceiveBuffer(big)).isEqualTo(big);
    assertThat(BlockWire.readReceiveBuffer(212_992)).as("Linux's usual ceiling").isZero();
    assertThat(BlockWire.readReceiveBuffer(-1)).as("no ceiling known").isZero();

    long rmemMax = BlockWire.rmemMax();
    Path ceiling = Path.of("/proc/sys/net/core/rmem_max");
    if (Files.exists(ceiling)) {
      assertThat(rmemMax).isEqualTo(Long.parseLong(Files.readAllLines(ceiling).get(0).trim()));
    }
    String address = cluster.node(1).address();
    try (BlockWire.Connection read =
            BlockWire.Connection.open(address, BlockWire.READ, TIMEOUT_MS);
        BlockWire.Connection write =
            BlockWire.Connection.open(address, BlockWire.WRITE, TIMEOUT_MS)) {
      int readBuffer = read.socket.getReceiveBufferSize();
      int writeBuffer = write.socket.getReceiveBufferSize();
      if (rmemMax >= big) {
        assertThat(readBuffer).isGreaterThanOrEqualTo(big).isGreaterThan(writeBuffer);
      } else {
        assertThat(readBuffer).as("left to the kernel, as for a write").isEqualTo(writeBuffer);
      }
    }
  }

  private static java.util.List<Path> quarantined(String node) throws IOException {
    Path corrupt = cluster.dataDir(node).resolve("corrupt");
    if (!Files.exists(corrupt)) {
      return java.util.List.of();
    }
    try (Stream<Path> files = Files.list(corrupt)) {
      return files.toList();
    }
  }
}
