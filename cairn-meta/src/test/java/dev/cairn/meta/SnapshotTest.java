package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.block;
import static dev.cairn.meta.NamespaceHarness.blockRef;
import static dev.cairn.meta.NamespaceHarness.inline;
import static dev.cairn.meta.NamespaceHarness.ok;
import static dev.cairn.meta.NamespaceHarness.requestId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.FileInfo;
import dev.cairn.proto.ForgetFreed;
import dev.cairn.proto.Membership;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.SetMembership;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotTest {

  private final NamespaceHarness h = new NamespaceHarness();

  /** A namespace with some of everything a snapshot must carry. */
  private void populate(NamespaceHarness target) {
    ok(target.registerNode("n1", "host1:7000"));
    ok(target.registerNode("n2", "host2:7000"));
    ok(target.mkdirs("/a/b/c"));
    ok(target.mkdir("/empty"));
    ok(target.put("/a/inline", "some inline bytes"));
    ok(
        target.write(
            "/a/b/blocks", block(11, 4096, "n1", "n2"), inline("tail"), block(12, 10, "n2")));
    ok(
        target.commit(
            CommitRequest.newBuilder()
                .setPath("/a/b/c/r5")
                .setReplication(5)
                .addExtents(block(13, 1))));
    ok(target.setReplicas(blockRef(12, 0, "n1", "n9")));
    ok(target.setMembership("n2", Membership.DECOMMISSIONING));
    // Freed blocks: one by an overwrite, two by a delete, one of which is then forgotten.
    ok(target.write("/doomed", block(17, 7, "n2"), block(15, 5, "n1", "n2"), block(16, 6)));
    ok(target.write("/doomed", block(15, 5)));
    ok(target.delete("/doomed"));
    ok(target.write("/gone", block(18, 8, "n9")));
    ok(target.delete("/gone"));
    ok(target.forgetFreed(16));
    ok(target.put("/ünïcode ✓", "x"));
    ok(
        target.apply(
            MetaCommand.newBuilder()
                .setRequestId(requestId("client-a", 1))
                .setMkdir(MkdirRequest.newBuilder().setPath("/dedup"))));
    ok(
        target.apply(
            MetaCommand.newBuilder()
                .setRequestId(requestId("client-b", 9))
                .setCommit(
                    CommitRequest.newBuilder()
                        .setPath("/dedup/f")
                        .setMode(CommitMode.CREATE_NEW))));
    target.apply(
        MetaCommand.newBuilder()
            .setRequestId(requestId("client-a", 2))
            .setMkdir(MkdirRequest.newBuilder().setPath("/missing/x")));
    ok(target.rename("/a/inline", "/a/b/moved"));
  }

  /** Every query answer for every path the tree holds, for comparing two namespaces. */
  private static List<Object> everything(NamespaceHarness target) {
    List<Object> answers = new ArrayList<>();
    List<String> pending = new ArrayList<>(List.of("/"));
    while (!pending.isEmpty()) {
      String path = pending.remove(pending.size() - 1);
      answers.add(target.stat(path));
      answers.add(target.lookup(path));
      MetaQueryResult list = target.list(path);
      answers.add(list);
      if (target.info(path).getDirectory()) {
        list.getEntriesList().stream().map(FileInfo::getPath).forEach(pending::add);
      }
    }
    answers.add(target.blockMap());
    answers.add(target.summary());
    answers.add(target.freed(0));
    answers.add(target.freed(1));
    return answers;
  }

  @Test
  void anEmptyNamespaceRoundTrips() throws IOException {
    NamespaceHarness copy = h.restored();
    assertThat(copy.snapshot()).isEqualTo(h.snapshot());
    assertThat(everything(copy)).isEqualTo(everything(h));
  }

  @Test
  void aRoundTripGivesIdenticalQueriesAndBytes() throws IOException {
    populate(h);
    NamespaceHarness copy = h.restored();
    copy.ns.checkInvariants();
    assertThat(copy.snapshot()).isEqualTo(h.snapshot());
    List<Object> original = everything(h);
    assertThat(original).hasSizeGreaterThan(20);
    assertThat(everything(copy)).isEqualTo(original);
    assertThat(copy.ns.fileCount()).isEqualTo(h.ns.fileCount());
    assertThat(copy.ns.blockCount()).isEqualTo(3);
    assertThat(copy.freedBlocks())
        .containsExactly(blockRef(17, 7, "n2"), blockRef(15, 5, "n1", "n2"), blockRef(18, 8, "n9"));
    assertThat(copy.summary().getSummary().getNodes(1).getMembership())
        .isEqualTo(Membership.DECOMMISSIONING);
  }

  @Test
  void aRoundTripGivesIdenticalBehaviourAfterwards() throws IOException {
    populate(h);
    NamespaceHarness copy = h.restored();
    List<MetaCommand.Builder> next =
        List.of(
            // Retries of remembered requests, a new one, and commands that touch restored blocks.
            MetaCommand.newBuilder()
                .setRequestId(requestId("client-a", 1))
                .setMkdir(MkdirRequest.newBuilder().setPath("/dedup")),
            MetaCommand.newBuilder()
                .setRequestId(requestId("client-a", 2))
                .setMkdir(MkdirRequest.newBuilder().setPath("/missing/x")),
            MetaCommand.newBuilder()
                .setRequestId(requestId("client-a", 3))
                .setMkdir(MkdirRequest.newBuilder().setPath("/new")),
            MetaCommand.newBuilder()
                .setCommit(
                    CommitRequest.newBuilder().setPath("/steal").addExtents(block(11, 4096))),
            MetaCommand.newBuilder()
                .setCommit(
                    CommitRequest.newBuilder()
                        .setPath("/a/b/blocks")
                        .addExtents(block(12, 10))
                        .addExtents(block(14, 3))),
            MetaCommand.newBuilder()
                .setCommit(
                    CommitRequest.newBuilder()
                        .setPath("/a/b/moved")
                        .setMode(CommitMode.APPEND)
                        .addExtents(inline("!"))),
            // Freed blocks are refused until forgotten; membership survives a re-register.
            MetaCommand.newBuilder()
                .setCommit(CommitRequest.newBuilder().setPath("/reuse").addExtents(block(15, 5))),
            MetaCommand.newBuilder().setForgetFreed(ForgetFreed.newBuilder().addBlockIds(15)),
            MetaCommand.newBuilder()
                .setCommit(CommitRequest.newBuilder().setPath("/reuse").addExtents(block(15, 5))),
            MetaCommand.newBuilder()
                .setRegisterNode(
                    dev.cairn.proto.RegisterNode.newBuilder()
                        .setNode(
                            dev.cairn.proto.NodeAddress.newBuilder()
                                .setId("n2")
                                .setAddress("host2:7001"))),
            MetaCommand.newBuilder()
                .setSetMembership(
                    SetMembership.newBuilder()
                        .setNodeId("n1")
                        .setMembership(Membership.DECOMMISSIONED)));
    List<ErrorCode> codes = new ArrayList<>();
    for (MetaCommand.Builder command : next) {
      var result = h.apply(command.clone());
      assertThat(copy.apply(command.clone())).isEqualTo(result);
      codes.add(result.getStatus().getCode());
    }
    assertThat(codes.subList(codes.size() - 5, codes.size()))
        .containsExactly(
            ErrorCode.INVALID_ARGUMENT, ErrorCode.OK, ErrorCode.OK, ErrorCode.OK, ErrorCode.OK);
    assertThat(copy.snapshot()).isEqualTo(h.snapshot());
    // 15 was forgotten and then reused.
    assertThat(copy.freedIds()).containsExactly(17L, 18L);
    assertThat(copy.summary().getSummary().getNodesList())
        .extracting(n -> n.getAddress() + " " + n.getMembership())
        .containsExactly("host1:7000 DECOMMISSIONED", "host2:7001 DECOMMISSIONING");
    assertThat(copy.text("/a/b/moved")).isEqualTo("some inline bytes!");
    assertThat(copy.exists("/missing")).isFalse();
  }

  @Test
  void aFrozenStateWritesWhatItWasWhenCaptured() throws IOException {
    populate(h);
    byte[] atFreeze = h.snapshot();
    Namespace.Frozen frozen = h.ns.freeze();
    // Change every kind of thing a snapshot carries, in place where the tree changes in place.
    ok(h.setReplicas(blockRef(11, 0, "n7")));
    ok(h.append("/a/b/moved", " and more"));
    ok(h.rename("/a/b/c", "/c"));
    ok(h.delete("/a/b/blocks"));
    ok(h.mkdir("/later"));
    ok(h.put("/later/f", "new"));
    ok(h.forgetFreed(17));
    ok(h.registerNode("n3", "host3:7000"));
    ok(h.setMembership("n1", Membership.DECOMMISSIONED));
    ok(h.apply(MetaCommand.newBuilder()
        .setRequestId(requestId("client-c", 1))
        .setMkdir(MkdirRequest.newBuilder().setPath("/by-c"))));
    assertThat(h.snapshot()).isNotEqualTo(atFreeze);

    ByteArrayOutputStream written = new ByteArrayOutputStream();
    frozen.writeTo(written);
    assertThat(written.toByteArray()).isEqualTo(atFreeze);
    NamespaceHarness loaded = new NamespaceHarness();
    loaded.ns.readSnapshot(new ByteArrayInputStream(written.toByteArray()));
    assertThat(loaded.exists("/a/b/c/r5")).isTrue();
    assertThat(loaded.text("/a/b/moved")).isEqualTo("some inline bytes");
    assertThat(loaded.exists("/later")).isFalse();
  }

  @Test
  void readReplacesTheWholeState() throws IOException {
    populate(h);
    NamespaceHarness other = new NamespaceHarness();
    ok(other.put("/only-here", "x"));
    other.ns.readSnapshot(new ByteArrayInputStream(h.snapshot()));
    assertThat(other.exists("/only-here")).isFalse();
    assertThat(other.snapshot()).isEqualTo(h.snapshot());
  }

  @Test
  void aDamagedSnapshotIsRejectedAndLeavesTheStateAlone() {
    populate(h);
    byte[] good = h.snapshot();
    NamespaceHarness other = new NamespaceHarness();
    ok(other.put("/keep", "x"));
    byte[] before = other.snapshot();

    byte[] flipped = good.clone();
    flipped[good.length / 2] ^= 0x10;
    assertThatThrownBy(() -> other.ns.readSnapshot(new ByteArrayInputStream(flipped)))
        .isInstanceOf(IOException.class);

    byte[] truncated = Arrays.copyOf(good, good.length - 3);
    assertThatThrownBy(() -> other.ns.readSnapshot(new ByteArrayInputStream(truncated)))
        .isInstanceOf(EOFException.class);

    byte[] badMagic = good.clone();
    badMagic[0] = 'X';
    assertThatThrownBy(() -> other.ns.readSnapshot(new ByteArrayInputStream(badMagic)))
        .hasMessageContaining("not a Cairn namespace snapshot");

    assertThat(other.snapshot()).isEqualTo(before);
  }

  @Test
  void anotherFormatVersionIsRejected() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(SnapshotFormat.MAGIC);
    out.writeInt(SnapshotFormat.FORMAT_VERSION + 1);
    assertThatThrownBy(() -> h.ns.readSnapshot(new ByteArrayInputStream(bytes.toByteArray())))
        .hasMessageContaining("format " + (SnapshotFormat.FORMAT_VERSION + 1));
  }

  @Test
  void formatVersion1IsRejectedWithAClearMessage() throws IOException {
    assertThat(SnapshotFormat.FORMAT_VERSION).isEqualTo(2);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(SnapshotFormat.MAGIC);
    out.writeInt(1);
    out.writeInt(0);
    ok(h.put("/keep", "x"));
    byte[] before = h.snapshot();
    assertThatThrownBy(() -> h.ns.readSnapshot(new ByteArrayInputStream(bytes.toByteArray())))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("format 1 is not supported (this build reads 2)");
    assertThat(h.snapshot()).isEqualTo(before);
  }

  @Test
  void aTreeDeeperThanTheStackRoundTrips() throws IOException {
    // Each chain is as deep as one path allows; renaming each into the bottom of the next builds a
    // tree far deeper than any single path, which recursion could not walk.
    String chain = "/a".repeat(2000);
    int chains = 6;
    for (int i = 0; i < chains; i++) {
      ok(h.mkdirs("/c" + i + chain));
    }
    for (int i = 0; i < chains - 1; i++) {
      ok(h.rename("/c" + i, "/c" + (i + 1) + chain));
    }
    ok(h.put("/c" + (chains - 1) + chain + "/leaf", "deep"));
    NamespaceHarness copy = h.restored();
    assertThat(copy.snapshot()).isEqualTo(h.snapshot());
    assertThat(copy.ns.directoryCount()).isEqualTo(chains * 2001L);
    ok(copy.deleteRecursively("/c" + (chains - 1)));
    assertThat(copy.ns.directoryCount()).isZero();
    copy.ns.checkInvariants();
  }
}
