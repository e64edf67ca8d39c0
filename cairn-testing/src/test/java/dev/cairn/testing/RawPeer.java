package dev.cairn.testing;

import dev.cairn.proto.WriteBlockHeader;
import dev.cairn.server.rpc.BlockDataServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * What the tests that speak the block data protocol themselves, as a client or a node would, need
 * around it: chunk CRCs, headers, and a look at what a node has left unfinished.
 */
final class RawPeer {
  private RawPeer() {}

  /** The CRC32C of the first {@code length} bytes of {@code data}, as a chunk frame carries it. */
  static int crc(byte[] data, int length) {
    CRC32C crc = new CRC32C();
    crc.update(data, 0, length);
    return (int) crc.getValue();
  }

  static WriteBlockHeader header(long blockId, boolean forward) {
    return WriteBlockHeader.newBuilder().setBlockId(blockId).setForward(forward).build();
  }

  /** Block files a node has started and neither committed nor discarded. */
  static List<Path> unfinishedWrites(MiniCluster.Node node) {
    try (Stream<Path> files = Files.list(node.dataDir().resolve("tmp"))) {
      return files.toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Live platform threads serving namespace connections, in this JVM (the nodes run here). */
  static long metaThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals(BlockDataServer.META_THREAD_NAME))
        .count();
  }
}
