package dev.cairn.bench.hdfs;

import dev.cairn.bench.FsClient;
import dev.cairn.bench.Progress;
import dev.cairn.bench.ServerProcess;
import dev.cairn.bench.SystemUnderTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * HDFS's side: one JVM running {@link HdfsClusterMain} (a MiniDFSCluster of one NameNode and
 * three DataNodes, replication 3, edit log fsync on). The NameNode's RPC port is chosen before
 * launch, so that clients can poll it from the first moment, as they poll Cairn's nodes.
 *
 * <p>HDFS without HA has one NameNode and no failover: "killing the leader" is a NameNode
 * restart done by the cluster JVM ({@code MiniDFSCluster.restartNameNode}), standing for a
 * supervisor that restarts a dead NameNode at once. The client stalls for as long as that takes.
 */
public final class HdfsSystem implements SystemUnderTest {
  private ServerProcess cluster;
  private OutputStream commands;
  private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
  private URI uri;
  private boolean restarting;

  @Override
  public String name() {
    return "hdfs";
  }

  @Override
  public synchronized void launch(Path dir, List<String> serverJvmFlags, Path classDataDir,
      Path jfrDir) throws IOException {
    int port = ServerProcess.freeLoopbackPort();
    uri = URI.create("hdfs://127.0.0.1:" + port);
    List<String> flags = new ArrayList<>(serverJvmFlags);
    flags.addAll(ServerProcess.classDataFlags(classDataDir, "hdfs-cluster"));
    if (jfrDir != null) {
      flags.add("-XX:StartFlightRecording=filename=" + jfrDir.resolve("hdfs-cluster.jfr")
          + ",settings=profile,dumponexit=true");
    }
    List<String> command = ServerProcess.javaCommand(flags, HdfsClusterMain.class.getName(),
        List.of("--dir", dir.resolve("hdfs").toString(), "--nn-port", Integer.toString(port)));
    cluster = new ServerProcess("hdfs-cluster", command, dir.resolve("hdfs-cluster.log"),
        dir.resolve(ServerProcess.PIDS_FILE), true);
    Process process = cluster.start();
    commands = process.getOutputStream();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("FSYNC")) {
            // Printed on the driver's stdout so that the report can quote it.
            System.out.println("INFO HDFS cluster JVM: NameNode " + line.substring(6)
                + " fsync (EditLogFileOutputStream, read back after start)");
            System.out.flush();
          }
          replies.add(line);
        }
      } catch (IOException e) {
        replies.add("EOF " + e.getMessage());
      }
      replies.add("EOF");
    }, "hdfs-cluster-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  @Override
  public FsClient probeClient() throws IOException {
    return probeClient(uri);
  }

  @Override
  public FsClient probeClient(int port) throws IOException {
    return probeClient(URI.create("hdfs://127.0.0.1:" + port));
  }

  private static FsClient probeClient(URI uri) throws IOException {
    Configuration conf = HdfsSettings.clientConf(uri.toString());
    // Fail fast while the NameNode is not listening yet; the driver polls every 20 ms.
    conf.setInt("ipc.client.connect.max.retries", 0);
    conf.setInt("ipc.client.connect.max.retries.on.timeouts", 0);
    return new HdfsFsClient(FileSystem.newInstance(uri, conf));
  }

  @Override
  public FsClient client() throws IOException {
    return new HdfsFsClient(FileSystem.newInstance(uri, HdfsSettings.clientConf(uri.toString())));
  }

  @Override
  public String killLeader(LongConsumer killing) throws IOException {
    killing.accept(System.nanoTime());
    command("restart-nn");
    restarting = true;
    return "the NameNode (restart in place; no HA)";
  }

  @Override
  public void recover() throws Exception {
    if (!restarting) {
      return;
    }
    while (true) {
      String reply = replies.poll(120, TimeUnit.SECONDS);
      if (reply == null || reply.startsWith("EOF")) {
        throw new IOException("the HDFS cluster did not report the NameNode restarted: "
            + cluster.logTail(20));
      }
      if (reply.equals("RESTARTED")) {
        restarting = false;
        Progress.say("  the NameNode is back");
        return;
      }
    }
  }

  private synchronized void command(String line) throws IOException {
    commands.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    commands.flush();
  }

  @Override
  public synchronized void close() {
    if (cluster == null) {
      return;
    }
    try {
      command("stop");
      // After a training round the JVM writes its AOT cache before it exits (10-20 s).
      cluster.process().waitFor(60, TimeUnit.SECONDS);
    } catch (IOException e) {
      // it is gone already
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    cluster.stop(10);
  }
}
