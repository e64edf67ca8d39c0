package dev.cairn.bench;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * The file system operations the workloads use, implemented once per system with that system's
 * own client library ({@code CairnClient}, Hadoop's {@code FileSystem}). The workloads are written
 * once against this interface, so both systems run exactly the same code.
 *
 * <p>Implementations are thread-safe: one client is shared by all of a workload's threads, as a
 * real application shares one {@code CairnClient} or one {@code FileSystem}.
 */
public interface FsClient extends Closeable {

  /** Creates a directory and its missing parents. */
  void mkdirs(String dir) throws IOException;

  /** Creates (or replaces) a file with this content, and closes it: durable when this returns. */
  void write(String path, byte[] data) throws IOException;

  /** Creates (or replaces) a file with the whole of a stream. */
  void writeStream(String path, InputStream data) throws IOException;

  /** Reads a whole file through {@code buffer}; returns the number of bytes read. */
  long read(String path, byte[] buffer) throws IOException;

  /** The status of a path; fails if there is none. */
  void stat(String path) throws IOException;

  /** Lists a directory; returns the number of entries. */
  int list(String dir) throws IOException;

  void rename(String from, String to) throws IOException;

  void delete(String path, boolean recursive) throws IOException;

  @Override
  void close() throws IOException;
}
