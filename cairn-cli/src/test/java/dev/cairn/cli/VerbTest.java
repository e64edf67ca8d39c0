package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class VerbTest {
  @Test
  void aliasesAndCase() throws Exception {
    assertThat(Verb.parse(List.of("ls")).verb()).isEqualTo(Verb.LIST);
    assertThat(Verb.parse(List.of("CAT", "f")).verb()).isEqualTo(Verb.READ);
    assertThat(Verb.parse(List.of("rm", "f")).verb()).isEqualTo(Verb.DELETE);
    assertThat(Verb.parse(List.of("quit")).verb()).isEqualTo(Verb.EXIT);
  }

  @Test
  void flagsAreSeparatedFromArguments() throws Exception {
    Verb.Invocation call = Verb.parse(List.of("delete", "-r", "/d"));
    assertThat(call.flag('r')).isTrue();
    assertThat(call.args()).containsExactly("/d");
    assertThat(Verb.parse(List.of("mkdir", "/a", "-p")).flag('p')).isTrue();
  }

  @Test
  void doubleDashEndsFlags() throws Exception {
    assertThat(Verb.parse(List.of("delete", "--", "-r")).args()).containsExactly("-r");
  }

  @Test
  void usageErrors() {
    assertThatThrownBy(() -> Verb.parse(List.of("frobnicate")))
        .isInstanceOf(UsageException.class).hasMessageContaining("unknown command 'frobnicate'");
    assertThatThrownBy(() -> Verb.parse(List.of("mv", "a")))
        .isInstanceOf(UsageException.class).hasMessage("usage: mv SRC DST");
    assertThatThrownBy(() -> Verb.parse(List.of("read")))
        .isInstanceOf(UsageException.class).hasMessage("usage: read FILE");
    assertThatThrownBy(() -> Verb.parse(List.of("read", "-r", "f")))
        .isInstanceOf(UsageException.class).hasMessageContaining("unknown option -r");
  }

  @Test
  void argumentKindsDriveCompletion() {
    assertThat(Verb.PUT.argKind(0)).isEqualTo(Verb.ArgKind.LOCAL);
    assertThat(Verb.PUT.argKind(1)).isEqualTo(Verb.ArgKind.REMOTE);
    assertThat(Verb.GET.argKind(1)).isEqualTo(Verb.ArgKind.LOCAL);
    assertThat(Verb.DELETE.argKind(5)).isEqualTo(Verb.ArgKind.REMOTE);
    assertThat(Verb.READ.argKind(1)).isEqualTo(Verb.ArgKind.NONE);
    assertThat(Verb.STATUS.argKind(0)).isEqualTo(Verb.ArgKind.NONE);
  }

  @Test
  void helpListsEveryCommand() {
    String help = Verb.help();
    for (Verb verb : Verb.values()) {
      assertThat(help).contains(verb.usage());
    }
  }
}
