package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterOptionTest {
  @TempDir Path cwd;

  @Test
  void flagThenEnvironmentThenLocalClusterFile() throws Exception {
    Files.createDirectories(cwd.resolve("cairn-local"));
    Files.writeString(cwd.resolve("cairn-local/cluster"), "127.0.0.1:3\n");
    Map<String, String> env = Map.of("CAIRN_CLUSTER", "127.0.0.1:2");
    assertThat(ClusterOption.resolve("127.0.0.1:1", env, cwd)).isEqualTo("127.0.0.1:1");
    assertThat(ClusterOption.resolve(null, env, cwd)).isEqualTo("127.0.0.1:2");
    assertThat(ClusterOption.resolve(null, Map.of(), cwd)).isEqualTo("127.0.0.1:3");
  }

  @Test
  void noneIsAClearUsageError() {
    assertThatThrownBy(() -> ClusterOption.resolve(null, Map.of(), cwd))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--cluster")
        .hasMessageContaining("CAIRN_CLUSTER")
        .hasMessageContaining("cairn local start");
  }
}
