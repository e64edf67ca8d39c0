package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.client.CairnClient;
import dev.cairn.client.FileStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many writers at once: the leader carries their commits in shared log entries (group commit),
 * and each commit still gets a version of its own and is read back whole.
 */
@Timeout(180)
class GroupCommitTest {
  private static final int WRITERS = 48;
  private static final int FILES_EACH = 10;

  @Test
  void concurrentCommitsShareLogEntriesAndKeepTheirOwnVersions() throws Exception {
    try (MiniCluster cluster = MiniCluster.builder().nodes(3).build().start();
        CairnClient client = cluster.newClient()) {
      client.mkdir("/many", false);
      MiniCluster.Node leader = cluster.node(cluster.leaderId());
      long appliedBefore = leader.server().appliedIndex();

      ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
      List<Future<List<FileStatus>>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        writers.add(pool.submit(() -> {
          List<FileStatus> written = new ArrayList<>();
          for (int i = 0; i < FILES_EACH; i++) {
            written.add(client.write(path(writer, i), content(writer, i)));
          }
          return written;
        }));
      }
      Set<Long> versions = new HashSet<>();
      for (Future<List<FileStatus>> f : writers) {
        f.get().forEach(status -> versions.add(status.version()));
      }
      pool.shutdown();
      long entries = leader.server().appliedIndex() - appliedBefore;
      int commits = WRITERS * FILES_EACH;

      assertThat(versions).as("one version per commit").hasSize(commits);
      // Without group commit every commit is an entry of its own, plus whatever the cluster's
      // own upkeep proposed meanwhile.
      assertThat(entries).as("log entries for %d commits", commits).isLessThan(commits);
      for (int w = 0; w < WRITERS; w++) {
        for (int i = 0; i < FILES_EACH; i++) {
          assertThat(client.readAllBytes(path(w, i))).as(path(w, i)).isEqualTo(content(w, i));
        }
      }
      assertThat(client.list("/many")).hasSize(commits);
    }
  }

  @Test
  void concurrentRenamesShareLogEntriesAndAllLand() throws Exception {
    int renamers = 8;
    int each = 40;
    try (MiniCluster cluster = MiniCluster.builder().nodes(3).build().start();
        CairnClient client = cluster.newClient()) {
      client.mkdir("/moving", false);
      for (int r = 0; r < renamers; r++) {
        for (int i = 0; i < each; i++) {
          client.create("/moving/a" + r + "-" + i);
        }
      }
      MiniCluster.Node leader = cluster.node(cluster.leaderId());
      long appliedBefore = leader.server().appliedIndex();

      ExecutorService pool = Executors.newFixedThreadPool(renamers);
      List<Future<?>> running = new ArrayList<>();
      for (int r = 0; r < renamers; r++) {
        int renamer = r;
        running.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            client.rename("/moving/a" + renamer + "-" + i, "/moving/b" + renamer + "-" + i);
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
      pool.shutdown();
      long entries = leader.server().appliedIndex() - appliedBefore;
      int renames = renamers * each;

      // The linger holds an entry for the renamers just answered, so entries carry several.
      assertThat(entries).as("log entries for %d renames", renames).isLessThan(renames);
      assertThat(client.list("/moving"))
          .extracting(FileStatus::path)
          .hasSize(renames)
          .allMatch(path -> path.startsWith("/moving/b"));
    }
  }

  private static String path(int writer, int i) {
    return "/many/w" + writer + "-" + i;
  }

  private static byte[] content(int writer, int i) {
    return SeededContent.bytes(writer * 1000L + i, 100 + (writer * 37 + i * 11) % 4000);
  }
}
