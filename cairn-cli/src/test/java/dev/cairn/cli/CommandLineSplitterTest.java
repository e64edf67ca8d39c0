package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CommandLineSplitterTest {
  @Test
  void splitsOnWhitespace() throws Exception {
    assertThat(CommandLineSplitter.split("  mv   a\tb  ")).containsExactly("mv", "a", "b");
    assertThat(CommandLineSplitter.split("   ")).isEmpty();
  }

  @Test
  void singleQuotesKeepEverything() throws Exception {
    assertThat(CommandLineSplitter.split("read 'my file \\n \"x\"'"))
        .containsExactly("read", "my file \\n \"x\"");
  }

  @Test
  void doubleQuotesAllowEscapedQuoteAndBackslash() throws Exception {
    assertThat(CommandLineSplitter.split("read \"a \\\"b\\\" c\\\\d \\n\""))
        .containsExactly("read", "a \"b\" c\\d \\n");
  }

  @Test
  void backslashEscapesOutsideQuotes() throws Exception {
    assertThat(CommandLineSplitter.split("read my\\ file")).containsExactly("read", "my file");
  }

  @Test
  void quotesJoinWithAdjacentText() throws Exception {
    assertThat(CommandLineSplitter.split("read /docs/'my note'.txt"))
        .containsExactly("read", "/docs/my note.txt");
  }

  @Test
  void emptyQuotesAreAnEmptyWord() throws Exception {
    assertThat(CommandLineSplitter.split("create ''")).containsExactly("create", "");
  }

  @Test
  void unterminatedQuoteIsAUsageError() {
    assertThatThrownBy(() -> CommandLineSplitter.split("read 'abc"))
        .isInstanceOf(UsageException.class).hasMessageContaining("unterminated");
    assertThatThrownBy(() -> CommandLineSplitter.split("read \"abc"))
        .isInstanceOf(UsageException.class).hasMessageContaining("unterminated");
    assertThatThrownBy(() -> CommandLineSplitter.split("read abc\\"))
        .isInstanceOf(UsageException.class);
  }

  @Test
  void quoteRoundTrips() throws Exception {
    for (String word : new String[] {"plain", "with space", "it's", "a\"b", "", "#x", "back\\"}) {
      assertThat(CommandLineSplitter.split("x " + CommandLineSplitter.quote(word)))
          .containsExactly("x", word);
    }
    assertThat(CommandLineSplitter.quote("plain")).isEqualTo("plain");
  }
}
