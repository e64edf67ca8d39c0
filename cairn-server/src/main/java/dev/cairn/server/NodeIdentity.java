package dev.cairn.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import java.util.UUID;

/**
 * The identity written into a node's data directory on first start: which node it belongs to and
 * which cluster. A later start with another id or another cluster's peers is refused, so that a
 * mistyped flag never mixes two clusters' data.
 */
final class NodeIdentity {
  static final String FILE = "node.properties";

  private NodeIdentity() {}

  /** Checks (or, on first start, records) the identity, and locks the directory. */
  static Lock claim(Path dataDir, String nodeId, UUID clusterId) throws IOException {
    Lock lock = Lock.acquire(dataDir);
    try {
      Path file = dataDir.resolve(FILE);
      if (Files.exists(file)) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
          p.load(in);
        }
        String storedId = p.getProperty("node.id");
        String storedCluster = p.getProperty("cluster.id");
        if (!nodeId.equals(storedId)) {
          throw new IllegalStateException("data directory " + dataDir + " belongs to node "
              + storedId + ", not " + nodeId);
        }
        if (!clusterId.toString().equals(storedCluster)) {
          throw new IllegalStateException("data directory " + dataDir
              + " belongs to another cluster (" + storedCluster + "; these --peers make "
              + clusterId + ")");
        }
      } else {
        try (var entries = Files.list(dataDir)) {
          if (entries.anyMatch(e -> !e.getFileName().toString().equals("lock"))) {
            throw new IllegalStateException("data directory " + dataDir
                + " is not empty and is not a Cairn node's; give an empty or new directory");
          }
        }
        Properties p = new Properties();
        p.setProperty("node.id", nodeId);
        p.setProperty("cluster.id", clusterId.toString());
        Path tmp = dataDir.resolve(FILE + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
          p.store(out, "Cairn node identity: do not edit");
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      }
      return lock;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /** An exclusive lock on a data directory, held while the node runs. */
  static final class Lock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private Lock(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }

    static Lock acquire(Path dataDir) throws IOException {
      FileChannel ch = FileChannel.open(dataDir.resolve("lock"),
          StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        ch.close();
        throw new IllegalStateException("data directory " + dataDir
            + " is in use by another running node");
      }
      return new Lock(ch, l);
    }

    @Override
    public void close() {
      try {
        lock.release();
        channel.close();
      } catch (IOException e) {
        // The lock goes with the process anyway.
      }
    }
  }
}
