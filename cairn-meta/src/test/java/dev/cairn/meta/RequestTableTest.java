package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.FileInfo;
import dev.cairn.proto.MetaResult;
import org.junit.jupiter.api.Test;

class RequestTableTest {
  private static MetaResult result(long seq) {
    return MetaResult.newBuilder().setInfo(FileInfo.newBuilder().setVersion(seq)).build();
  }

  @Test
  void findsResultsThatArrivedOutOfOrderAndNothingForNewNumbers() {
    RequestTable table = new RequestTable(8, 4);
    // Threads of one client commit in any order.
    for (long seq : new long[] {5, 3, 9, 4}) {
      table.remember("c", seq, result(seq));
    }

    assertThat(table.find("c", 3)).isEqualTo(result(3));
    assertThat(table.find("c", 9)).isEqualTo(result(9));
    assertThat(table.find("c", 6)).isNull();
    assertThat(table.find("c", 10)).isNull();
    assertThat(table.find("other", 3)).isNull();
  }

  @Test
  void forgetsTheOldestResultsPastTheLimitButStillKnowsTheNewest() {
    RequestTable table = new RequestTable(4, 4);
    for (long seq = 1; seq <= 10; seq++) {
      table.remember("c", seq, result(seq));
    }

    assertThat(table.find("c", 6)).isNull();
    for (long seq = 7; seq <= 10; seq++) {
      assertThat(table.find("c", seq)).isEqualTo(result(seq));
    }
    assertThat(table.find("c", 11)).isNull();
  }
}
