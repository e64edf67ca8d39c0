package dev.cairn.cli;

import dev.cairn.client.CairnException;
import dev.cairn.client.CairnInputStream;
import dev.cairn.client.ClusterStatus;
import dev.cairn.client.FileStatus;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The part of {@link dev.cairn.client.CairnClient} the shell uses, with the same signatures and
 * meaning. It exists so that the shell's behaviour (output, errors, the editor's conflict handling)
 * can be tested against a fake in memory; production code always uses {@link ClientFileStore}.
 */
interface FileStore {
  FileStatus stat(String path) throws CairnException;

  List<FileStatus> list(String dir) throws CairnException;

  FileStatus mkdir(String path, boolean parents) throws CairnException;

  FileStatus create(String path) throws CairnException;

  FileStatus write(String path, InputStream data) throws IOException;

  FileStatus writeIfVersion(String path, long expectedVersion, InputStream data)
      throws IOException;

  FileStatus append(String path, InputStream data) throws IOException;

  CairnInputStream open(String path) throws IOException;

  void delete(String path, boolean recursive) throws CairnException;

  FileStatus rename(String source, String target) throws CairnException;

  ClusterStatus clusterStatus() throws CairnException;

  /** The node calls go to now, for the prompt. */
  String currentAddress();
}
