package dev.cairn.bench.hdfs;

import dev.cairn.bench.HeapMeter;
import dev.cairn.bench.Progress;
import dev.cairn.bench.Results;
import java.io.File;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.crypto.CryptoProtocolVersion;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.protocol.HdfsFileStatus;
import org.apache.hadoop.hdfs.server.namenode.EditLogFileOutputStream;
import org.apache.hadoop.hdfs.server.protocol.NamenodeProtocols;
import org.apache.hadoop.io.EnumSetWritable;

/**
 * Measures the NameNode's heap per file: a NameNode alone (no DataNodes) in this JVM, the used
 * heap after full collections before and after creating N empty files (1,000 per directory),
 * each created and completed through the NameNode's own RPC methods, called in-process so that
 * no client object is alive at the end. Empty files, because an HDFS file with a block cannot be
 * completed without DataNodes reporting it; Cairn is measured with the same empty files.
 *
 * <p>The edit log's fsync is off here (heap does not depend on it, and it makes the million
 * creates take seconds instead of minutes) and the retry cache is off (it is a bounded, expiring
 * cache of recent calls, not the namespace).
 *
 * <p>Arguments: {@code --dir DIR --files N [--threads 2]}.
 */
public final class HdfsHeap {
  private HdfsHeap() {}

  public static void main(String[] args) throws Exception {
    String dir = null;
    int files = 1_000_000;
    int threads = 2;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--dir" -> dir = args[++i];
        case "--files" -> files = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Configuration conf = HdfsSettings.serverConf();
    conf.setBoolean("dfs.namenode.enable.retrycache", false);
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, new File(dir))
        .numDataNodes(0)
        .skipFsyncForTesting(true)
        .format(true)
        .build();
    try {
      cluster.waitActive();
      EditLogFileOutputStream.setShouldSkipFsyncForTesting(true);
      NamenodeProtocols nn = cluster.getNameNodeRpc();
      int dirs = (files + 999) / 1000;
      long before = HeapMeter.usedAfterGc();
      Progress.say("HDFS NameNode: creating %,d empty files in %,d directories", files, dirs);
      for (int d = 0; d < dirs; d++) {
        nn.mkdirs(dirName(d), FsPermission.getDirDefault(), true);
      }
      AtomicInteger next = new AtomicInteger();
      int total = files;
      long start = System.nanoTime();
      List<Thread> workers = new ArrayList<>();
      Throwable[] failure = new Throwable[1];
      for (int t = 0; t < threads; t++) {
        Thread worker = new Thread(() -> {
          String client = "heap-bench-" + Thread.currentThread().getName();
          EnumSetWritable<CreateFlag> flags = new EnumSetWritable<>(EnumSet.of(CreateFlag.CREATE));
          int i;
          try {
            while ((i = next.getAndIncrement()) < total) {
              String path = dirName(i / 1000) + "/f" + String.format(Locale.ROOT, "%04d", i % 1000);
              HdfsFileStatus status = nn.create(path, FsPermission.getFileDefault(), client, flags,
                  false, HdfsSettings.REPLICATION, 128L << 20, CryptoProtocolVersion.supported(),
                  null, null);
              if (!nn.complete(path, client, null, status.getFileId())) {
                throw new IllegalStateException("complete(" + path + ") returned false");
              }
              if (i % 100_000 == 0 && i > 0) {
                Progress.say("  %,d files (%.0f/s)", i, i / ((System.nanoTime() - start) / 1e9));
              }
            }
          } catch (Throwable e) {
            failure[0] = e;
            next.set(total);
          }
        }, "w" + t);
        worker.start();
        workers.add(worker);
      }
      for (Thread worker : workers) {
        worker.join();
      }
      if (failure[0] != null) {
        throw new IllegalStateException("creating files failed", failure[0]);
      }
      long after = HeapMeter.usedAfterGc();
      long namespaceFiles = cluster.getNamesystem().getFilesTotal();
      Progress.say("  heap %,d -> %,d bytes; the namespace holds %,d inodes", before, after,
          namespaceFiles);
      Results.result("heap_files_empty", files);
      Results.result("heap_empty_bpf", (after - before) / (double) files);
    } finally {
      cluster.shutdown();
    }
    System.exit(0);
  }

  static String dirName(int d) {
    return "/heap/d" + String.format(Locale.ROOT, "%04d", d);
  }
}
