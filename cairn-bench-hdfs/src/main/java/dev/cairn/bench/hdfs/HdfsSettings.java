package dev.cairn.bench.hdfs;

import org.apache.hadoop.conf.Configuration;

/**
 * The HDFS configuration both the cluster and the benchmark's clients use. Defaults are kept
 * except where a setting must match Cairn's side of the comparison; each change says why.
 */
final class HdfsSettings {
  private HdfsSettings() {}

  /** Replication 3 on every side, as Cairn's. */
  static final short REPLICATION = 3;

  static Configuration serverConf() {
    Configuration conf = new Configuration();
    conf.setInt("dfs.replication", REPLICATION);
    // Everything on loopback, as Cairn's nodes.
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    // 3 DataNodes and replication 3: a pipeline must not try to replace a DataNode it lost, as
    // there is none to replace it with (HDFS's own advice for clusters of 3 or fewer).
    conf.set("dfs.client.block.write.replace-datanode-on-failure.policy", "NEVER");
    return conf;
  }

  static Configuration clientConf(String uri) {
    Configuration conf = new Configuration();
    conf.set("fs.defaultFS", uri);
    conf.setInt("dfs.replication", REPLICATION);
    conf.set("dfs.client.block.write.replace-datanode-on-failure.policy", "NEVER");
    // Each FileSystem object of the benchmark is its own, never FileSystem's shared cache.
    conf.setBoolean("fs.hdfs.impl.disable.cache", true);
    return conf;
  }
}
