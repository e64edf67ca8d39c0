package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.block;
import static dev.cairn.meta.NamespaceHarness.ok;
import static dev.cairn.meta.NamespaceHarness.requestId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Membership;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.RegisterNode;
import dev.cairn.proto.SetMembership;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class MembershipTest {

  private final NamespaceHarness h = new NamespaceHarness();

  private static NodeAddress node(String id, String address, Membership membership) {
    return NodeAddress.newBuilder().setId(id).setAddress(address).setMembership(membership).build();
  }

  private List<NodeAddress> nodes() {
    return h.summary().getSummary().getNodesList();
  }

  private MetaResult register(NodeAddress node) {
    return h.apply(
        MetaCommand.newBuilder().setRegisterNode(RegisterNode.newBuilder().setNode(node)));
  }

  @Test
  void aNewNodeIsActive() {
    ok(h.registerNode("n1", "h1:1"));
    assertThat(nodes()).containsExactly(node("n1", "h1:1", Membership.ACTIVE));
  }

  @Test
  void setMembershipChangesOnlyThatNodeAndKeepsTheOrder() {
    ok(h.registerNode("n1", "h1:1"));
    ok(h.registerNode("n2", "h2:1"));
    ok(h.registerNode("n3", "h3:1"));
    MetaResult result = ok(h.setMembership("n2", Membership.DECOMMISSIONING));
    assertThat(result.hasInfo()).isFalse();
    assertThat(nodes())
        .containsExactly(
            node("n1", "h1:1", Membership.ACTIVE),
            node("n2", "h2:1", Membership.DECOMMISSIONING),
            node("n3", "h3:1", Membership.ACTIVE));
    ok(h.setMembership("n2", Membership.DECOMMISSIONED));
    ok(h.setMembership("n1", Membership.DECOMMISSIONING));
    assertThat(nodes())
        .extracting(NodeAddress::getMembership)
        .containsExactly(Membership.DECOMMISSIONING, Membership.DECOMMISSIONED, Membership.ACTIVE);
    // Back to active: a decommission can be called off.
    ok(h.setMembership("n2", Membership.ACTIVE));
    assertThat(nodes().get(1)).isEqualTo(node("n2", "h2:1", Membership.ACTIVE));
  }

  @Test
  void settingTheSameMembershipAgainChangesNothing() {
    ok(h.registerNode("n1", "h1:1"));
    ok(h.setMembership("n1", Membership.DECOMMISSIONING));
    byte[] before = h.snapshot();
    ok(h.setMembership("n1", Membership.DECOMMISSIONING));
    assertThat(h.snapshot()).isEqualTo(before);
  }

  @Test
  void reRegisteringKeepsTheMembershipAndTakesTheNewAddress() {
    ok(h.registerNode("n1", "h1:1"));
    ok(h.registerNode("n2", "h2:1"));
    ok(h.setMembership("n1", Membership.DECOMMISSIONING));
    ok(h.registerNode("n1", "h1:2"));
    assertThat(nodes())
        .containsExactly(
            node("n1", "h1:2", Membership.DECOMMISSIONING), node("n2", "h2:1", Membership.ACTIVE));
  }

  @Test
  void theMembershipInARegisterIsIgnored() {
    // Only SetMembership changes it: not for a new node, nor for a known one.
    ok(register(node("n1", "h1:1", Membership.DECOMMISSIONED)));
    assertThat(nodes()).containsExactly(node("n1", "h1:1", Membership.ACTIVE));
    ok(h.setMembership("n1", Membership.DECOMMISSIONING));
    ok(register(node("n1", "h1:3", Membership.ACTIVE)));
    assertThat(nodes()).containsExactly(node("n1", "h1:3", Membership.DECOMMISSIONING));
  }

  @Test
  void anUnknownNodeIsNotFound() {
    ok(h.registerNode("n1", "h1:1"));
    h.assertFails(
        ErrorCode.NOT_FOUND,
        "node \"n9\": no such node",
        () -> h.setMembership("n9", Membership.DECOMMISSIONING));
    assertThat(nodes()).containsExactly(node("n1", "h1:1", Membership.ACTIVE));
  }

  @Test
  void anEmptyIdIsInvalid() {
    ok(h.registerNode("n1", "h1:1"));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "without an id",
        () -> h.setMembership("", Membership.DECOMMISSIONING));
  }

  @Test
  void anUnknownMembershipValueIsInvalid() {
    ok(h.registerNode("n1", "h1:1"));
    h.assertFails(
        ErrorCode.INVALID_ARGUMENT,
        "unknown membership 7",
        () ->
            h.apply(
                MetaCommand.newBuilder()
                    .setSetMembership(
                        SetMembership.newBuilder().setNodeId("n1").setMembershipValue(7))));
  }

  @Test
  void aRetriedSetMembershipIsAnsweredFromTheTable() {
    ok(h.registerNode("n1", "h1:1"));
    MetaCommand.Builder decommission =
        MetaCommand.newBuilder()
            .setRequestId(requestId("admin", 1))
            .setSetMembership(
                SetMembership.newBuilder()
                    .setNodeId("n1")
                    .setMembership(Membership.DECOMMISSIONING));
    MetaResult first = ok(h.apply(decommission.clone()));
    ok(h.setMembership("n1", Membership.ACTIVE));
    // The retry is the same request: it does not undo the later change.
    assertThat(h.apply(decommission.clone())).isEqualTo(first);
    assertThat(nodes().get(0).getMembership()).isEqualTo(Membership.ACTIVE);
  }

  @Test
  void everyQueryThatReturnsNodesCarriesTheMembership() {
    ok(h.registerNode("n1", "h1:1"));
    ok(h.registerNode("n2", "h2:1"));
    ok(h.setMembership("n2", Membership.DECOMMISSIONING));
    ok(h.write("/f", block(1, 10, "n1", "n2")));
    List<NodeAddress> expected =
        List.of(
            node("n1", "h1:1", Membership.ACTIVE), node("n2", "h2:1", Membership.DECOMMISSIONING));
    assertThat(h.summary().getSummary().getNodesList()).isEqualTo(expected);
    assertThat(h.blockMap().getBlockMap().getNodesList()).isEqualTo(expected);
    assertThat(h.lookup("/f").getNodesList()).isEqualTo(expected);
  }

  @Test
  void membershipSurvivesASnapshot() throws IOException {
    ok(h.registerNode("n1", "h1:1"));
    ok(h.registerNode("n2", "h2:1"));
    ok(h.registerNode("n3", "h3:1"));
    ok(h.setMembership("n1", Membership.DECOMMISSIONED));
    ok(h.setMembership("n3", Membership.DECOMMISSIONING));
    NamespaceHarness copy = h.restored();
    assertThat(copy.summary().getSummary().getNodesList())
        .containsExactly(
            node("n1", "h1:1", Membership.DECOMMISSIONED),
            node("n2", "h2:1", Membership.ACTIVE),
            node("n3", "h3:1", Membership.DECOMMISSIONING));
    assertThat(copy.snapshot()).isEqualTo(h.snapshot());
    // The restored table behaves the same: a re-register keeps the restored membership.
    ok(copy.registerNode("n3", "h3:2"));
    assertThat(copy.summary().getSummary().getNodes(2))
        .isEqualTo(node("n3", "h3:2", Membership.DECOMMISSIONING));
  }

  @Test
  void aSnapshotWithAnUnknownMembershipIsRejected() throws IOException {
    NamespaceTree tree = new NamespaceTree(3, 1024, 16);
    tree.nodes.put(
        "n1", NodeAddress.newBuilder().setId("n1").setAddress("h:1").setMembershipValue(9).build());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SnapshotFormat.write(tree, new RequestTable(4, 4), bytes);
    ok(h.registerNode("keep", "h:1"));
    byte[] before = h.snapshot();
    assertThatThrownBy(() -> h.ns.readSnapshot(new ByteArrayInputStream(bytes.toByteArray())))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("node n1 has unknown membership 9");
    assertThat(h.snapshot()).isEqualTo(before);
  }
}
