package dev.cairn.bench;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.bench.cairn.CairnSystem;
import org.junit.jupiter.api.Test;

class DriverTest {

  @Test
  void theProbeRehearsalWritesToAPortWhereNothingListensAndGetsAFailure() throws Exception {
    int port = ServerProcess.freeLoopbackPort();
    try (CairnSystem cairn = new CairnSystem(); FsClient probe = cairn.probeClient(port)) {
      assertThatThrownBy(() -> probe.write("/ready-probe", new byte[4096]))
          .isInstanceOfAny(java.io.IOException.class, RuntimeException.class);
      assertThatCode(() -> Driver.rehearseProbe(cairn)).doesNotThrowAnyException();
    }
  }
}
