package dev.cairn.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * Finds client ports for nodes: a node needs its port and the next two free, for Raft (port + 1)
 * and block data (port + 2).
 */
public final class Ports {
  private Ports() {}

  /** How many consecutive ports a node listens on, from its client port up. */
  public static final int PER_NODE = 3;

  /**
   * A port P on 127.0.0.1 such that P, P+1 and P+2 were free a moment ago. The OS picks P;
   * another process may still take one of them before the node binds it, in which case the node
   * fails to start with a bind error.
   */
  public static int freeRange() {
    for (int attempt = 0; attempt < 200; attempt++) {
      try (ServerSocket first = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int port = first.getLocalPort();
        if (port > 65535 - (PER_NODE - 1)) {
          continue;
        }
        if (free(port + 1) && free(port + 2)) {
          return port;
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot open a socket on 127.0.0.1", e);
      }
    }
    throw new IllegalStateException("no " + PER_NODE + " adjacent free ports found on 127.0.0.1");
  }

  /**
   * Client ports for {@code count} nodes, drawn from {@code freeRange} (such as {@link
   * #freeRange}) until no two nodes' ranges of {@link #PER_NODE} ports overlap: the OS may hand
   * out a port again once its probe socket is closed, or one next to a port already taken.
   */
  public static List<Integer> disjoint(int count, IntSupplier freeRange) {
    List<Integer> ports = new ArrayList<>();
    for (int attempt = 0; ports.size() < count; attempt++) {
      if (attempt > 100 * count) {
        throw new IllegalStateException("cannot find " + count + " disjoint ranges of "
            + PER_NODE + " free ports");
      }
      int port = freeRange.getAsInt();
      if (ports.stream().noneMatch(p -> Math.abs(p - port) < PER_NODE)) {
        ports.add(port);
      }
    }
    return ports;
  }

  private static boolean free(int port) {
    try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }
}
