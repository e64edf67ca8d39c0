package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.BlockRef;
import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.DeleteRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Extent;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.RegisterNode;
import dev.cairn.proto.RenameRequest;
import dev.cairn.proto.SetReplicas;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Feeds seeded random commands over a small name space, so that collisions, conflicts and reused
 * block ids are common, to three namespaces: two fresh ones and one restored from a snapshot
 * midway. Checks after every command that the counters and block index agree with the tree, that a
 * failed command changed nothing, and at the end that all three have byte-identical snapshots. A
 * failure names its seed; rerun one with -Dcairn.meta.seed=N.
 */
class RandomizedNamespaceTest {

  private static final String[] NAMES = {"a", "b", "c", "d"};
  private static final int COMMANDS = 1500;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 20_260_101})
  void fixedSeeds(long seed) throws IOException {
    run(seed);
  }

  @Test
  void oneFreshSeed() throws IOException {
    run(Long.getLong("cairn.meta.seed", System.nanoTime()));
  }

  private static void run(long seed) throws IOException {
    String context = "seed " + seed + " (rerun with -Dcairn.meta.seed=" + seed + ")";
    Random random = new Random(seed);
    NamespaceHarness first = new NamespaceHarness();
    NamespaceHarness second = new NamespaceHarness();
    NamespaceHarness restored = null;
    Set<ErrorCode> seen = EnumSet.noneOf(ErrorCode.class);
    for (int i = 0; i < COMMANDS; i++) {
      MetaCommand.Builder command = randomCommand(random);
      boolean remembered = command.getRequestId().getClientId().isEmpty();
      byte[] before = first.snapshot();
      MetaResult result = first.apply(command.clone());
      seen.add(result.getStatus().getCode());
      assertThat(second.apply(command.clone())).as(context).isEqualTo(result);
      if (restored != null) {
        assertThat(restored.apply(command.clone())).as(context).isEqualTo(result);
      }
      first.ns.checkInvariants();
      if (result.getStatus().getCode() != ErrorCode.OK && remembered) {
        assertThat(first.snapshot())
            .as("%s: failed command %s changed the state", context, command)
            .isEqualTo(before);
      }
      if (i == COMMANDS / 2) {
        restored = first.restored();
      }
    }
    byte[] end = first.snapshot();
    assertThat(second.snapshot()).as(context).isEqualTo(end);
    assertThat(restored.snapshot()).as(context).isEqualTo(end);
    // The mix must exercise both paths, or the test proves little.
    assertThat(seen)
        .as(context)
        .contains(ErrorCode.OK, ErrorCode.ALREADY_EXISTS, ErrorCode.NOT_FOUND);
  }

  private static MetaCommand.Builder randomCommand(Random random) {
    MetaCommand.Builder command = MetaCommand.newBuilder();
    if (random.nextInt(4) == 0) {
      // Few clients and few sequence numbers, so that retries and evictions happen.
      command.setRequestId(NamespaceHarness.requestId("c" + random.nextInt(3), random.nextInt(20)));
    }
    switch (random.nextInt(10)) {
      case 0, 1 ->
          command.setMkdir(
              MkdirRequest.newBuilder()
                  .setPath(randomPath(random))
                  .setParents(random.nextBoolean()));
      case 2, 3, 4 -> command.setCommit(randomCommit(random));
      case 5 ->
          command.setDelete(
              DeleteRequest.newBuilder()
                  .setPath(random.nextInt(20) == 0 ? "/" : randomPath(random))
                  .setRecursive(random.nextBoolean()));
      case 6, 7 ->
          command.setRename(
              RenameRequest.newBuilder()
                  .setSource(randomPath(random))
                  .setTarget(random.nextInt(10) == 0 ? "/" : randomPath(random)));
      case 8 -> {
        SetReplicas.Builder set = SetReplicas.newBuilder();
        for (int i = random.nextInt(3); i >= 0; i--) {
          set.addBlocks(
              BlockRef.newBuilder()
                  .setId(random.nextInt(40))
                  .addAllReplicas(randomReplicas(random)));
        }
        command.setSetReplicas(set);
      }
      default ->
          command.setRegisterNode(
              RegisterNode.newBuilder()
                  .setNode(
                      NodeAddress.newBuilder()
                          .setId("n" + random.nextInt(5))
                          .setAddress("h" + random.nextInt(100) + ":1")));
    }
    return command;
  }

  private static CommitRequest.Builder randomCommit(Random random) {
    CommitRequest.Builder commit =
        CommitRequest.newBuilder()
            .setPath(randomPath(random))
            .setMode(CommitMode.forNumber(random.nextInt(3)))
            .setReplication(random.nextInt(4));
    if (random.nextInt(5) == 0) {
      commit
          .setHasExpectedVersion(true)
          .setExpectedVersion(random.nextInt(3) == 0 ? 0 : random.nextInt(50));
    }
    for (int i = random.nextInt(4); i > 0; i--) {
      if (random.nextBoolean()) {
        byte[] data = new byte[random.nextInt(300)];
        random.nextBytes(data);
        commit.addExtents(NamespaceHarness.inline(data));
      } else {
        // Block lengths follow from the id, so that a reused id is usually consistent.
        long id = random.nextInt(40);
        commit.addExtents(
            Extent.newBuilder()
                .setBlock(
                    BlockRef.newBuilder()
                        .setId(id)
                        .setLength(random.nextInt(30) == 0 ? id + 1 : id * 100)
                        .addAllReplicas(randomReplicas(random))));
      }
    }
    return commit;
  }

  private static java.util.List<String> randomReplicas(Random random) {
    java.util.List<String> replicas = new java.util.ArrayList<>();
    for (int i = random.nextInt(4); i > 0; i--) {
      replicas.add("n" + random.nextInt(5));
    }
    return replicas;
  }

  private static String randomPath(Random random) {
    StringBuilder path = new StringBuilder();
    for (int depth = 1 + random.nextInt(3); depth > 0; depth--) {
      path.append('/').append(NAMES[random.nextInt(NAMES.length)]);
    }
    return random.nextInt(40) == 0 ? path + "/.." : path.toString();
  }
}
