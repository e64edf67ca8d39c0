package dev.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerProcessTest {
  @TempDir Path dir;

  @Test
  void classDataOlderThanAJarIsDeletedSoThatItIsWrittenAnew() throws Exception {
    Path jar = Files.writeString(dir.resolve("a.jar"), "jar");
    Path file = ServerProcess.classDataFile(dir, "cairn-n1", List.of(jar));
    assertThat(file.getFileName().toString())
        .isEqualTo(Runtime.version().feature() >= 25 ? "cairn-n1.aot" : "cairn-n1.jsa");
    Files.writeString(file, "class data");
    long now = System.currentTimeMillis();
    Files.setLastModifiedTime(jar, FileTime.fromMillis(now - 60_000));
    assertThat(ServerProcess.classDataFile(dir, "cairn-n1", List.of(jar))).exists();
    Files.setLastModifiedTime(jar, FileTime.fromMillis(now + 60_000));
    assertThat(ServerProcess.classDataFile(dir, "cairn-n1", List.of(jar))).doesNotExist();
  }

  @Test
  void noClassDataFlagsWithoutADirectory() throws Exception {
    assertThat(ServerProcess.classDataFlags(null, "hdfs-cluster")).isEmpty();
  }
}
