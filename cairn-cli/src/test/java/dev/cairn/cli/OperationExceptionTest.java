package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OperationExceptionTest {
  @Test
  void prefixesThePathOnce() {
    assertThat(new OperationException("/a", "permission denied").describe())
        .isEqualTo("/a: permission denied");
    assertThat(new OperationException("/a", "no such file or directory: '/a'").describe())
        .isEqualTo("no such file or directory: '/a'");
    assertThat(new OperationException("/", "list /: node x unreachable").describe())
        .isEqualTo("list /: node x unreachable");
  }

  @Test
  void aPathInsideAnotherPathIsNotAMention() {
    assertThat(new OperationException("/a", "'/a/b' is a file").describe())
        .isEqualTo("/a: '/a/b' is a file");
    assertThat(new OperationException("/", "node 127.0.0.1:1 unreachable").describe())
        .isEqualTo("/: node 127.0.0.1:1 unreachable");
  }
}
