package dev.cairn.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The soak's command line and summary, without running a cluster. */
class TortureTest {

  @Test
  void parsesItsCommandLine() {
    Torture.Options o = Torture.parse(new String[] {"--minutes", "5", "--seed", "42", "--nodes",
        "5"});
    assertThat(o.duration()).isEqualTo(Duration.ofMinutes(5));
    assertThat(o.seed()).isEqualTo(42);
    assertThat(o.nodes()).isEqualTo(5);
    assertThat(Torture.reproduceLine(o))
        .isEqualTo("./cairn torture --minutes 5 --seed 42 --nodes 5");

    assertThat(Torture.parse(new String[] {"--minutes", "0.5"}).duration())
        .isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> Torture.parse(new String[] {"--seed", "1"}))
        .hasMessageContaining("--minutes");
    assertThatThrownBy(() -> Torture.parse(new String[] {"--minutes", "1", "--nodes", "2"}))
        .hasMessageContaining("--nodes");
    assertThatThrownBy(() -> Torture.parse(new String[] {"--minutes"}))
        .hasMessageContaining("needs a value");
    assertThatThrownBy(() -> Torture.parse(new String[] {"--minutes", "1", "--bogus"}))
        .hasMessageContaining("--bogus");
  }

  @Test
  void theSummarySaysWhatFailedAndHowToReproduceIt() {
    Torture.Report failed = new Torture.Report(7, 3, Duration.ofSeconds(75), 2,
        Map.of(Workload.Op.CREATE, 10L), 20, 1, 0, 0, 4, 1, Map.of("n1", 4), 20,
        List.of("epoch 1: a"), "epoch 2: the register history is linearizable: /r0 ...", "");
    String text = failed.summary("./cairn torture --minutes 1 --seed 7 --nodes 3");
    assertThat(failed.passed()).isFalse();
    assertThat(text).contains("seed 7", "30 acknowledged", "4 kill -9", "FAILED: epoch 2",
        "reproduce:  ./cairn torture --minutes 1 --seed 7");

    Torture.Report passed = new Torture.Report(7, 3, Duration.ofSeconds(75), 2, Map.of(), 0, 0,
        0, 0, 0, 0, Map.of(), 0, List.of(), null, "");
    assertThat(passed.summary("x")).contains("PASSED").doesNotContain("reproduce");
  }
}
