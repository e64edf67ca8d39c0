package dev.cairn.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a node needs to start. Each peer is named by its client address (host:port); the
 * node's Raft service listens on the next port up (port + 1) and its block data service (see the
 * client's {@code BlockWire}) on the one after (port + 2), so one address per node is enough on
 * the command line.
 *
 * @param id this node's id, stable across restarts
 * @param dataDir where everything the node keeps lives
 * @param listen host:port of this node's client service
 * @param peers every voter of the namespace, this node included: id to client address, in order
 * @param blockSize bytes per block (cairn.client.block-size, default 8 MiB)
 * @param replication replicas wanted per block; 0 means min(3, number of peers)
 * @param minReplicas a block write succeeds once this many replicas have it (default 2, at most
 *     the replication)
 * @param electionTimeout Raft's minimum election timeout; the maximum is a third more
 * @param orphanGrace how old a block that no file references (and that was never freed by a
 *     delete, which is handled at once) must be before it is deleted; it covers blocks written
 *     for a file whose commit has not happened yet, so it must exceed the longest file upload
 *     (default 1 hour)
 * @param maintenanceInterval how often the leader checks replication and garbage
 * @param healing heartbeats, liveness timeouts and the rates of background work
 * @param reservedBytes a node with less free space than this on its data volume refuses new
 *     blocks and says it is full (default 64 MiB)
 */
public record NodeConfig(
    String id,
    Path dataDir,
    String listen,
    Map<String, String> peers,
    int blockSize,
    int replication,
    int minReplicas,
    Duration electionTimeout,
    Duration orphanGrace,
    Duration maintenanceInterval,
    Healing healing,
    long reservedBytes) {

  /** Raft's minimum election timeout by default; heartbeats go out every half of it. */
  public static final Duration DEFAULT_ELECTION_TIMEOUT = Duration.ofMillis(750);

  /** Free space a node keeps by default before it calls itself full. */
  public static final long DEFAULT_RESERVED_BYTES = 64L << 20;

  /**
   * Liveness and background work.
   *
   * @param heartbeatInterval how often a node tells the leader it is alive (default 500 ms)
   * @param suspectAfter a node not heard from for this long is SUSPECT: its replicas still count,
   *     but it gets no new blocks (default 5 s)
   * @param deadAfter a node not heard from for this long is DEAD: its blocks are copied elsewhere
   *     (default 60 s)
   * @param copyRateBytesPerSec the most the leader's re-replication copies per second, across the
   *     cluster (default 64 MiB/s; 0 = unlimited)
   * @param scrubRateBytesPerSec the most each node's scrubber reads per second (default 8 MiB/s;
   *     0 = scrubber off)
   */
  public record Healing(
      Duration heartbeatInterval,
      Duration suspectAfter,
      Duration deadAfter,
      long copyRateBytesPerSec,
      long scrubRateBytesPerSec) {
    public static final Healing DEFAULTS = new Healing(
        Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(60),
        64L << 20, 8L << 20);

    public Healing {
      if (suspectAfter.compareTo(heartbeatInterval) <= 0 || deadAfter.compareTo(suspectAfter) < 0) {
        throw new IllegalArgumentException(
            "liveness timeouts must satisfy heartbeat < suspect-after <= dead-after");
      }
      if (copyRateBytesPerSec < 0 || scrubRateBytesPerSec < 0) {
        throw new IllegalArgumentException("rates cannot be negative");
      }
    }
  }

  /** A config with the default free-space reserve. */
  public NodeConfig(
      String id,
      Path dataDir,
      String listen,
      Map<String, String> peers,
      int blockSize,
      int replication,
      int minReplicas,
      Duration electionTimeout,
      Duration orphanGrace,
      Duration maintenanceInterval,
      Healing healing) {
    this(id, dataDir, listen, peers, blockSize, replication, minReplicas, electionTimeout,
        orphanGrace, maintenanceInterval, healing, DEFAULT_RESERVED_BYTES);
  }

  /** A config with the default healing settings. */
  public NodeConfig(
      String id,
      Path dataDir,
      String listen,
      Map<String, String> peers,
      int blockSize,
      int replication,
      int minReplicas,
      Duration electionTimeout,
      Duration orphanGrace,
      Duration maintenanceInterval) {
    this(id, dataDir, listen, peers, blockSize, replication, minReplicas, electionTimeout,
        orphanGrace, maintenanceInterval, Healing.DEFAULTS);
  }

  public NodeConfig {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(listen, "listen");
    if (healing == null) {
      healing = Healing.DEFAULTS;
    }
    if (reservedBytes < 0) {
      throw new IllegalArgumentException("the free-space reserve cannot be negative");
    }
    peers = new LinkedHashMap<>(peers);
    if (!id.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new IllegalArgumentException(
          "node id '" + id + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
    parseAddress(listen);
    peers.values().forEach(NodeConfig::parseAddress);
    if (!peers.containsKey(id)) {
      throw new IllegalArgumentException("--peers must include this node (" + id + ")");
    }
    if (!peers.get(id).equals(listen)) {
      throw new IllegalArgumentException(
          "--peers gives " + id + "=" + peers.get(id) + " but --listen is " + listen);
    }
  }

  /** A config with defaults for everything but identity and addresses. */
  public static NodeConfig of(String id, Path dataDir, String listen, Map<String, String> peers) {
    return new NodeConfig(
        id,
        dataDir,
        listen,
        peers,
        8 * 1024 * 1024,
        0,
        2,
        DEFAULT_ELECTION_TIMEOUT,
        Duration.ofHours(1),
        Duration.ofSeconds(2),
        Healing.DEFAULTS,
        DEFAULT_RESERVED_BYTES);
  }

  /** Parses "id=host:port,id=host:port". */
  public static Map<String, String> parsePeers(String spec) {
    Map<String, String> peers = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      String trimmed = part.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      int eq = trimmed.indexOf('=');
      if (eq <= 0 || eq == trimmed.length() - 1) {
        throw new IllegalArgumentException("peer '" + trimmed + "' is not ID=HOST:PORT");
      }
      String id = trimmed.substring(0, eq);
      if (peers.put(id, trimmed.substring(eq + 1)) != null) {
        throw new IllegalArgumentException("peer id '" + id + "' appears twice");
      }
    }
    if (peers.isEmpty()) {
      throw new IllegalArgumentException("--peers is empty");
    }
    return peers;
  }

  /** Parses host:port, with a clear message when it is not one. */
  public static InetSocketAddress parseAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("'" + hostPort + "' is not HOST:PORT");
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + hostPort + "' has no numeric port");
    }
    if (port < 1 || port > 65533) {
      throw new IllegalArgumentException("port of '" + hostPort
          + "' must be 1-65533: the node also listens on the next two ports");
    }
    return InetSocketAddress.createUnresolved(hostPort.substring(0, colon), port);
  }

  /** The Raft address that goes with a client address: the same host, the next port. */
  public static String raftAddress(String clientAddress) {
    InetSocketAddress a = parseAddress(clientAddress);
    return a.getHostString() + ":" + (a.getPort() + 1);
  }

  /** The client address that goes with a Raft address: the same host, the port below. */
  public static String clientAddressOfRaft(String raftAddress) {
    InetSocketAddress a = parseAddress(raftAddress);
    return a.getHostString() + ":" + (a.getPort() - 1);
  }

  /** Replicas wanted per block, once the default is resolved against the peer count. */
  public int effectiveReplication() {
    return replication > 0 ? replication : Math.min(3, peers.size());
  }

  public int effectiveMinReplicas() {
    return Math.max(1, Math.min(minReplicas, effectiveReplication()));
  }

  public List<String> peerIds() {
    return List.copyOf(peers.keySet());
  }

  public NodeConfig withBlockSize(int bytes) {
    return new NodeConfig(id, dataDir, listen, peers, bytes, replication, minReplicas,
        electionTimeout, orphanGrace, maintenanceInterval, healing, reservedBytes);
  }

  public NodeConfig withReplication(int replicas, int minimum) {
    return new NodeConfig(id, dataDir, listen, peers, blockSize, replicas, minimum,
        electionTimeout, orphanGrace, maintenanceInterval, healing, reservedBytes);
  }

  public NodeConfig withTimers(Duration election, Duration orphans, Duration maintenance) {
    return new NodeConfig(id, dataDir, listen, peers, blockSize, replication, minReplicas,
        election, orphans, maintenance, healing, reservedBytes);
  }

  public NodeConfig withHealing(Healing settings) {
    return new NodeConfig(id, dataDir, listen, peers, blockSize, replication, minReplicas,
        electionTimeout, orphanGrace, maintenanceInterval, settings, reservedBytes);
  }

  public NodeConfig withReservedBytes(long bytes) {
    return new NodeConfig(id, dataDir, listen, peers, blockSize, replication, minReplicas,
        electionTimeout, orphanGrace, maintenanceInterval, healing, bytes);
  }
}
