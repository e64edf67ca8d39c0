package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NameBytesTest {

  /**
   * Characters from every UTF-8 length, with the ranges where UTF-16 order and code point order
   * disagree: U+E000 to U+FFFF against characters above U+FFFF.
   */
  private static final String[] ALPHABET = {
    "a", "b", "Z", "~", " ", "\u007e", "\u0080", "\u00e9", "\u00ff", "\u0100", "\u07ff", "\u0800",
    "\u4e2d", "\ud7ff", "\ue000", "\uf8ff", "\ufb01", "\uff21", "\uffef", "\ufffd", "\uffff",
    "\ud800\udc00", "\ud834\udd1e", "\ud83d\ude00", "\udbff\udfff"
  };

  @Test
  void encodeAndDecodeRoundTrip() {
    for (String name : List.of("plain", "\u00e9t\u00e9", "\u4e2d\u6587", "\ud83d\ude00 x", "")) {
      assertThat(NameBytes.decode(NameBytes.encode(name))).isEqualTo(name);
    }
    assertThat(NameBytes.encode("\u00e9")).containsExactly(0xC3, 0xA9);
    assertThat(NameBytes.EMPTY).isEmpty();
  }

  @Test
  void equalNamesCompareEqual() {
    assertThat(NameBytes.compare(NameBytes.encode("same"), NameBytes.encode("same"))).isZero();
    assertThat(NameBytes.compare(NameBytes.EMPTY, new byte[0])).isZero();
  }

  @Test
  void aPrefixComesFirst() {
    assertThat(NameBytes.compare(NameBytes.encode("ab"), NameBytes.encode("abc"))).isNegative();
    assertThat(NameBytes.compare(NameBytes.encode("\ue000x"), NameBytes.encode("\ue000")))
        .isPositive();
  }

  @Test
  void charactersAboveFfffComeBeforeThoseFromE000AsInStrings() {
    // Byte order (code point order) would put the emoji last; String order puts it first.
    String emoji = "\ud83d\ude00";
    for (String bmp : List.of("\ue000", "\uf8ff", "\uff21", "\uffff")) {
      assertThat(emoji.compareTo(bmp)).isNegative();
      assertThat(NameBytes.compare(NameBytes.encode(emoji), NameBytes.encode(bmp))).isNegative();
      assertThat(NameBytes.compare(NameBytes.encode(bmp), NameBytes.encode(emoji))).isPositive();
      assertThat(NameBytes.compare(NameBytes.encode("x" + emoji), NameBytes.encode("x" + bmp)))
          .isNegative();
    }
    // Below the surrogates, both orders agree.
    assertThat(NameBytes.compare(NameBytes.encode("\ud7ff"), NameBytes.encode(emoji)))
        .isNegative();
  }

  @Test
  void theOrderIsStringOrderForRandomNames() {
    Random random = new Random(42);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      StringBuilder name = new StringBuilder();
      int length = 1 + random.nextInt(5);
      for (int c = 0; c < length; c++) {
        name.append(ALPHABET[random.nextInt(ALPHABET.length)]);
      }
      names.add(name.toString());
    }
    for (int i = 0; i < names.size(); i++) {
      for (int j = 0; j < 50; j++) {
        String a = names.get(i);
        String b = names.get(random.nextInt(names.size()));
        assertThat(Integer.signum(NameBytes.compare(NameBytes.encode(a), NameBytes.encode(b))))
            .as("%s vs %s", a, b)
            .isEqualTo(Integer.signum(a.compareTo(b)));
      }
    }
    List<byte[]> sortedBytes =
        names.stream().map(NameBytes::encode).sorted(NameBytes::compare).toList();
    assertThat(sortedBytes.stream().map(NameBytes::decode).toList())
        .isEqualTo(names.stream().sorted(Comparator.naturalOrder()).toList());
  }
}
