package dev.cairn.cli;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import dev.cairn.client.CairnInputStream;
import dev.cairn.client.ClusterStatus;
import dev.cairn.client.FileStatus;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** {@link FileStore} over a real client; it does not own the client and never closes it. */
record ClientFileStore(CairnClient client) implements FileStore {
  @Override
  public FileStatus stat(String path) throws CairnException {
    return client.stat(path);
  }

  @Override
  public List<FileStatus> list(String dir) throws CairnException {
    return client.list(dir);
  }

  @Override
  public FileStatus mkdir(String path, boolean parents) throws CairnException {
    return client.mkdir(path, parents);
  }

  @Override
  public FileStatus create(String path) throws CairnException {
    return client.create(path);
  }

  @Override
  public FileStatus write(String path, InputStream data) throws IOException {
    return client.write(path, data);
  }

  @Override
  public FileStatus writeIfVersion(String path, long expectedVersion, InputStream data)
      throws IOException {
    return client.writeIfVersion(path, expectedVersion, data);
  }

  @Override
  public FileStatus append(String path, InputStream data) throws IOException {
    return client.append(path, data);
  }

  @Override
  public CairnInputStream open(String path) throws IOException {
    return client.open(path);
  }

  @Override
  public void delete(String path, boolean recursive) throws CairnException {
    client.delete(path, recursive);
  }

  @Override
  public FileStatus rename(String source, String target) throws CairnException {
    return client.rename(source, target);
  }

  @Override
  public ClusterStatus clusterStatus() throws CairnException {
    return client.clusterStatus();
  }

  @Override
  public String currentAddress() {
    return client.currentAddress();
  }
}
