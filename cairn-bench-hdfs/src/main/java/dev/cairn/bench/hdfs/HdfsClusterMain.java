package dev.cairn.bench.hdfs;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.server.namenode.EditLogFileOutputStream;

/**
 * The HDFS side's server process: a {@link MiniDFSCluster} of one NameNode and N DataNodes in this
 * JVM, on 127.0.0.1, replication 3, with the NameNode's edit log fsynced on every sync as in a real
 * deployment (MiniDFSCluster turns that fsync off by default; Cairn's Raft log does fsync).
 *
 * <p>Arguments: {@code --dir DIR --nn-port PORT [--datanodes 3]}. Talks over stdin and stdout: it
 * prints {@code READY hdfs://127.0.0.1:PORT} once the cluster is up, then reads commands, one a
 * line: {@code restart-nn} (restarts the NameNode on the same ports and answers {@code
 * RESTARTED}), {@code stop}. End of stdin stops it too, so the cluster never outlives its driver.
 * Its class path holds the Hadoop jars only, never Cairn's.
 */
public final class HdfsClusterMain {
  private HdfsClusterMain() {}

  public static void main(String[] args) throws Exception {
    String dir = null;
    int nnPort = 0;
    int dataNodes = 3;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--dir" -> dir = args[++i];
        case "--nn-port" -> nnPort = Integer.parseInt(args[++i]);
        case "--datanodes" -> dataNodes = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (dir == null) {
      throw new IllegalArgumentException("--dir is required");
    }
    Configuration conf = HdfsSettings.serverConf();
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, new File(dir))
        .numDataNodes(dataNodes)
        .nameNodePort(nnPort)
        .skipFsyncForTesting(false)
        .format(true)
        .build();
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::shutdown, "hdfs-shutdown"));
    cluster.waitActive();
    // The builder sets the switch from skipFsyncForTesting(false); set it again and read it back,
    // so that a change in MiniDFSCluster cannot silently turn the fsync off.
    EditLogFileOutputStream.setShouldSkipFsyncForTesting(false);
    System.out.println("FSYNC edit-log " + (skipsFsync() ? "off" : "on"));
    System.out.println("READY " + cluster.getURI());
    System.out.flush();

    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      switch (line.strip()) {
        case "restart-nn" -> {
          // MiniDFSCluster stops the NameNode and starts a new one on the same ports and
          // directories; waitActive=false, so the driver's clients see exactly how long the
          // namespace is unavailable (start, image and edit-log load, safe mode, DataNodes
          // re-registering).
          cluster.restartNameNode(false);
          System.out.println("RESTARTED");
          System.out.flush();
        }
        case "stop" -> {
          cluster.shutdown();
          System.out.println("STOPPED");
          System.out.flush();
          System.exit(0);
        }
        case "" -> { }
        default -> System.out.println("UNKNOWN " + line);
      }
    }
    cluster.shutdown();
    System.exit(0);
  }

  /** EditLogFileOutputStream's private switch, read by reflection; true if fsync is skipped. */
  static boolean skipsFsync() {
    try {
      Field f = EditLogFileOutputStream.class.getDeclaredField("shouldSkipFsyncForTests");
      f.setAccessible(true);
      return f.getBoolean(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot verify the edit log fsync setting: " + e, e);
    }
  }
}
