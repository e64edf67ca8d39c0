package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.CairnClient;
import dev.cairn.client.FileStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole cluster goes down and comes back: the namespace (paths, sizes, versions, times) and
 * every file's content must be as they were. Once with a graceful stop, once with a crash of
 * every node at the same moment.
 */
@Timeout(240)
@ExtendWith(TestSeed.Extension.class)
class RestartTest {
  private static final int BLOCK = 64 * 1024;
  private static final String ROOT = "/restart";

  @Test
  void aStoppedAndRestartedClusterKeepsItsNamespaceAndContent(TestSeed seed) throws IOException {
    restartKeepsEverything(seed, false);
  }

  @Test
  void aClusterWhoseNodesAllCrashLosesNoAcknowledgedWrite(TestSeed seed) throws IOException {
    restartKeepsEverything(seed, true);
  }

  private static void restartKeepsEverything(TestSeed seed, boolean crash) throws IOException {
    try (MiniCluster cluster =
        MiniCluster.builder().nodes(3).blockSize(BLOCK).inlineThreshold(8 * 1024).build()) {
      cluster.start();
      CairnClient client = cluster.newClient();
      writeTree(client, new SplittableRandom(seed.value()));
      Map<String, Trees.Entry> before = Trees.snapshot(client, ROOT);
      assertThat(before).as("the tree written").hasSizeGreaterThan(15);
      long newestVersion =
          before.values().stream().mapToLong(Trees.Entry::version).max().orElseThrow();

      if (crash) {
        for (String id : cluster.ids()) {
          cluster.kill(id);
        }
      } else {
        cluster.stopAll();
      }
      assertThat(cluster.runningNodes()).isEmpty();
      cluster.start();

      try (CairnClient fresh = cluster.clientBuilder().build()) {
        assertThat(Trees.snapshot(fresh, ROOT)).as("the tree after the restart")
            .containsExactlyEntriesOf(before);
        // The client from before the restart reconnects by itself.
        assertThat(client.stat(ROOT + "/a/b/big").size()).isEqualTo(before.get(ROOT + "/a/b/big").size());
        // The cluster takes writes again, and versions keep growing.
        FileStatus after = fresh.write(ROOT + "/after-restart", SeededContent.bytes(1, 3 * BLOCK));
        assertThat(after.version()).isGreaterThan(newestVersion);
        assertThat(fresh.readAllBytes(ROOT + "/after-restart"))
            .isEqualTo(SeededContent.bytes(1, 3 * BLOCK));
      }
      cluster.awaitHealthy(Duration.ofSeconds(60));
      assertThat(cluster.missingReplicas(ROOT)).isEmpty();
    }
  }

  /** Directories, empty and small inline files, files of one and of many blocks, and history. */
  private static void writeTree(CairnClient client, SplittableRandom random) throws IOException {
    client.mkdir(ROOT + "/a/b/c", true);
    client.mkdir(ROOT + "/empty-dir", true);
    client.mkdir(ROOT + "/d", true);
    client.create(ROOT + "/empty-file");
    int[] sizes = {1, 100, 4000, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK + 7};
    for (int i = 0; i < sizes.length; i++) {
      client.write(ROOT + "/a/f" + i, SeededContent.bytes(random.nextLong(), sizes[i]));
      client.write(ROOT + "/d/g" + i, SeededContent.bytes(random.nextLong(), sizes[i] / 2 + 1));
    }
    client.write(ROOT + "/a/b/big", SeededContent.bytes(random.nextLong(), 16 * BLOCK + 3));
    client.write(ROOT + "/a/b/c/deep", "deep".getBytes(StandardCharsets.UTF_8));
    // A file with history: appended, overwritten, appended again.
    client.create(ROOT + "/log");
    for (int i = 0; i < 5; i++) {
      client.append(ROOT + "/log", new ByteArrayInputStream(
          SeededContent.bytes(random.nextLong(), random.nextInt(3 * BLOCK))));
    }
    client.write(ROOT + "/overwritten", SeededContent.bytes(random.nextLong(), 2 * BLOCK));
    client.write(ROOT + "/overwritten", SeededContent.bytes(random.nextLong(), 100));
    client.append(ROOT + "/overwritten", new ByteArrayInputStream(
        SeededContent.bytes(random.nextLong(), BLOCK + 10)));
    // Entries that moved or went away must stay that way.
    client.write(ROOT + "/moved-from", SeededContent.bytes(random.nextLong(), BLOCK + 1));
    client.rename(ROOT + "/moved-from", ROOT + "/d/moved-to");
    client.write(ROOT + "/deleted", SeededContent.bytes(random.nextLong(), BLOCK + 1));
    client.delete(ROOT + "/deleted", false);
  }
}
