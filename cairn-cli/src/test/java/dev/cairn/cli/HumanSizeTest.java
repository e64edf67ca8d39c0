package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HumanSizeTest {
  @Test
  void formatsWithBinaryUnits() {
    assertThat(HumanSize.format(0)).isEqualTo("0 B");
    assertThat(HumanSize.format(1023)).isEqualTo("1023 B");
    assertThat(HumanSize.format(1536)).isEqualTo("1.5 KiB");
    assertThat(HumanSize.format(8L << 20)).isEqualTo("8.0 MiB");
    assertThat(HumanSize.format(3L << 40)).isEqualTo("3.0 TiB");
  }

  @Test
  void rateInDecimalMegabytes() {
    assertThat(HumanSize.rate(50_000_000, 1_000_000_000L)).isEqualTo("50.0 MB/s");
  }

  @Test
  void parsesSizes() {
    assertThat(HumanSize.parseInt("65536")).isEqualTo(65536);
    assertThat(HumanSize.parseInt("64k")).isEqualTo(65536);
    assertThat(HumanSize.parseInt("8MiB")).isEqualTo(8 << 20);
    assertThat(HumanSize.parseInt("1 MB")).isEqualTo(1 << 20);
    assertThat(HumanSize.parseInt("1g")).isEqualTo(1 << 30);
  }

  @Test
  void rejectsBadSizes() {
    for (String bad : new String[] {"", "abc", "-1", "0", "4g", "99999999999999999999"}) {
      assertThatThrownBy(() -> HumanSize.parseInt(bad))
          .as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
