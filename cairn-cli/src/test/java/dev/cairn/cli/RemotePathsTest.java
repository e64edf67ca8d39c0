package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RemotePathsTest {
  @Test
  void resolvesRelativeAgainstCwd() {
    assertThat(RemotePaths.resolve("/", "a")).isEqualTo("/a");
    assertThat(RemotePaths.resolve("/docs", "a/b")).isEqualTo("/docs/a/b");
    assertThat(RemotePaths.resolve("/docs", "")).isEqualTo("/docs");
  }

  @Test
  void absolutePathsIgnoreCwd() {
    assertThat(RemotePaths.resolve("/docs", "/x")).isEqualTo("/x");
  }

  @Test
  void normalizesDotsAndSlashes() {
    assertThat(RemotePaths.resolve("/a/b", "..")).isEqualTo("/a");
    assertThat(RemotePaths.resolve("/a/b", "../../..")).isEqualTo("/");
    assertThat(RemotePaths.resolve("/", "./x//y/./")).isEqualTo("/x/y");
    assertThat(RemotePaths.resolve("/", "/")).isEqualTo("/");
  }

  @Test
  void keepsSpacesAndOddCharacters() {
    assertThat(RemotePaths.resolve("/", "my note.txt")).isEqualTo("/my note.txt");
    assertThat(RemotePaths.resolve("/", "...")).isEqualTo("/...");
  }

  @Test
  void parentNameChild() {
    assertThat(RemotePaths.parent("/a/b")).isEqualTo("/a");
    assertThat(RemotePaths.parent("/a")).isEqualTo("/");
    assertThat(RemotePaths.parent("/")).isEqualTo("/");
    assertThat(RemotePaths.name("/a/b")).isEqualTo("b");
    assertThat(RemotePaths.child("/", "x")).isEqualTo("/x");
    assertThat(RemotePaths.child("/a", "x")).isEqualTo("/a/x");
  }
}
