package dev.cairn.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A private network for node processes: a Linux bridge in this host's network namespace, and one
 * network namespace per node joined to the bridge by a veth pair. Node {@code i} (from 0) has the
 * address {@code 10.231.S.(11 + i)}, the host has {@code 10.231.S.1} on the bridge, with S picked
 * at random among subnets no interface here uses. Names carry a random suffix, so that parallel
 * runs do not collide. Needs root and {@code ip} (iproute2).
 *
 * <p>{@link #isolate} cuts one node off from the other nodes (both directions) with blackhole
 * routes in the namespaces, while the host can still reach every node: a client on the host sees
 * a node that is alive but cannot talk to its peers. {@link #heal} removes the routes.
 *
 * <p>{@link #close} deletes everything it created, and a shutdown hook does the same if the JVM
 * exits first. Close the processes in the namespaces before the network.
 */
final class PrivateNetwork implements AutoCloseable {
  private final String suffix;
  private final String subnet;
  private final int nodes;
  private final String bridge;
  private final List<String> namespaces = new ArrayList<>();
  private final List<String> hostVeths = new ArrayList<>();
  private final Thread hook = new Thread(this::deleteQuietly, "private-network-cleanup");
  private boolean closed;

  private PrivateNetwork(int nodes) throws IOException {
    this.nodes = nodes;
    Random random = new Random();
    this.suffix = String.format(Locale.ROOT, "%04x", random.nextInt(0x10000));
    this.subnet = "10.231." + freeSubnet(random) + ".";
    this.bridge = "cfb" + suffix;
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Null if this process may create network namespaces here, else why not (for a skipped test).
   */
  static String unavailableReason() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "network namespaces need root; running as " + System.getProperty("user.name");
    }
    String probe = "cfprobe" + String.format(Locale.ROOT, "%04x", new Random().nextInt(0x10000));
    try {
      run("ip", "netns", "add", probe);
      run("ip", "netns", "del", probe);
      return null;
    } catch (IOException e) {
      return "cannot create a network namespace: " + e.getMessage();
    }
  }

  /** Creates the bridge, the namespaces and the links for {@code nodes} nodes. */
  static PrivateNetwork create(int nodes) throws IOException {
    PrivateNetwork net = new PrivateNetwork(nodes);
    try {
      net.build();
      return net;
    } catch (IOException | RuntimeException e) {
      net.close();
      throw e;
    }
  }

  private void build() throws IOException {
    run("ip", "link", "add", bridge, "type", "bridge");
    run("ip", "addr", "add", hostIp() + "/24", "dev", bridge);
    run("ip", "link", "set", bridge, "up");
    for (int i = 0; i < nodes; i++) {
      String ns = "cf" + suffix + "n" + i;
      String host = "cf" + suffix + "h" + i;
      String peer = "cf" + suffix + "p" + i;
      run("ip", "netns", "add", ns);
      namespaces.add(ns);
      run("ip", "link", "add", host, "type", "veth", "peer", "name", peer);
      hostVeths.add(host);
      run("ip", "link", "set", host, "master", bridge);
      run("ip", "link", "set", host, "up");
      run("ip", "link", "set", peer, "netns", ns);
      run("ip", "-n", ns, "addr", "add", ip(i) + "/24", "dev", peer);
      run("ip", "-n", ns, "link", "set", peer, "up");
      run("ip", "-n", ns, "link", "set", "lo", "up");
    }
  }

  /** The address of node {@code i} (from 0). */
  String ip(int i) {
    return subnet + (11 + i);
  }

  /** This host's address on the bridge. */
  String hostIp() {
    return subnet + "1";
  }

  /** The command prefix that runs a program inside node {@code i}'s namespace. */
  List<String> launchPrefix(int i) {
    return List.of("ip", "netns", "exec", namespaces.get(i));
  }

  /** Cuts node {@code i} off from every other node, both ways; the host still reaches it. */
  void isolate(int i) throws IOException {
    for (int j = 0; j < nodes; j++) {
      if (j != i) {
        run("ip", "-n", namespaces.get(i), "route", "add", "blackhole", ip(j) + "/32");
        run("ip", "-n", namespaces.get(j), "route", "add", "blackhole", ip(i) + "/32");
      }
    }
  }

  /** Undoes {@link #isolate}. */
  void heal(int i) throws IOException {
    for (int j = 0; j < nodes; j++) {
      if (j != i) {
        run("ip", "-n", namespaces.get(i), "route", "del", "blackhole", ip(j) + "/32");
        run("ip", "-n", namespaces.get(j), "route", "del", "blackhole", ip(i) + "/32");
      }
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    deleteQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook runs anyway.
    }
  }

  /** Deletes the namespaces (which takes their veth ends along), the host ends and the bridge. */
  private void deleteQuietly() {
    for (String ns : namespaces) {
      tryRun("ip", "netns", "del", ns);
    }
    for (String veth : hostVeths) {
      tryRun("ip", "link", "del", veth);
    }
    tryRun("ip", "link", "del", bridge);
  }

  /** A third byte for 10.231.x.0/24 that no address of this host uses yet. */
  private static int freeSubnet(Random random) throws IOException {
    String addresses = run("ip", "-o", "addr");
    for (int attempt = 0; attempt < 100; attempt++) {
      int x = 1 + random.nextInt(250);
      if (!addresses.contains("10.231." + x + ".")) {
        return x;
      }
    }
    throw new IOException("no free 10.231.x.0/24 subnet");
  }

  private static void tryRun(String... command) {
    try {
      run(command);
    } catch (IOException e) {
      // Already gone, or never made.
    }
  }

  /** Runs a command and returns its output; IOException with its output if it fails. */
  static String run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + String.join(" ", command), e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): "
          + out.trim());
    }
    return out;
  }
}
