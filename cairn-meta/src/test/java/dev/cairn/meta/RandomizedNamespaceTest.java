package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.BlockRef;
import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.DeleteRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Extent;
import dev.cairn.proto.ForgetFreed;
import dev.cairn.proto.Membership;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.RegisterNode;
import dev.cairn.proto.RenameRequest;
import dev.cairn.proto.SetMembership;
import dev.cairn.proto.SetReplicas;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Feeds seeded random commands over a small name space, so that collisions, conflicts and reused
 * block ids are common, to three namespaces: two fresh ones and one restored from a snapshot
 * midway. Checks after every command that the counters and block index agree with the tree, that a
 * failed command changed nothing, that the freed list changed exactly as the block index did, that
 * node memberships changed only as asked, and at the end that all three have byte-identical
 * snapshots. A failure names its seed; rerun one with -Dcairn.meta.seed=N.
 */
class RandomizedNamespaceTest {

  private static final String[] NAMES = {"a", "b", "c", "d"};
  private static final int COMMANDS = 1500;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 20_260_101})
  void fixedSeeds(long seed) throws IOException {
    run(seed, true);
  }

  /**
   * Checks the same invariants, but not that the mix reached every path: a few seeds in a thousand
   * never free a block that a later commit names, so requiring it would make the test flaky.
   */
  @Test
  void oneFreshSeed() throws IOException {
    run(Long.getLong("cairn.meta.seed", System.nanoTime()), false);
  }

  private static void run(long seed, boolean requireEveryPath) throws IOException {
    String context = "seed " + seed + " (rerun with -Dcairn.meta.seed=" + seed + ")";
    Random random = new Random(seed);
    NamespaceHarness first = new NamespaceHarness();
    NamespaceHarness second = new NamespaceHarness();
    NamespaceHarness restored = null;
    Set<ErrorCode> seen = EnumSet.noneOf(ErrorCode.class);
    Set<Long> everIndexed = new HashSet<>();
    int freedRefusals = 0;
    int forgotten = 0;
    for (int i = 0; i < COMMANDS; i++) {
      List<BlockRef> freedBefore = first.freedBlocks();
      MetaCommand.Builder command = randomCommand(random, freedBefore);
      boolean remembered = command.getRequestId().getClientId().isEmpty();
      byte[] before = first.snapshot();
      Map<Long, BlockRef> indexBefore = index(first);
      List<NodeAddress> nodesBefore = first.summary().getSummary().getNodesList();
      MetaResult result = first.apply(command.clone());
      seen.add(result.getStatus().getCode());
      if (result.getStatus().getMessage().contains("was freed")) {
        freedRefusals++;
      }
      List<BlockRef> freedAfter = first.freedBlocks();
      if (command.hasForgetFreed()) {
        forgotten += freedBefore.size() - freedAfter.size();
      }
      checkFreed(
          context + " at command " + i + " " + command,
          command,
          result,
          indexBefore,
          freedBefore,
          index(first),
          freedAfter,
          everIndexed);
      checkMembership(
          context + " at command " + i + " " + command,
          command,
          result,
          nodesBefore,
          first.summary().getSummary().getNodesList());
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
    if (requireEveryPath) {
      assertThat(freedRefusals).as("%s: commits refused for a freed block", context).isPositive();
      assertThat(forgotten).as("%s: freed blocks forgotten", context).isPositive();
    }
  }

  /** The block map as id to block, in id order. */
  private static Map<Long, BlockRef> index(NamespaceHarness h) {
    Map<Long, BlockRef> index = new LinkedHashMap<>();
    for (BlockRef block : h.blockMap().getBlockMap().getBlocksList()) {
      index.put(block.getId(), block);
    }
    return index;
  }

  /**
   * The freed list must change exactly as the index does: a ForgetFreed removes the ids it names
   * (or nothing, if it is a retry answered from the table) and leaves the index alone; any other
   * command appends, after the old list, exactly the blocks that left the index, with the length
   * and replicas they had. No id is ever both freed and indexed, and every freed id was once
   * indexed.
   */
  private static void checkFreed(
      String context,
      MetaCommand.Builder command,
      MetaResult result,
      Map<Long, BlockRef> indexBefore,
      List<BlockRef> freedBefore,
      Map<Long, BlockRef> indexAfter,
      List<BlockRef> freedAfter,
      Set<Long> everIndexed) {
    everIndexed.addAll(indexBefore.keySet());
    everIndexed.addAll(indexAfter.keySet());
    Set<Long> freedIds = new HashSet<>();
    for (BlockRef block : freedAfter) {
      assertThat(freedIds.add(block.getId())).as("%s: %s freed twice", context, block).isTrue();
      assertThat(indexAfter).as("%s: freed and indexed", context).doesNotContainKey(block.getId());
      assertThat(everIndexed).as("%s: freed but never indexed", context).contains(block.getId());
    }
    boolean fresh = command.getRequestId().getClientId().isEmpty();
    if (command.hasForgetFreed()) {
      assertThat(indexAfter).as(context).isEqualTo(indexBefore);
      Set<Long> named = new HashSet<>(command.getForgetFreed().getBlockIdsList());
      List<BlockRef> expected =
          freedBefore.stream().filter(block -> !named.contains(block.getId())).toList();
      if (fresh) {
        assertThat(freedAfter).as(context).isEqualTo(expected);
      } else {
        assertThat(freedAfter).as(context).isIn(expected, freedBefore);
      }
      return;
    }
    List<BlockRef> left = new ArrayList<>();
    indexBefore.forEach(
        (id, block) -> {
          if (!indexAfter.containsKey(id)) {
            left.add(block);
          }
        });
    assertThat(freedAfter).as(context).hasSizeGreaterThanOrEqualTo(freedBefore.size());
    assertThat(freedAfter.subList(0, freedBefore.size()))
        .as("%s: the freed list before", context)
        .isEqualTo(freedBefore);
    assertThat(freedAfter.subList(freedBefore.size(), freedAfter.size()))
        .as("%s: the blocks appended to the freed list", context)
        .containsExactlyInAnyOrderElementsOf(left);
    if (fresh && command.hasCommit()) {
      Set<Long> wasFreed = new HashSet<>();
      freedBefore.forEach(block -> wasFreed.add(block.getId()));
      boolean namesFreed =
          command.getCommit().getExtentsList().stream()
              .anyMatch(e -> e.hasBlock() && wasFreed.contains(e.getBlock().getId()));
      if (namesFreed) {
        assertThat(result.getStatus().getCode())
            .as("%s: a commit naming a freed block", context)
            .isNotEqualTo(ErrorCode.OK);
      }
    }
  }

  /**
   * Only SetMembership changes a membership, and only of the node it names; a new node is ACTIVE,
   * and the node table's order never changes.
   */
  private static void checkMembership(
      String context,
      MetaCommand.Builder command,
      MetaResult result,
      List<NodeAddress> before,
      List<NodeAddress> after) {
    Map<String, Membership> was = new LinkedHashMap<>();
    before.forEach(node -> was.put(node.getId(), node.getMembership()));
    assertThat(after.subList(0, before.size()))
        .extracting(NodeAddress::getId)
        .as("%s: node table order", context)
        .containsExactlyElementsOf(was.keySet());
    String target = command.hasSetMembership() ? command.getSetMembership().getNodeId() : null;
    for (NodeAddress node : after) {
      Membership previous = was.getOrDefault(node.getId(), Membership.ACTIVE);
      if (!node.getId().equals(target)) {
        assertThat(node.getMembership()).as("%s: %s", context, node.getId()).isEqualTo(previous);
      } else if (command.getRequestId().getClientId().isEmpty()
          && result.getStatus().getCode() == ErrorCode.OK) {
        assertThat(node.getMembership())
            .as("%s: %s", context, node.getId())
            .isEqualTo(command.getSetMembership().getMembership());
      } else {
        assertThat(node.getMembership())
            .as("%s: %s", context, node.getId())
            .isIn(previous, command.getSetMembership().getMembership());
      }
    }
  }

  private static MetaCommand.Builder randomCommand(Random random, List<BlockRef> freed) {
    MetaCommand.Builder command = MetaCommand.newBuilder();
    if (random.nextInt(4) == 0) {
      // Few clients and few sequence numbers, so that retries and evictions happen.
      command.setRequestId(NamespaceHarness.requestId("c" + random.nextInt(3), random.nextInt(20)));
    }
    switch (random.nextInt(12)) {
      case 0, 1 ->
          command.setMkdir(
              MkdirRequest.newBuilder()
                  .setPath(randomPath(random))
                  .setParents(random.nextBoolean()));
      case 2, 3, 4 -> command.setCommit(randomCommit(random, freed));
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
      case 10 -> {
        // Mostly some random ids, freed or not; sometimes the oldest freed ones, as the server's
        // repair loop does.
        ForgetFreed.Builder forget = ForgetFreed.newBuilder();
        if (random.nextBoolean()) {
          for (int i = random.nextInt(6); i > 0; i--) {
            forget.addBlockIds(random.nextInt(40));
          }
        } else {
          freed.stream()
              .limit(random.nextInt(4))
              .forEach(block -> forget.addBlockIds(block.getId()));
        }
        command.setForgetFreed(forget);
      }
      case 11 -> {
        // n5 never registers; an empty id and an unknown membership are invalid.
        SetMembership.Builder set =
            SetMembership.newBuilder()
                .setNodeId(random.nextInt(20) == 0 ? "" : "n" + random.nextInt(6));
        if (random.nextInt(20) == 0) {
          set.setMembershipValue(7);
        } else {
          set.setMembership(Membership.forNumber(random.nextInt(3)));
        }
        command.setSetMembership(set);
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

  private static CommitRequest.Builder randomCommit(Random random, List<BlockRef> freed) {
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
        // Block lengths follow from the id, so that a reused id is usually consistent. Sometimes
        // the id is a freed one, as a writer with a stale view of the file would send.
        long id =
            !freed.isEmpty() && random.nextBoolean()
                ? freed.get(random.nextInt(freed.size())).getId()
                : random.nextInt(40);
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
