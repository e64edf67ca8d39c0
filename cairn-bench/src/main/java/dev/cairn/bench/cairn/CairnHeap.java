package dev.cairn.bench.cairn;

import com.google.protobuf.ByteString;
import dev.cairn.bench.HeapMeter;
import dev.cairn.bench.Progress;
import dev.cairn.bench.Results;
import dev.cairn.meta.MemoryNamespace;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Extent;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.RequestId;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Measures the heap Cairn's namespace takes per file: the real state machine ({@link
 * MemoryNamespace}, which every voter holds) applying the same Commit and Mkdir commands the Raft
 * log carries, with request ids as a client sends them. Used heap after full collections, before
 * and after creating N files (1,000 per directory); nothing but the namespace is kept alive.
 *
 * <p>Shapes: {@code empty} (what HDFS is measured with), {@code block} (one 8 MiB block with 3
 * replicas: any file above the inline threshold), {@code inline4k} (4 KiB of content kept inline
 * in the namespace, as the small-file workload's files are).
 *
 * <p>Arguments: {@code --files N --shape empty|block|inline4k}.
 */
public final class CairnHeap {
  private CairnHeap() {}

  public static void main(String[] args) throws Exception {
    int files = 1_000_000;
    String shape = "empty";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--files" -> files = Integer.parseInt(args[++i]);
        case "--shape" -> shape = args[++i];
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    MemoryNamespace namespace = new MemoryNamespace(3, 64 * 1024);
    long index = 1;
    long seq = 0;
    int dirs = (files + 999) / 1000;
    Random random = new Random(7);
    byte[] content = new byte[4096];
    random.nextBytes(content);
    ByteString inline = ByteString.copyFrom(content);

    long before = HeapMeter.usedAfterGc();
    Progress.say("Cairn namespace: creating %,d %s files in %,d directories", files, shape, dirs);
    long start = System.nanoTime();
    for (int d = 0; d < dirs; d++) {
      check(namespace.apply(MetaCommand.newBuilder()
          .setRequestId(id(++seq))
          .setTimeMs(System.currentTimeMillis())
          .setMkdir(MkdirRequest.newBuilder().setPath(dirName(d)).setParents(true)
              .setRequestId(id(seq)))
          .build(), index++), dirName(d));
    }
    for (int i = 0; i < files; i++) {
      String path = dirName(i / 1000) + "/f" + String.format(Locale.ROOT, "%04d", i % 1000);
      CommitRequest.Builder commit = CommitRequest.newBuilder()
          .setPath(path)
          .setMode(CommitMode.CREATE_NEW)
          .setRequestId(id(++seq));
      switch (shape) {
        case "empty" -> { }
        case "block" -> commit.addExtents(Extent.newBuilder().setBlock(BlockRef.newBuilder()
            .setId(random.nextLong()).setLength(8 << 20)
            .addAllReplicas(List.of("n1", "n2", "n3"))));
        case "inline4k" -> commit.addExtents(Extent.newBuilder().setData(inline));
        default -> throw new IllegalArgumentException("unknown shape " + shape);
      }
      check(namespace.apply(MetaCommand.newBuilder()
          .setRequestId(id(seq))
          .setTimeMs(System.currentTimeMillis())
          .setCommit(commit)
          .build(), index++), path);
      if (i % 200_000 == 0 && i > 0) {
        Progress.say("  %,d files (%.0f/s)", i, i / ((System.nanoTime() - start) / 1e9));
      }
    }
    long after = HeapMeter.usedAfterGc();
    Progress.say("  heap %,d -> %,d bytes; the namespace holds %,d files", before, after,
        namespace.fileCount());
    if (namespace.fileCount() != files) {
      throw new IllegalStateException("the namespace holds " + namespace.fileCount()
          + " files, not " + files);
    }
    Results.result("heap_files_" + shape, files);
    Results.result("heap_" + shape + "_bpf", (after - before) / (double) files);
    // Keeps the namespace reachable until after the measurement.
    System.err.println("the namespace held " + namespace.fileCount() + " files when measured");
  }

  private static void check(MetaResult result, String path) {
    if (result.getStatus().getCode() != ErrorCode.OK) {
      throw new IllegalStateException(path + ": " + result.getStatus());
    }
  }

  private static RequestId id(long seq) {
    return RequestId.newBuilder().setClientId("heap-bench").setSeq(seq).build();
  }

  static String dirName(int d) {
    return "/heap/d" + String.format(Locale.ROOT, "%04d", d);
  }
}
