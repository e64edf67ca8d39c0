package dev.cairn.cli;

import dev.cairn.client.ClusterStatus;
import dev.cairn.client.ClusterStatus.NodeState;
import java.util.Comparator;
import java.util.List;

/** Renders {@link ClusterStatus} for people: a table of nodes, then the cluster's health. */
final class StatusTable {
  private StatusTable() {}

  static String render(ClusterStatus status) {
    TextTable nodes =
        new TextTable(false, false, false, false, true, false, true, true, true, false);
    nodes.row("NODE", "ADDRESS", "STATE", "LIVENESS", "SEEN", "ROLE", "BLOCKS", "USED", "FREE",
        "NOTE");
    // Nodes in id order, whatever order the answering node used.
    List<NodeState> sorted = status.nodes().stream()
        .sorted(Comparator.comparing(NodeState::id, StatusTable::compareIds))
        .toList();
    for (NodeState node : sorted) {
      boolean leader = node.id().equals(status.leaderId());
      String role = node.raftRole() == null || node.raftRole().isEmpty()
          ? (leader ? "LEADER" : "-") : node.raftRole();
      String liveness = node.state() == null ? "-" : node.state();
      if (node.up()) {
        nodes.row(node.id(), node.address(), "up", liveness, seen(node), role,
            Long.toString(node.blocks()), HumanSize.format(node.bytesUsed()),
            HumanSize.format(node.bytesFree()), note(node));
      } else {
        nodes.row(node.id(), node.address(), "DOWN", liveness, seen(node), "-", "-", "-", "-",
            note(node));
      }
    }
    StringBuilder out = new StringBuilder(nodes.render());
    out.append('\n');
    boolean hasLeader = status.leaderId() != null && !status.leaderId().isEmpty();
    long down = status.nodes().stream().filter(n -> !n.up()).count();
    out.append("leader:            ").append(hasLeader ? status.leaderId() : "none").append('\n');
    out.append("nodes up:          ").append(status.nodes().size() - down)
        .append(" of ").append(status.nodes().size()).append('\n');
    boolean namespaceRead = status.namespaceProblem() == null;
    if (namespaceRead) {
      out.append("files:             ").append(status.files())
          .append(" (").append(status.directories()).append(" directories, ")
          .append(status.blocks()).append(" blocks)\n");
    } else {
      out.append("files:             unknown (").append(status.namespaceProblem()).append(")\n");
    }
    out.append("replication:       ").append(status.defaultReplication() > 0
        ? Integer.toString(status.defaultReplication()) : "default").append('\n');
    if (namespaceRead) {
      out.append("under-replicated:  ").append(status.underReplicatedBlocks()).append(" blocks (")
          .append(HumanSize.format(status.underReplicatedBytes())).append(")\n");
    } else {
      out.append("under-replicated:  unknown\n");
    }
    ClusterStatus.Healing h = status.healing();
    if (h != null && (status.underReplicatedBlocks() > 0 || h.blocksCopied() > 0)) {
      out.append("re-replication:    ").append(h.blocksCopied()).append(" blocks (")
          .append(HumanSize.format(h.bytesCopied())).append(") copied, ")
          .append(HumanSize.format(h.rateBytesPerSec())).append("/s now");
      if (status.underReplicatedBytes() > 0) {
        out.append(", ").append(h.etaSeconds() < 0 ? "time left unknown"
            : "about " + h.etaSeconds() + " s left");
      }
      if (h.rateLimitBytesPerSec() > 0) {
        out.append(" (limit ").append(HumanSize.format(h.rateLimitBytesPerSec())).append("/s)");
      }
      out.append('\n');
    }
    long corrupt = status.nodes().stream().mapToLong(NodeState::corruptBlocksFound).sum();
    if (corrupt > 0) {
      out.append("corrupt replicas:  ").append(corrupt)
          .append(" found and set aside since the nodes started\n");
    }
    out.append("health:            ").append(health(status, hasLeader, down)).append('\n');
    return out.toString();
  }

  private static String health(ClusterStatus status, boolean hasLeader, long down) {
    if (status.healthy()) {
      return "ok";
    }
    if (!hasLeader) {
      return "UNAVAILABLE (no leader)";
    }
    if (status.namespaceProblem() != null) {
      return "UNAVAILABLE (the namespace did not answer)";
    }
    StringBuilder why = new StringBuilder("DEGRADED (");
    if (down > 0) {
      why.append(down).append(down == 1 ? " node down" : " nodes down");
    }
    if (status.underReplicatedBlocks() > 0) {
      if (down > 0) {
        why.append(", ");
      }
      why.append("re-replicating");
    }
    return why.append(')').toString();
  }

  /** "n2" before "n10": compares the digits at the end as numbers. */
  static int compareIds(String a, String b) {
    String aPrefix = a.replaceAll("\\d+$", "");
    String bPrefix = b.replaceAll("\\d+$", "");
    if (aPrefix.equals(bPrefix) && a.length() > aPrefix.length() && b.length() > bPrefix.length()
        && a.length() - aPrefix.length() < 10 && b.length() - bPrefix.length() < 10) {
      return Integer.compare(Integer.parseInt(a.substring(aPrefix.length())),
          Integer.parseInt(b.substring(bPrefix.length())));
    }
    return a.compareTo(b);
  }

  private static String seen(NodeState node) {
    if (node.lastSeenMsAgo() < 0) {
      return "never";
    }
    return node.lastSeenMsAgo() < 10_000
        ? String.format(java.util.Locale.ROOT, "%.1fs ago", node.lastSeenMsAgo() / 1000.0)
        : node.lastSeenMsAgo() / 1000 + "s ago";
  }

  private static String note(NodeState node) {
    if (node.membership() != null && !"ACTIVE".equals(node.membership())) {
      return node.membership().toLowerCase(java.util.Locale.ROOT)
          + ("DECOMMISSIONING".equals(node.membership())
              ? " (" + node.referencedBlocks() + " blocks left)" : "");
    }
    if (node.full()) {
      return "FULL: takes no new blocks";
    }
    if (node.error() != null && !node.error().isEmpty()) {
      return node.error();
    }
    if (!node.up() && node.lastSeenMsAgo() > 0) {
      return "last seen " + node.lastSeenMsAgo() / 1000 + " s ago";
    }
    return "";
  }
}
