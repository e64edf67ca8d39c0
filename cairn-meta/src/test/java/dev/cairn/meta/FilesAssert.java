package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.FileInfo;

/** Checks shared by the mutation tests. */
final class FilesAssert {

  private FilesAssert() {}

  /** The directory's version and mtime are those of the harness's last command. */
  static void parentTouched(NamespaceHarness h, String dir) {
    FileInfo info = h.info(dir);
    assertThat(info.getVersion()).as("version of %s", dir).isEqualTo(h.index);
    assertThat(info.getMtimeMs()).as("mtime of %s", dir).isEqualTo(h.timeMs);
  }
}
