package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.blockRef;
import static dev.cairn.meta.NamespaceHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.BlockRef;
import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.CondemnOrphans;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Extent;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaResult;
import org.junit.jupiter.api.Test;

/**
 * The guard between slow uploads and orphan collection: a commit may name a new block only within
 * the upload window after it was stored, and a condemned orphan can never be named again while
 * its replicas are being deleted.
 */
class UploadWindowTest {
  private static final long WINDOW = 30_000;
  private final NamespaceHarness h = new NamespaceHarness();

  private MetaResult commit(String path, BlockRef block) {
    return h.apply(MetaCommand.newBuilder()
        .setUploadWindowMs(WINDOW)
        .setCommit(CommitRequest.newBuilder()
            .setPath(path)
            .setMode(CommitMode.OVERWRITE)
            .addExtents(Extent.newBuilder().setBlock(block))));
  }

  @Test
  void aBlockStoredWithinTheWindowIsAccepted() {
    BlockRef b = blockRef(1, 10, "n1", "n2").toBuilder().setStoredAtMs(h.timeMs - 1_000).build();
    ok(commit("/f", b));
    assertThat(h.ns.blockCount()).isEqualTo(1);
  }

  @Test
  void aBlockStoredBeforeTheWindowIsRefusedAndNothingChanges() {
    BlockRef b = blockRef(2, 10, "n1").toBuilder().setStoredAtMs(h.timeMs - 60_000).build();
    MetaResult r = commit("/f", b);
    assertThat(r.getStatus().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(r.getStatus().getMessage()).contains("upload window");
    assertThat(h.ns.fileCount()).isZero();
    assertThat(h.ns.blockCount()).isZero();
  }

  @Test
  void aBlockWithoutAnUploadTimeIsRefusedWhenAWindowIsSet() {
    MetaResult r = commit("/f", blockRef(3, 10, "n1"));
    assertThat(r.getStatus().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void aCondemnedOrphanIsFreedAndCannotBeCommitted() {
    ok(h.apply(MetaCommand.newBuilder().setCondemnOrphans(
        CondemnOrphans.newBuilder().addBlocks(blockRef(4, 10, "n2")))));
    assertThat(h.ns.freedBlockCount()).isEqualTo(1);
    BlockRef b = blockRef(4, 10, "n1").toBuilder().setStoredAtMs(h.timeMs).build();
    MetaResult r = commit("/f", b);
    assertThat(r.getStatus().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(r.getStatus().getMessage()).contains("freed");
  }

  @Test
  void condemningAReferencedBlockChangesNothing() {
    ok(commit("/f", blockRef(5, 10, "n1").toBuilder().setStoredAtMs(h.timeMs).build()));
    ok(h.apply(MetaCommand.newBuilder().setCondemnOrphans(
        CondemnOrphans.newBuilder().addBlocks(blockRef(5, 10, "n1")))));
    assertThat(h.ns.freedBlockCount()).isZero();
    assertThat(h.ns.blockCount()).isEqualTo(1);
  }
}
