package dev.cairn.client;

import java.time.Instant;

/**
 * What the namespace knows of one file or directory.
 *
 * @param version grows on every change of a file's content; a conditional write names it
 * @param children number of entries, for a directory
 */
public record FileStatus(
    String path,
    boolean directory,
    long size,
    long version,
    Instant modified,
    int replication,
    int children) {

  /** The last segment of the path ("/" for the root). */
  public String name() {
    int slash = path.lastIndexOf('/');
    return slash < 0 || path.length() == 1 ? path : path.substring(slash + 1);
  }
}
