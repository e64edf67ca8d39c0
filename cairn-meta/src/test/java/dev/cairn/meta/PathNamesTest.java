package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PathNamesTest {

  @ParameterizedTest
  @ValueSource(
      strings = {"/", "/a", "/a/b/c", "/.hidden", "/a..b", "/...", "/a b/ü/日本", "/x-y_z.txt"})
  void acceptsValidPaths(String path) {
    assertThat(PathNames.validate(path)).isNull();
  }

  @Test
  void rejectsEmptyAndRelativePaths() {
    assertThat(PathNames.validate("")).contains("empty");
    assertThat(PathNames.validate(null)).contains("empty");
    assertThat(PathNames.validate("a/b")).contains("\"a/b\"").contains("not absolute");
    assertThat(PathNames.validate("./a")).contains("not absolute");
  }

  @Test
  void rejectsDotAndDotDotNames() {
    assertThat(PathNames.validate("/a/../b")).contains("\"/a/../b\"").contains("'..'");
    assertThat(PathNames.validate("/..")).contains("'..'");
    assertThat(PathNames.validate("/a/./b")).contains("'.'");
    assertThat(PathNames.validate("/a/.")).contains("'.'");
  }

  @Test
  void rejectsEmptySegmentsAndTrailingSlash() {
    assertThat(PathNames.validate("//")).contains("empty name");
    assertThat(PathNames.validate("/a//b")).contains("empty name");
    assertThat(PathNames.validate("/a/")).contains("ends with '/'");
  }

  @Test
  void rejectsNulAndControlCharactersAndEscapesThemInTheMessage() {
    String nul = PathNames.validate("/a\u0000b");
    assertThat(nul).contains("U+0000").contains("\\u0000").doesNotContain("\u0000");
    assertThat(PathNames.validate("/a\nb")).contains("U+000A");
    assertThat(PathNames.validate("/a\u001fb")).contains("U+001F");
    assertThat(PathNames.validate("/a\u007fb")).contains("U+007F");
    assertThat(PathNames.validate("/a\tb")).contains("U+0009");
  }

  @Test
  void rejectsUnpairedSurrogates() {
    assertThat(PathNames.validate("/a\ud800")).contains("unpaired surrogate");
    assertThat(PathNames.validate("/\udc00b")).contains("unpaired surrogate");
    assertThat(PathNames.validate("/\ud83d\ude00")).isNull();
  }

  @Test
  void limitsNamesTo255Utf8Bytes() {
    assertThat(PathNames.validate("/" + "a".repeat(255))).isNull();
    assertThat(PathNames.validate("/" + "a".repeat(256))).contains("256 bytes").contains("255");
    // 'é' is two bytes and '€' three in UTF-8; the limit is on bytes, not characters.
    assertThat(PathNames.validate("/" + "é".repeat(127) + "a")).isNull();
    assertThat(PathNames.validate("/" + "é".repeat(128))).contains("256 bytes");
    assertThat(PathNames.validate("/" + "€".repeat(85))).isNull();
    assertThat(PathNames.validate("/d/" + "€".repeat(86))).contains("258 bytes");
    // An emoji is a surrogate pair, four bytes.
    assertThat(PathNames.validate("/" + "\ud83d\ude00".repeat(63) + "abc")).isNull();
    assertThat(PathNames.validate("/" + "\ud83d\ude00".repeat(64))).contains("256 bytes");
  }

  @Test
  void limitsPathsTo4096Utf8Bytes() {
    String name = "n".repeat(254);
    // Sixteen "/" + 254-byte names make 4080 bytes; pad the last name to reach exactly 4096.
    String base = ("/" + name).repeat(16);
    assertThat(base.length()).isEqualTo(4080);
    assertThat(PathNames.validate(base + "/" + "x".repeat(15))).isNull();
    String tooLong = base + "/" + "x".repeat(16);
    assertThat(PathNames.validate(tooLong)).contains("4097 bytes").contains("4096");
    // The message shortens the path instead of printing all of it.
    assertThat(PathNames.validate(tooLong).length()).isLessThan(400);
  }

  @Test
  void validatesSingleNames() {
    assertThat(PathNames.validateName("ok.txt")).isNull();
    assertThat(PathNames.validateName("")).contains("empty");
    assertThat(PathNames.validateName("a/b")).contains("'/'");
    assertThat(PathNames.validateName("..")).contains("'..'");
    assertThat(PathNames.validateName("x".repeat(256))).contains("255");
  }

  @Test
  void splitsParentsNamesAndJoins() {
    assertThat(PathNames.split("/")).isEmpty();
    assertThat(PathNames.split("/a")).containsExactly("a");
    assertThat(PathNames.split("/a/b/c")).containsExactly("a", "b", "c");
    assertThat(PathNames.parent("/")).isNull();
    assertThat(PathNames.parent("/a")).isEqualTo("/");
    assertThat(PathNames.parent("/a/b/c")).isEqualTo("/a/b");
    assertThat(PathNames.name("/")).isEmpty();
    assertThat(PathNames.name("/a/b")).isEqualTo("b");
    assertThat(PathNames.join("/", "a")).isEqualTo("/a");
    assertThat(PathNames.join("/a/b", "c")).isEqualTo("/a/b/c");
    assertThat(PathNames.isRoot("/")).isTrue();
    assertThat(PathNames.isRoot("/a")).isFalse();
  }

  @Test
  void helpersRejectInvalidInput() {
    assertThatThrownBy(() -> PathNames.split("a/b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathNames.parent("/a/")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathNames.join("/a", "b/c"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathNames.join("/a", ".."))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void quoteEscapesAndShortens() {
    assertThat(PathNames.quote("/a\u0001\"b")).isEqualTo("\"/a\\u0001\\\"b\"");
    assertThat(PathNames.quote("/" + "x".repeat(1000))).contains("...(1001 chars)");
  }
}
