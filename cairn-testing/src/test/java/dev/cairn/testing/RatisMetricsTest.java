package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.meta.ratis.DiscardedRatisMetrics;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.junit.jupiter.api.Test;

/** Ratis finds Cairn's metrics implementation, which keeps no timings but still counts. */
class RatisMetricsTest {
  @Test
  void ratisUsesTheDiscardingRegistries() {
    assertThat(MetricRegistries.global()).isInstanceOf(DiscardedRatisMetrics.class);
  }

  @Test
  void registriesAreFoundAgainAndCountersCount() {
    MetricRegistries registries = new DiscardedRatisMetrics();
    MetricRegistryInfo info = new MetricRegistryInfo("n1", "ratis", "test", "a test registry");
    RatisMetricRegistry registry = registries.create(info);

    assertThat(registries.get(info)).containsSame(registry);
    assertThat(registries.create(info)).isSameAs(registry);
    var counter = registry.counter("calls");
    counter.inc();
    counter.inc(4);
    counter.dec();
    assertThat(counter.getCount()).isEqualTo(4);
    assertThat(registry.timer("latency").time().stop()).isZero();
    assertThat(registries.remove(info)).isTrue();
    assertThat(registries.get(info)).isEmpty();
  }
}
