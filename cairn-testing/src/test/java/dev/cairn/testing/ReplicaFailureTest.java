package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import dev.cairn.client.ClusterStatus;
import dev.cairn.client.ErrorCode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A replica node dies, or one replica's bytes rot on disk: reads and writes go on, nothing wrong
 * is ever returned, and the cluster heals itself. Each test has its own cluster, since each
 * damages it.
 */
@Timeout(240)
@ExtendWith(TestSeed.Extension.class)
class ReplicaFailureTest {
  private static final int BLOCK = 64 * 1024;
  private static final Duration HEAL_TIMEOUT = Duration.ofSeconds(90);

  private MiniCluster cluster;

  @AfterEach
  void closeCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
  }

  private CairnClient startCluster(Duration orphanGrace) {
    cluster = MiniCluster.builder()
        .nodes(3)
        .blockSize(BLOCK)
        .inlineThreshold(8 * 1024)
        .maintenanceInterval(Duration.ofMillis(500))
        .orphanGrace(orphanGrace)
        .build()
        .start();
    return cluster.newClient();
  }

  // ------------------------------------------------------------------------------ a node down

  @Test
  void withOneNodeDownEveryFileStaysReadableAndWritableAndTheNodeCatchesUp(TestSeed seed)
      throws IOException {
    CairnClient client = startCluster(Duration.ofMinutes(10));
    SplittableRandom random = new SplittableRandom(seed.value());
    Map<String, byte[]> expected = new HashMap<>();
    client.mkdir("/r", false);
    for (int size : new int[] {0, 10, 5000, BLOCK, 3 * BLOCK + 1}) {
      write(client, expected, "/r/before-" + size, SeededContent.bytes(random.nextLong(), size));
    }
    String victim = aFollower();

    cluster.kill(victim);
    await("status shows " + victim + " down").atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> !up(cluster.clusterStatus(), victim));

    for (Map.Entry<String, byte[]> file : expected.entrySet()) {
      assertThat(client.readAllBytes(file.getKey())).as("%s with %s down", file.getKey(), victim)
          .isEqualTo(file.getValue());
    }
    for (int size : new int[] {1, 7000, BLOCK + 1, 4 * BLOCK}) {
      write(client, expected, "/r/during-" + size, SeededContent.bytes(random.nextLong(), size));
    }
    append(client, expected, "/r/before-10", SeededContent.bytes(random.nextLong(), 2 * BLOCK));
    append(client, expected, "/r/before-" + (3 * BLOCK + 1), SeededContent.bytes(random.nextLong(), 99));
    append(client, expected, "/r/during-1", SeededContent.bytes(random.nextLong(), 20));
    write(client, expected, "/r/before-" + BLOCK, SeededContent.bytes(random.nextLong(), BLOCK / 2));
    client.create("/r/created-during");
    expected.put("/r/created-during", new byte[0]);
    client.mkdir("/r/dir-during", false);
    client.rename("/r/during-7000", "/r/dir-during");
    expected.put("/r/dir-during/during-7000", expected.remove("/r/during-7000"));
    client.delete("/r/before-0", false);
    expected.remove("/r/before-0");
    assertContents(client, expected);
    // Blocks written now have only the two replicas that are up, and the cluster knows it.
    await("under-replicated blocks reported").atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> cluster.clusterStatus().underReplicatedBlocks() > 0);

    cluster.restart(victim);

    ClusterStatus healed = cluster.awaitHealthy(HEAL_TIMEOUT);
    assertThat(healed.underReplicatedBlocks()).isZero();
    assertEveryBlockOnEveryNode();
    assertThat(cluster.missingReplicas("/r")).isEmpty();
    assertContents(client, expected);
  }

  @Test
  void blocksOfDeletedFilesAreRemovedFromEveryNodeEvenOneThatWasDown(TestSeed seed)
      throws IOException {
    CairnClient client = startCluster(Duration.ofSeconds(2));
    SplittableRandom random = new SplittableRandom(seed.value());
    client.mkdir("/gc", false);
    client.write("/gc/deleted-while-up", SeededContent.bytes(random.nextLong(), 3 * BLOCK));
    client.write("/gc/deleted-while-down", SeededContent.bytes(random.nextLong(), 3 * BLOCK));
    client.write("/gc/overwritten", SeededContent.bytes(random.nextLong(), 3 * BLOCK));
    client.write("/gc/kept", SeededContent.bytes(random.nextLong(), 2 * BLOCK));
    Set<Long> garbage = new HashSet<>();
    blockIds("/gc/deleted-while-up", garbage);
    blockIds("/gc/deleted-while-down", garbage);
    blockIds("/gc/overwritten", garbage);
    Set<Long> kept = new HashSet<>();
    blockIds("/gc/kept", kept);
    String victim = aFollower();

    client.delete("/gc/deleted-while-up", false);
    cluster.kill(victim);
    client.delete("/gc/deleted-while-down", false);
    client.write("/gc/overwritten", SeededContent.bytes(random.nextLong(), BLOCK + 1));
    cluster.restart(victim);
    cluster.awaitHealthy(HEAL_TIMEOUT);
    blockIds("/gc/overwritten", kept);

    await("orphaned blocks removed from every node").atMost(HEAL_TIMEOUT).untilAsserted(() -> {
      for (String id : cluster.ids()) {
        assertThat(cluster.blockIdsOnDisk(id)).as("blocks on %s", id)
            .doesNotContainAnyElementsOf(garbage)
            .containsAll(kept);
      }
    });
  }

  @Test
  void aNodeWhoseDiskWasWipedRejoinsAndGetsEveryBlockBack(TestSeed seed) throws IOException {
    CairnClient client = startCluster(Duration.ofMinutes(10));
    SplittableRandom random = new SplittableRandom(seed.value());
    Map<String, byte[]> expected = new HashMap<>();
    client.mkdir("/r", false);
    for (int size : new int[] {3, 3000, BLOCK + 5, 4 * BLOCK}) {
      write(client, expected, "/r/f" + size, SeededContent.bytes(random.nextLong(), size));
    }
    String victim = aFollower();
    assertThat(cluster.blockIdsOnDisk(victim)).isNotEmpty();

    cluster.stop(victim);
    cluster.wipe(victim);
    assertThat(cluster.blockFiles(victim)).isEmpty();
    cluster.restart(victim);

    await("every block back on the wiped " + victim).atMost(HEAL_TIMEOUT).ignoreExceptions()
        .untilAsserted(this::assertEveryBlockOnEveryNode);
    cluster.awaitHealthy(HEAL_TIMEOUT);
    assertEveryBlockOnEveryNode();
    assertContents(client, expected);
    // The wiped node is a full voter again: with it, the cluster survives losing another one.
    String other = cluster.ids().stream()
        .filter(id -> !id.equals(victim) && !id.equals(cluster.leaderId()))
        .findFirst().orElseThrow();
    cluster.kill(other);
    write(client, expected, "/r/after-wipe", SeededContent.bytes(random.nextLong(), BLOCK + 1));
    assertContents(client, expected);
  }

  // ------------------------------------------------------------------------------ corruption

  @Test
  void aCorruptReplicaIsNeverReturnedAndIsRepaired(TestSeed seed) throws IOException {
    CairnClient client = startCluster(Duration.ofMinutes(10));
    byte[] data = SeededContent.bytes(seed.value(), 4 * BLOCK + 100);
    client.write("/rot", data);
    List<MiniCluster.BlockLocation> blocks = cluster.blocksOf("/rot");
    assertThat(blocks).hasSize(5);
    String victim = cluster.ids().get(new SplittableRandom(seed.value()).nextInt(3));

    for (MiniCluster.BlockLocation block : blocks) {
      cluster.corruptReplica(victim, block.blockId(), 16);
    }

    // Whichever node a client talks to, and whichever replica it reads first, it gets the truth.
    for (MiniCluster.Node node : cluster.nodes()) {
      try (CairnClient pinned = cluster.clientBuilder().addresses(node.address()).build()) {
        assertThat(pinned.readAllBytes("/rot")).as("read through %s", node.id()).isEqualTo(data);
      }
    }
    // Reading the damaged replica never yields the bad bytes: the reader refuses them (the node
    // sends its files unchecked), or, if the reads above got the replica repaired already, gets
    // the good ones.
    for (int i = 0; i < blocks.size(); i++) {
      long blockId = blocks.get(i).blockId();
      byte[] good = Arrays.copyOfRange(data, i * BLOCK, Math.min(data.length, (i + 1) * BLOCK));
      try {
        assertThat(cluster.readReplica(victim, blockId))
            .as("block %d as served by %s", blockId, victim).isEqualTo(good);
      } catch (IOException refused) {
        // Refusing is right: the damage was found.
        System.out.println("ReplicaFailureTest: " + victim + " refused block " + blockId + ": "
            + refused.getMessage());
      }
    }
    // The cluster puts a good copy back in place of the damaged one.
    await("block repaired on " + victim).atMost(HEAL_TIMEOUT).ignoreExceptions()
        .untilAsserted(() -> {
          for (int i = 0; i < blocks.size(); i++) {
            long blockId = cluster.blocksOf("/rot").get(i).blockId();
            assertThat(cluster.readReplica(victim, blockId)).isEqualTo(
                Arrays.copyOfRange(data, i * BLOCK, Math.min(data.length, (i + 1) * BLOCK)));
          }
        });
    cluster.awaitHealthy(HEAL_TIMEOUT);
    assertThat(client.readAllBytes("/rot")).isEqualTo(data);
  }

  @Test
  void aReadSucceedsWhileOnlyOneReplicaOfEachBlockIsIntact(TestSeed seed) throws IOException {
    CairnClient client = startCluster(Duration.ofMinutes(10));
    byte[] data = SeededContent.bytes(seed.value(), 6 * BLOCK);
    client.write("/mostly-rotten", data);
    List<MiniCluster.BlockLocation> blocks = cluster.blocksOf("/mostly-rotten");

    // Every block keeps a good replica on a different node; the other two are damaged.
    for (int i = 0; i < blocks.size(); i++) {
      MiniCluster.BlockLocation block = blocks.get(i);
      String intact = block.replicas().get(i % block.replicas().size());
      for (String replica : block.replicas()) {
        if (!replica.equals(intact)) {
          cluster.corruptReplica(replica, block.blockId(), 1);
        }
      }
    }

    try (CairnClient fresh = cluster.clientBuilder().build()) {
      assertThat(fresh.readAllBytes("/mostly-rotten")).isEqualTo(data);
    }
    assertThat(client.readAllBytes("/mostly-rotten")).isEqualTo(data);
  }

  @Test
  void aBlockWithEveryReplicaCorruptFailsTheReadInsteadOfReturningBadBytes(TestSeed seed)
      throws IOException {
    CairnClient client = startCluster(Duration.ofMinutes(10));
    byte[] data = SeededContent.bytes(seed.value(), 2 * BLOCK);
    client.write("/lost", data);
    MiniCluster.BlockLocation second = cluster.blocksOf("/lost").get(1);
    for (String replica : second.replicas()) {
      cluster.corruptReplica(replica, second.blockId(), 4);
    }

    try (CairnClient impatient =
        cluster.clientBuilder().failoverTimeout(Duration.ofSeconds(5)).build()) {
      Throwable whole = catchThrowable(() -> impatient.readAllBytes("/lost"));
      assertThat(whole).as("reading a file whose block is corrupt everywhere")
          .isInstanceOfSatisfying(CairnException.class,
              e -> assertThat(e.code()).as("code of %s", e).isEqualTo(ErrorCode.CORRUPT));

      ByteArrayOutputStream got = new ByteArrayOutputStream();
      Throwable streamed = catchThrowable(() -> impatient.read("/lost", got));
      assertThat(streamed).isInstanceOf(IOException.class);
      // What was delivered before the failure is a correct prefix, never damaged bytes.
      assertThat(got.size()).isLessThanOrEqualTo(BLOCK);
      assertThat(got.toByteArray()).isEqualTo(Arrays.copyOf(data, got.size()));
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private String aFollower() {
    String leader = cluster.leaderId();
    return cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
  }

  private static boolean up(ClusterStatus status, String id) {
    return status.nodes().stream().anyMatch(n -> n.id().equals(id) && n.up());
  }

  private void blockIds(String path, Set<Long> into) throws IOException {
    List<MiniCluster.BlockLocation> blocks = cluster.blocksOf(path);
    assertThat(blocks).as("blocks of %s", path).isNotEmpty();
    blocks.forEach(b -> into.add(b.blockId()));
  }

  /** With three nodes and three replicas wanted, every block must be named on, and on disk of,
   * every node. */
  private void assertEveryBlockOnEveryNode() throws IOException {
    Map<String, Set<Long>> onDisk = new HashMap<>();
    for (String id : cluster.ids()) {
      onDisk.put(id, cluster.blockIdsOnDisk(id));
    }
    int blocks = 0;
    for (String file : cluster.filesUnder("/")) {
      for (MiniCluster.BlockLocation block : cluster.blocksOf(file)) {
        assertThat(block.replicas()).as("replicas of block %d of %s", block.blockId(), file)
            .containsExactlyInAnyOrderElementsOf(cluster.ids());
        for (String id : cluster.ids()) {
          assertThat(onDisk.get(id)).as("block files on %s", id).contains(block.blockId());
        }
        blocks++;
      }
    }
    assertThat(blocks).isPositive();
  }

  private static void write(CairnClient client, Map<String, byte[]> expected, String path,
      byte[] data) throws IOException {
    client.write(path, data);
    expected.put(path, data);
  }

  private static void append(CairnClient client, Map<String, byte[]> expected, String path,
      byte[] data) throws IOException {
    client.append(path, new ByteArrayInputStream(data));
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    joined.writeBytes(expected.get(path));
    joined.writeBytes(data);
    expected.put(path, joined.toByteArray());
  }

  /** Exactly the expected files exist under /r, each with its expected content. */
  private void assertContents(CairnClient client, Map<String, byte[]> expected)
      throws IOException {
    assertThat(cluster.filesUnder("/r")).containsExactlyInAnyOrderElementsOf(expected.keySet());
    for (Map.Entry<String, byte[]> file : expected.entrySet()) {
      assertThat(client.readAllBytes(file.getKey())).as(file.getKey()).isEqualTo(file.getValue());
    }
  }
}
