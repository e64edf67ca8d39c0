package dev.cairn.server.meta.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncingOutputStreamTest {

  @Test
  void everyByteLandsInOrderAcrossTheSteps(@TempDir Path dir) throws IOException {
    byte[] data = new byte[3 * 4096 + 1234];
    new SplittableRandom(7).nextBytes(data);
    Path file = dir.resolve("out.bin");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
        SyncingOutputStream out = new SyncingOutputStream(ch, 4096, 3)) {
      // Writes of every size, some crossing a step's end, some single bytes.
      SplittableRandom sizes = new SplittableRandom(11);
      int at = 0;
      while (at < data.length) {
        if (sizes.nextInt(5) == 0) {
          out.write(data[at++]);
        } else {
          int n = Math.min(data.length - at, 1 + sizes.nextInt(3000));
          out.write(data, at, n);
          at += n;
        }
      }
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(data);
  }
}
