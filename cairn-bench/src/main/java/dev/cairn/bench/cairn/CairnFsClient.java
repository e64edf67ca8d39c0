package dev.cairn.bench.cairn;

import dev.cairn.bench.FsClient;
import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnInputStream;
import java.io.IOException;
import java.io.InputStream;

/** {@link FsClient} over one {@link CairnClient}, with the client's default settings. */
final class CairnFsClient implements FsClient {
  private final CairnClient client;

  CairnFsClient(CairnClient client) {
    this.client = client;
  }

  CairnClient client() {
    return client;
  }

  @Override
  public void mkdirs(String dir) throws IOException {
    client.mkdir(dir, true);
  }

  @Override
  public void write(String path, byte[] data) throws IOException {
    client.write(path, data);
  }

  @Override
  public void writeStream(String path, InputStream data) throws IOException {
    client.write(path, data);
  }

  @Override
  public long read(String path, byte[] buffer) throws IOException {
    long total = 0;
    try (CairnInputStream in = client.open(path)) {
      int n;
      while ((n = in.read(buffer, 0, buffer.length)) > 0) {
        total += n;
      }
    }
    return total;
  }

  @Override
  public void stat(String path) throws IOException {
    client.stat(path);
  }

  @Override
  public int list(String dir) throws IOException {
    return client.list(dir).size();
  }

  @Override
  public void rename(String from, String to) throws IOException {
    client.rename(from, to);
  }

  @Override
  public void delete(String path, boolean recursive) throws IOException {
    client.delete(path, recursive);
  }

  @Override
  public void close() {
    client.close();
  }
}
