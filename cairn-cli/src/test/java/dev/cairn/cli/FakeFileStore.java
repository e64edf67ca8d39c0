package dev.cairn.cli;

import dev.cairn.client.CairnException;
import dev.cairn.client.CairnInputStream;
import dev.cairn.client.ClusterStatus;
import dev.cairn.client.ConflictException;
import dev.cairn.client.ErrorCode;
import dev.cairn.client.FileStatus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link FileStore} in memory with the client's semantics and messages in the style of the
 * server's: versions grow on every content change, expected version 0 means "must not exist".
 */
final class FakeFileStore implements FileStore {
  private record Entry(boolean directory, byte[] content, long version, Instant modified) {}

  private final TreeMap<String, Entry> entries = new TreeMap<>();
  private final Instant now = Instant.parse("2025-01-02T03:04:05Z");
  ClusterStatus status;

  FakeFileStore() {
    entries.put("/", new Entry(true, null, 1, now));
  }

  String content(String path) {
    return new String(entries.get(path).content(), StandardCharsets.UTF_8);
  }

  boolean has(String path) {
    return entries.containsKey(path);
  }

  private static CairnException notFound(String path) {
    return new CairnException(ErrorCode.NOT_FOUND, "no such file or directory: '" + path + "'");
  }

  private Entry existing(String path) throws CairnException {
    Entry e = entries.get(path);
    if (e == null) {
      throw notFound(path);
    }
    return e;
  }

  private void checkParent(String path) throws CairnException {
    String parent = RemotePaths.parent(path);
    Entry p = entries.get(parent);
    if (p == null) {
      throw new CairnException(ErrorCode.NOT_FOUND, "directory '" + parent + "' does not exist");
    }
    if (!p.directory()) {
      throw new CairnException(ErrorCode.NOT_A_DIRECTORY, "'" + parent + "' is a file");
    }
  }

  private FileStatus status(String path) {
    Entry e = entries.get(path);
    int children = (int) entries.keySet().stream()
        .filter(k -> !k.equals(path) && RemotePaths.parent(k).equals(path)).count();
    return new FileStatus(path, e.directory(), e.directory() ? 0 : e.content().length,
        e.version(), e.modified(), 3, children);
  }

  @Override
  public FileStatus stat(String path) throws CairnException {
    existing(path);
    return status(path);
  }

  @Override
  public List<FileStatus> list(String dir) throws CairnException {
    Entry e = existing(dir);
    if (!e.directory()) {
      return List.of(status(dir));
    }
    List<FileStatus> out = new ArrayList<>();
    for (String key : entries.keySet()) {
      if (!key.equals(dir) && RemotePaths.parent(key).equals(dir)) {
        out.add(status(key));
      }
    }
    return out;
  }

  @Override
  public FileStatus mkdir(String path, boolean parents) throws CairnException {
    if (entries.containsKey(path)) {
      if (parents && entries.get(path).directory()) {
        return status(path);
      }
      throw new CairnException(ErrorCode.ALREADY_EXISTS, "'" + path + "' already exists");
    }
    if (parents && !path.equals("/")) {
      mkdir(RemotePaths.parent(path), true);
    }
    checkParent(path);
    entries.put(path, new Entry(true, null, 1, now));
    return status(path);
  }

  @Override
  public FileStatus create(String path) throws CairnException {
    if (entries.containsKey(path)) {
      throw new CairnException(ErrorCode.ALREADY_EXISTS,
          "cannot create '" + path + "': it already exists");
    }
    checkParent(path);
    entries.put(path, new Entry(false, new byte[0], 1, now));
    return status(path);
  }

  private FileStatus put(String path, byte[] content) throws CairnException {
    Entry old = entries.get(path);
    if (old != null && old.directory()) {
      throw new CairnException(ErrorCode.IS_A_DIRECTORY, "'" + path + "' is a directory");
    }
    checkParent(path);
    entries.put(path, new Entry(false, content, old == null ? 1 : old.version() + 1, now));
    return status(path);
  }

  @Override
  public FileStatus write(String path, InputStream data) throws IOException {
    return put(path, data.readAllBytes());
  }

  @Override
  public FileStatus writeIfVersion(String path, long expectedVersion, InputStream data)
      throws IOException {
    Entry old = entries.get(path);
    long actual = old == null ? 0 : old.version();
    if (actual != expectedVersion) {
      throw new ConflictException("cannot write '" + path + "': expected version "
          + expectedVersion + " but it is at version " + actual, expectedVersion);
    }
    return put(path, data.readAllBytes());
  }

  @Override
  public FileStatus append(String path, InputStream data) throws IOException {
    Entry old = existing(path);
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    joined.write(old.content());
    data.transferTo(joined);
    return put(path, joined.toByteArray());
  }

  @Override
  public CairnInputStream open(String path) throws IOException {
    Entry e = existing(path);
    if (e.directory()) {
      throw new CairnException(ErrorCode.IS_A_DIRECTORY, "'" + path + "' is a directory");
    }
    FileStatus st = status(path);
    ByteArrayInputStream in = new ByteArrayInputStream(e.content());
    return new CairnInputStream() {
      @Override
      public FileStatus status() {
        return st;
      }

      @Override
      public int read() {
        return in.read();
      }

      @Override
      public int read(byte[] b, int off, int len) {
        return in.read(b, off, len);
      }
    };
  }

  @Override
  public void delete(String path, boolean recursive) throws CairnException {
    Entry e = existing(path);
    boolean hasChildren = entries.keySet().stream()
        .anyMatch(k -> k.startsWith(path.equals("/") ? "/" : path + "/") && !k.equals(path));
    if (e.directory() && hasChildren && !recursive) {
      throw new CairnException(ErrorCode.DIRECTORY_NOT_EMPTY,
          "cannot delete '" + path + "': directory not empty");
    }
    entries.keySet().removeIf(k -> k.equals(path) || k.startsWith(path + "/"));
  }

  @Override
  public FileStatus rename(String source, String target) throws CairnException {
    existing(source);
    if (entries.containsKey(target) && entries.get(target).directory()) {
      target = RemotePaths.child(target, RemotePaths.name(source));
    }
    checkParent(target);
    Map<String, Entry> moved = new TreeMap<>();
    for (var it = entries.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      if (entry.getKey().equals(source) || entry.getKey().startsWith(source + "/")) {
        moved.put(target + entry.getKey().substring(source.length()), entry.getValue());
        it.remove();
      }
    }
    entries.putAll(moved);
    return status(target);
  }

  @Override
  public ClusterStatus clusterStatus() throws CairnException {
    if (status == null) {
      throw new CairnException(ErrorCode.UNAVAILABLE, "no status in this fake");
    }
    return status;
  }

  @Override
  public String currentAddress() {
    return "127.0.0.1:7000";
  }
}
