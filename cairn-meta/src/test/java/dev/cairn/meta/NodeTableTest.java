package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.NodeAddress;
import org.junit.jupiter.api.Test;

class NodeTableTest {

  private final NamespaceHarness h = new NamespaceHarness();

  @Test
  void registerUpsertsAndKeepsFirstRegistrationOrder() {
    ok(h.registerNode("b", "hb:1"));
    ok(h.registerNode("a", "ha:1"));
    ok(h.registerNode("b", "hb:2"));
    assertThat(h.summary().getSummary().getNodesList())
        .containsExactly(
            NodeAddress.newBuilder().setId("b").setAddress("hb:2").build(),
            NodeAddress.newBuilder().setId("a").setAddress("ha:1").build());
    assertThat(h.ns.nodeCount()).isEqualTo(2);
  }

  @Test
  void aNodeNeedsAnIdAndAnAddress() {
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "without an id", () -> h.registerNode("", "h:1"));
    h.assertFails(ErrorCode.INVALID_ARGUMENT, "address is empty", () -> h.registerNode("n", ""));
  }
}
