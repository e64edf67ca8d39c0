package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.DeleteRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Extent;
import dev.cairn.proto.FileInfo;
import dev.cairn.proto.ForgetFreed;
import dev.cairn.proto.FreedBlocksRequest;
import dev.cairn.proto.Membership;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaQuery;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.RegisterNode;
import dev.cairn.proto.RenameRequest;
import dev.cairn.proto.RequestId;
import dev.cairn.proto.SetMembership;
import dev.cairn.proto.SetReplicas;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

/**
 * Drives a {@link MemoryNamespace} the way the Raft adapter does: each command gets the next log
 * index and a clock that moves 10 ms per command. Also builds commands and checks the rule that a
 * failure changes nothing.
 */
final class NamespaceHarness {

  static final int DEFAULT_REPLICATION = 3;
  static final int MAX_INLINE = 1024;

  final MemoryNamespace ns;
  long index;
  long timeMs = 1_000_000;

  NamespaceHarness() {
    this(new MemoryNamespace(DEFAULT_REPLICATION, MAX_INLINE));
  }

  NamespaceHarness(MemoryNamespace ns) {
    this.ns = ns;
  }

  /** Applies a command at the next index, stamping it with the next time. */
  MetaResult apply(MetaCommand.Builder command) {
    index++;
    timeMs += 10;
    return ns.apply(command.setTimeMs(timeMs).build(), index);
  }

  MetaResult mkdir(String path) {
    return apply(MetaCommand.newBuilder().setMkdir(MkdirRequest.newBuilder().setPath(path)));
  }

  MetaResult mkdirs(String path) {
    return apply(
        MetaCommand.newBuilder()
            .setMkdir(MkdirRequest.newBuilder().setPath(path).setParents(true)));
  }

  MetaResult commit(CommitRequest.Builder request) {
    return apply(MetaCommand.newBuilder().setCommit(request));
  }

  /** Overwrites (or creates) a file with inline text. */
  MetaResult put(String path, String text) {
    return commit(
        CommitRequest.newBuilder()
            .setPath(path)
            .setMode(CommitMode.OVERWRITE)
            .addExtents(inline(text)));
  }

  MetaResult append(String path, String text) {
    return commit(
        CommitRequest.newBuilder()
            .setPath(path)
            .setMode(CommitMode.APPEND)
            .addExtents(inline(text)));
  }

  /** Overwrites (or creates) a file with the given extents. */
  MetaResult write(String path, Extent... extents) {
    return commit(
        CommitRequest.newBuilder()
            .setPath(path)
            .setMode(CommitMode.OVERWRITE)
            .addAllExtents(List.of(extents)));
  }

  MetaResult delete(String path) {
    return apply(MetaCommand.newBuilder().setDelete(DeleteRequest.newBuilder().setPath(path)));
  }

  MetaResult deleteRecursively(String path) {
    return apply(
        MetaCommand.newBuilder()
            .setDelete(DeleteRequest.newBuilder().setPath(path).setRecursive(true)));
  }

  MetaResult rename(String source, String target) {
    return apply(
        MetaCommand.newBuilder()
            .setRename(RenameRequest.newBuilder().setSource(source).setTarget(target)));
  }

  MetaResult setReplicas(BlockRef... blocks) {
    return apply(
        MetaCommand.newBuilder()
            .setSetReplicas(SetReplicas.newBuilder().addAllBlocks(List.of(blocks))));
  }

  MetaResult registerNode(String id, String address) {
    return apply(
        MetaCommand.newBuilder()
            .setRegisterNode(
                RegisterNode.newBuilder()
                    .setNode(NodeAddress.newBuilder().setId(id).setAddress(address))));
  }

  MetaResult forgetFreed(long... blockIds) {
    ForgetFreed.Builder forget = ForgetFreed.newBuilder();
    for (long id : blockIds) {
      forget.addBlockIds(id);
    }
    return apply(MetaCommand.newBuilder().setForgetFreed(forget));
  }

  MetaResult setMembership(String nodeId, Membership membership) {
    return apply(
        MetaCommand.newBuilder()
            .setSetMembership(
                SetMembership.newBuilder().setNodeId(nodeId).setMembership(membership)));
  }

  MetaQueryResult stat(String path) {
    return ns.query(MetaQuery.newBuilder().setStat(PathRequest.newBuilder().setPath(path)).build());
  }

  MetaQueryResult lookup(String path) {
    return ns.query(
        MetaQuery.newBuilder().setLookup(PathRequest.newBuilder().setPath(path)).build());
  }

  MetaQueryResult list(String path) {
    return ns.query(MetaQuery.newBuilder().setList(PathRequest.newBuilder().setPath(path)).build());
  }

  MetaQueryResult blockMap() {
    return ns.query(
        MetaQuery.newBuilder()
            .setBlockMap(dev.cairn.proto.BlockMapRequest.getDefaultInstance())
            .build());
  }

  MetaQueryResult summary() {
    return ns.query(
        MetaQuery.newBuilder()
            .setSummary(dev.cairn.proto.SummaryRequest.getDefaultInstance())
            .build());
  }

  MetaQueryResult freed(int limit) {
    return ns.query(
        MetaQuery.newBuilder().setFreed(FreedBlocksRequest.newBuilder().setLimit(limit)).build());
  }

  /** Every freed block, oldest first; fails the test if the query fails. */
  List<BlockRef> freedBlocks() {
    MetaQueryResult result = freed(0);
    assertThat(result.getStatus().getCode()).isEqualTo(ErrorCode.OK);
    return result.getFreedList();
  }

  /** The ids of every freed block, oldest first. */
  List<Long> freedIds() {
    return freedBlocks().stream().map(BlockRef::getId).toList();
  }

  /** The info of an existing entry; fails the test if it is missing. */
  FileInfo info(String path) {
    MetaQueryResult result = stat(path);
    assertThat(result.getStatus().getCode()).as("stat %s", path).isEqualTo(ErrorCode.OK);
    return result.getInfo();
  }

  boolean exists(String path) {
    return stat(path).getStatus().getCode() == ErrorCode.OK;
  }

  /** The names listed in a directory, in the order listed. */
  List<String> names(String dir) {
    MetaQueryResult result = list(dir);
    assertThat(result.getStatus().getCode()).isEqualTo(ErrorCode.OK);
    return result.getEntriesList().stream()
        .map(info -> info.getPath().substring(info.getPath().lastIndexOf('/') + 1))
        .toList();
  }

  /** The content of a file made only of inline extents. */
  String text(String path) {
    MetaQueryResult result = lookup(path);
    assertThat(result.getStatus().getCode()).isEqualTo(ErrorCode.OK);
    StringBuilder text = new StringBuilder();
    for (Extent extent : result.getInfo().getExtentsList()) {
      assertThat(extent.hasBlock()).isFalse();
      text.append(extent.getData().toStringUtf8());
    }
    return text.toString();
  }

  byte[] snapshot() {
    return snapshotOf(ns);
  }

  static byte[] snapshotOf(MemoryNamespace ns) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ns.writeSnapshot(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A new namespace loaded from this one's snapshot, with the same log position. */
  NamespaceHarness restored() throws IOException {
    MemoryNamespace copy = new MemoryNamespace(DEFAULT_REPLICATION, MAX_INLINE);
    copy.readSnapshot(new ByteArrayInputStream(snapshot()));
    NamespaceHarness harness = new NamespaceHarness(copy);
    harness.index = index;
    harness.timeMs = timeMs;
    return harness;
  }

  /**
   * Runs a command that must fail with {@code code} and a message containing {@code messagePart},
   * and checks that the whole state, as its snapshot shows it, did not change.
   */
  MetaResult assertFails(ErrorCode code, String messagePart, Supplier<MetaResult> command) {
    byte[] before = snapshot();
    MetaResult result = command.get();
    assertThat(result.getStatus().getCode()).as(result.getStatus().getMessage()).isEqualTo(code);
    assertThat(result.getStatus().getMessage()).contains(messagePart);
    assertThat(result.hasInfo()).isFalse();
    assertThat(snapshot()).as("state after a failed command").isEqualTo(before);
    ns.checkInvariants();
    return result;
  }

  /** Runs a command that must succeed and returns its result. */
  static MetaResult ok(MetaResult result) {
    assertThat(result.getStatus().getCode())
        .as(result.getStatus().getMessage())
        .isEqualTo(ErrorCode.OK);
    return result;
  }

  static Extent inline(String text) {
    return Extent.newBuilder().setData(ByteString.copyFrom(text, StandardCharsets.UTF_8)).build();
  }

  static Extent inline(byte[] bytes) {
    return Extent.newBuilder().setData(ByteString.copyFrom(bytes)).build();
  }

  static Extent block(long id, long length, String... replicas) {
    return Extent.newBuilder().setBlock(blockRef(id, length, replicas)).build();
  }

  static BlockRef blockRef(long id, long length, String... replicas) {
    return BlockRef.newBuilder()
        .setId(id)
        .setLength(length)
        .addAllReplicas(List.of(replicas))
        .build();
  }

  static RequestId requestId(String clientId, long seq) {
    return RequestId.newBuilder().setClientId(clientId).setSeq(seq).build();
  }
}
