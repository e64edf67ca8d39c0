package dev.cairn.testing;

import dev.cairn.client.CairnClient;
import dev.cairn.client.FileStatus;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A recursive picture of part of a namespace, to compare before and after a fault. */
final class Trees {
  private Trees() {}

  /** What the namespace says of one entry, and for a file the SHA-256 of its content. */
  record Entry(
      String path,
      boolean directory,
      long size,
      long version,
      long modifiedMs,
      int children,
      String sha256) {}

  /** Every entry under {@code root} (not the root itself), by path, with file digests. */
  static Map<String, Entry> snapshot(CairnClient client, String root) throws IOException {
    Map<String, Entry> entries = new TreeMap<>();
    List<String> pending = new ArrayList<>(List.of(root));
    while (!pending.isEmpty()) {
      for (FileStatus status : client.list(pending.remove(pending.size() - 1))) {
        String digest = null;
        if (status.directory()) {
          pending.add(status.path());
        } else {
          try (InputStream in = client.open(status.path())) {
            digest = SeededContent.sha256(in);
          }
        }
        entries.put(status.path(), new Entry(
            status.path(),
            status.directory(),
            status.size(),
            status.version(),
            status.modified() == null ? 0 : status.modified().toEpochMilli(),
            status.children(),
            digest));
      }
    }
    return entries;
  }
}
