package dev.cairn.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Finds client ports for nodes: a node needs its port and the next one (for Raft) free. */
public final class Ports {
  private Ports() {}

  /**
   * A port P on 127.0.0.1 such that P and P+1 were both free a moment ago. The OS picks P; another
   * process may still take either port before the node binds them, in which case the node fails
   * to start with a bind error.
   */
  public static int freePair() {
    for (int attempt = 0; attempt < 200; attempt++) {
      try (ServerSocket first = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int port = first.getLocalPort();
        if (port >= 65535) {
          continue;
        }
        try (ServerSocket second =
            new ServerSocket(port + 1, 1, InetAddress.getLoopbackAddress())) {
          return port;
        } catch (IOException taken) {
          // the next port is in use; ask the OS for another
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot open a socket on 127.0.0.1", e);
      }
    }
    throw new IllegalStateException("no pair of adjacent free ports found on 127.0.0.1");
  }
}
