package dev.cairn.client;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;

/**
 * A connection to a Cairn cluster. Built from the addresses of some or all nodes; any node answers
 * any request. When the node in use fails, calls move to another node and retry, for up to {@link
 * Builder#failoverTimeout}; every mutation carries a request id so that a retry is applied once.
 *
 * <p>Thread-safe: share one client between threads. Close it to release its connections.
 */
public final class CairnClient implements Closeable {

  public static Builder builder() {
    return new Builder();
  }

  /** A client for a comma-separated list of host:port addresses, with default settings. */
  public static CairnClient connect(String addresses) {
    return builder().addresses(addresses).build();
  }

  /** Settings of a client. */
  public static final class Builder {
    List<String> addresses = List.of();
    Duration failoverTimeout = Duration.ofSeconds(30);
    int inlineThreshold = 64 * 1024;
    int blockSize = 8 * 1024 * 1024;

    /** host:port addresses, comma-separated. */
    public Builder addresses(String commaSeparated) {
      return addresses(List.of(commaSeparated.trim().split("\\s*,\\s*")));
    }

    public Builder addresses(List<String> addresses) {
      this.addresses = List.copyOf(addresses);
      return this;
    }

    /** How long a call keeps retrying on other nodes before it gives up (default 30 s). */
    public Builder failoverTimeout(Duration failoverTimeout) {
      this.failoverTimeout = failoverTimeout;
      return this;
    }

    /** Files up to this size are kept inline in the namespace instead of in blocks (64 KiB). */
    public Builder inlineThreshold(int bytes) {
      this.inlineThreshold = bytes;
      return this;
    }

    /** Size of the blocks a file is split into (8 MiB). */
    public Builder blockSize(int bytes) {
      this.blockSize = bytes;
      return this;
    }

    public CairnClient build() {
      throw new UnsupportedOperationException("not yet");
    }
  }

  /** The entry at {@code path}; {@link ErrorCode#NOT_FOUND} if there is none. */
  public FileStatus stat(String path) throws CairnException {
    throw new UnsupportedOperationException("not yet");
  }

  /** True if something exists at {@code path}. */
  public boolean exists(String path) throws CairnException {
    throw new UnsupportedOperationException("not yet");
  }

  /** The entries of a directory, sorted by name. */
  public List<FileStatus> list(String dir) throws CairnException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Creates a directory; with {@code parents}, also missing parents, and no error if it exists. */
  public FileStatus mkdir(String path, boolean parents) throws CairnException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Creates an empty file; {@link ErrorCode#ALREADY_EXISTS} if the path exists. */
  public FileStatus create(String path) throws CairnException {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Writes a file from a stream, creating it or replacing its content. The new content becomes
   * visible at once when this returns, after every block is fsynced on its replicas. The stream is
   * read to its end, not closed.
   */
  public FileStatus write(String path, InputStream data) throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Writes a byte array as the whole content of a file. */
  public FileStatus write(String path, byte[] data) throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Replaces the content only if the file is still at {@code expectedVersion}; otherwise throws
   * {@link ConflictException} and changes nothing.
   */
  public FileStatus writeIfVersion(String path, long expectedVersion, InputStream data)
      throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Appends a stream to an existing file. */
  public FileStatus append(String path, InputStream data) throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Opens a file for reading. The stream reads the version current at open, block by block,
   * verifying checksums and moving to another replica when one fails. Close it.
   */
  public CairnInputStream open(String path) throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Copies a whole file to {@code out}; returns the status of the version read. */
  public FileStatus read(String path, OutputStream out) throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  /** The whole content of a file, for small files. */
  public byte[] readAllBytes(String path) throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Deletes a file or an empty directory; with {@code recursive}, a directory and its content. */
  public void delete(String path, boolean recursive) throws CairnException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Moves a file or directory; into {@code target} if that is an existing directory. */
  public FileStatus rename(String source, String target) throws CairnException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Every node's state and the cluster's health. */
  public ClusterStatus clusterStatus() throws CairnException {
    throw new UnsupportedOperationException("not yet");
  }

  /** The addresses this client knows. */
  public List<String> addresses() {
    throw new UnsupportedOperationException("not yet");
  }

  /** The address of the node calls go to now. */
  public String currentAddress() {
    throw new UnsupportedOperationException("not yet");
  }

  @Override
  public void close() {}
}
