package dev.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchMainTest {
  @Test
  void progressLinesAreLoggedWithTheirTimeAndTheRestAsTheyCame() {
    LocalDateTime at = LocalDateTime.of(2026, 12, 7, 13, 15, 30, 123_000_000);
    assertThat(BenchMain.loggedErrLine("PROGRESS renaming the files with 8 threads", at))
        .isEqualTo("2026-12-07 13:15:30.123 PROGRESS renaming the files with 8 threads");
    assertThat(BenchMain.loggedErrLine("WARNING: a JVM warning", at))
        .isEqualTo("WARNING: a JVM warning");
  }

  @Test
  void aLoggedProgressLineIsNoResultWhenTheLogsAreRenderedAgain() {
    Map<String, Double> into = new HashMap<>();
    List<String> errors = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    String logged = BenchMain.loggedErrLine("PROGRESS   3856 ops/s", LocalDateTime.now());
    assertThat(BenchMain.parseLine(logged, "round 1/3 cairn", into, errors, notes)).isNull();
    BenchMain.parseLine("RESULT rename_ops 3856.0", "round 1/3 cairn", into, errors, notes);
    assertThat(into).containsOnlyKeys("rename_ops");
    assertThat(errors).isEmpty();
    assertThat(notes).isEmpty();
  }
}
