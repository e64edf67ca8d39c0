package dev.cairn.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One epoch of the soak ({@link Torture}): three node processes, a minute of kill -9 and restarts
 * (never more than a minority down) while client threads write, overwrite, append, rename, delete
 * and read back files and others use small files as registers. Then: every node serves the
 * namespace on its own, every acknowledged write reads back, the register history is
 * linearizable, every block converges to its replication factor with no orphan left, replicas
 * are identical, nothing was quarantined, and no node process died by itself.
 */
@Timeout(420)
@ExtendWith(Seed.Extension.class)
class NemesisTest {

  @Test
  void aMinuteOfKillsLosesNothingAndConverges(Seed seed) {
    Torture.Options options = Torture.Options.defaults(Duration.ofSeconds(60), seed.value());
    Torture.Report report = Torture.run(options, System.out);
    String summary = report.summary(
        "mvn -o -B -pl cairn-faults test -Dtest=NemesisTest -Dcairn.seed=" + seed.value());
    System.out.print(summary);

    assertThat(report.failure()).as("%s%n%s", summary, report.details()).isNull();
    assertThat(report.epochs()).isEqualTo(1);
    assertThat(report.checksPassed()).as("checks passed").hasSize(10);
    // The run must have been a real one: faults injected, work done, a history checked.
    assertThat(report.faults()).as("nodes killed").isGreaterThanOrEqualTo(2);
    assertThat(report.operations()).as("operations acknowledged").isGreaterThan(100);
    assertThat(report.linearizedOps()).as("register operations checked").isGreaterThan(50);
  }
}
