package dev.cairn.bench.hdfs;

import dev.cairn.bench.FsClient;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** {@link FsClient} over one Hadoop {@link FileSystem} (a DistributedFileSystem). */
final class HdfsFsClient implements FsClient {
  private static final int COPY_BUFFER = 1 << 20;

  private final FileSystem fs;

  HdfsFsClient(FileSystem fs) {
    this.fs = fs;
  }

  @Override
  public void mkdirs(String dir) throws IOException {
    fs.mkdirs(new Path(dir));
  }

  @Override
  public void write(String path, byte[] data) throws IOException {
    try (FSDataOutputStream out = fs.create(new Path(path), true)) {
      out.write(data);
    }
  }

  @Override
  public void writeStream(String path, InputStream data) throws IOException {
    byte[] buffer = new byte[COPY_BUFFER];
    try (FSDataOutputStream out = fs.create(new Path(path), true)) {
      int n;
      while ((n = data.read(buffer)) > 0) {
        out.write(buffer, 0, n);
      }
    }
  }

  @Override
  public long read(String path, byte[] buffer) throws IOException {
    long total = 0;
    try (FSDataInputStream in = fs.open(new Path(path))) {
      int n;
      while ((n = in.read(buffer, 0, buffer.length)) > 0) {
        total += n;
      }
    }
    return total;
  }

  @Override
  public void stat(String path) throws IOException {
    fs.getFileStatus(new Path(path));
  }

  @Override
  public int list(String dir) throws IOException {
    return fs.listStatus(new Path(dir)).length;
  }

  @Override
  public void rename(String from, String to) throws IOException {
    if (!fs.rename(new Path(from), new Path(to))) {
      throw new IOException("rename " + from + " to " + to + " returned false");
    }
  }

  @Override
  public void delete(String path, boolean recursive) throws IOException {
    if (!fs.delete(new Path(path), recursive)) {
      throw new FileNotFoundException("delete " + path + " returned false");
    }
  }

  @Override
  public void close() throws IOException {
    fs.close();
  }
}
