package dev.cairn.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One system's cluster as a driver sees it: launched as real server processes on 127.0.0.1, used
 * through {@link FsClient}s, hurt by {@link #killLeader}, and torn down by {@link #close}.
 * Implementations live in {@code dev.cairn.bench.cairn} and {@code dev.cairn.bench.hdfs}, and are
 * loaded by name so that a driver's JVM only ever loads one side's classes.
 */
public interface SystemUnderTest extends AutoCloseable {

  /** The name used in results: "cairn" or "hdfs". */
  String name();

  /**
   * Starts the cluster's processes in {@code dir} and returns without waiting for them: the
   * driver measures readiness itself, by writing until a write succeeds.
   *
   * @param serverJvmFlags heap and other flags every server JVM of either system gets
   * @param classDataDir where each server process keeps its class-data archive (see {@link
   *     ServerProcess#classDataFlags}), or null for none
   * @param jfrDir where each server process writes a flight recording, or null for none
   */
  void launch(Path dir, List<String> serverJvmFlags, Path classDataDir, Path jfrDir)
      throws IOException;

  /** A client whose calls fail fast while the cluster is not up, for polling readiness. */
  FsClient probeClient() throws IOException;

  /**
   * A client like {@link #probeClient}, for a server on 127.0.0.1 at {@code port}, where nothing
   * listens: the driver writes through it once before launching, so that loading and compiling the
   * probe's own code does not take the cores from the servers' start while that is timed.
   */
  FsClient probeClient(int port) throws IOException;

  /** A client with the system's default settings, for the workloads. */
  FsClient client() throws IOException;

  /**
   * Kills the process that leads the namespace (Cairn's Raft leader; HDFS's NameNode) and
   * returns at once, with what was killed.
   *
   * @param killing told {@link System#nanoTime()} just before the signal (or command) goes out
   */
  String killLeader(java.util.function.LongConsumer killing) throws Exception;

  /** Brings back what {@link #killLeader} killed and waits until it has rejoined. */
  void recover() throws Exception;

  /** Stops every process this object started, gracefully and then by force. Never throws. */
  @Override
  void close();
}
