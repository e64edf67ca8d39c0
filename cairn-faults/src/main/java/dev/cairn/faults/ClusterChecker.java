package dev.cairn.faults;

import dev.cairn.client.CairnClient;
import dev.cairn.client.ClusterStatus;
import dev.cairn.client.FileStatus;
import dev.cairn.client.internal.BlockReadStream;
import dev.cairn.client.internal.BlockWire;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Extent;
import dev.cairn.proto.LookupResponse;
import dev.cairn.proto.MetaServiceGrpc;
import dev.cairn.proto.PathRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Checks a quiet cluster against its own namespace and the nodes' disks: every block of every
 * file has exactly its replication factor of replicas, all on live nodes; every live node's
 * block store holds exactly the blocks the namespace names it for (nothing missing, no orphans,
 * no leftover temporary files); and every replica of a block has the same bytes, whose checksums
 * hold.
 *
 * <p>Reads the namespace's block lists over the wire protocol (Lookup), which the public client
 * deliberately does not expose, and the block stores straight from the data directories ({@code
 * blocks/<xx>/<16 hex digits>.blk}, {@code tmp/}, {@code corrupt/}).
 *
 * <p>Owns its gRPC channels; close it. Not for use while the cluster is being written to.
 */
public final class ClusterChecker implements Closeable {
  private static final Pattern BLOCK_NAME = Pattern.compile("^([0-9a-f]{16})\\.blk$");
  private static final long DEADLINE_SECONDS = 20;

  private final CairnClient client;
  private final Map<String, String> addresses;
  private final Map<String, Path> dataDirs;
  private final int replication;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  /**
   * @param client for the cluster status and listings (not closed here)
   * @param addresses id to client address of every node that should be live
   * @param dataDirs id to data directory of the same nodes
   * @param replication replicas every block must have
   */
  public ClusterChecker(CairnClient client, Map<String, String> addresses,
      Map<String, Path> dataDirs, int replication) {
    this.client = client;
    this.addresses = new LinkedHashMap<>(addresses);
    this.dataDirs = new LinkedHashMap<>(dataDirs);
    this.replication = replication;
  }

  /** One block of one file, as the namespace has it. */
  public record Block(String file, long id, long length, List<String> replicas) {
    @Override
    public String toString() {
      return String.format("%016x", id) + " of " + file;
    }
  }

  /**
   * Polls until {@link #convergenceProblems} finds nothing; returns the problems of the last
   * look if {@code timeout} passes first (empty on success).
   */
  public List<String> awaitConverged(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> problems;
    long pauseMs = 100;
    while (true) {
      try {
        problems = convergenceProblems();
      } catch (IOException | RuntimeException e) {
        problems = List.of("cannot check: " + e);
      }
      if (problems.isEmpty() || System.nanoTime() > deadline) {
        return problems;
      }
      try {
        Thread.sleep(pauseMs); // polling interval
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return List.of("interrupted");
      }
      pauseMs = Math.min(1000, pauseMs * 2);
    }
  }

  /**
   * One look: the cluster status shows a leader, every live node up and nothing
   * under-replicated; each block has {@code replication} distinct replicas on live nodes; each
   * live node's disk holds exactly the blocks named for it; no temporary block files remain.
   */
  public List<String> convergenceProblems() throws IOException {
    List<String> problems = new ArrayList<>();
    ClusterStatus status = client.clusterStatus();
    if (status.leaderId() == null) {
      problems.add("no leader");
    }
    if (status.namespaceProblem() != null) {
      problems.add("the status could not read the namespace: " + status.namespaceProblem());
    }
    for (String id : addresses.keySet()) {
      boolean up = status.nodes().stream().anyMatch(n -> n.id().equals(id) && n.up());
      if (!up) {
        problems.add("node " + id + " is not up in the cluster status");
      }
    }
    if (status.underReplicatedBlocks() != 0) {
      problems.add(status.underReplicatedBlocks() + " under-replicated block(s) in the status");
    }
    if (!problems.isEmpty()) {
      return problems;
    }

    List<Block> blocks = blocks();
    Map<String, Set<Long>> named = new HashMap<>();
    addresses.keySet().forEach(id -> named.put(id, new HashSet<>()));
    Set<Long> distinct = new HashSet<>();
    List<String> badReplicas = new ArrayList<>();
    for (Block b : blocks) {
      distinct.add(b.id);
      Set<String> unique = new HashSet<>(b.replicas);
      if (unique.size() != b.replicas.size() || unique.size() != replication
          || !addresses.keySet().containsAll(unique)) {
        badReplicas.add(b + " on " + b.replicas);
      }
      for (String r : b.replicas) {
        named.computeIfAbsent(r, k -> new HashSet<>()).add(b.id);
      }
    }
    summarize(problems, badReplicas, "block(s) without exactly " + replication
        + " distinct replicas on live nodes " + addresses.keySet());
    if (status.blocks() != distinct.size()) {
      problems.add("the status counts " + status.blocks() + " blocks but files reference "
          + distinct.size());
    }
    for (String id : addresses.keySet()) {
      Set<Long> onDisk = blocksOnDisk(id);
      Set<Long> missing = new TreeSet<>(named.get(id));
      missing.removeAll(onDisk);
      Set<Long> orphans = new TreeSet<>(onDisk);
      orphans.removeAll(named.get(id));
      summarize(problems, hex(missing), "block(s) named on " + id + " but not on its disk");
      summarize(problems, hex(orphans), "block file(s) on " + id
          + "'s disk that no file names it for (orphans)");
      List<String> tmp = files(dataDirs.get(id).resolve("tmp"));
      summarize(problems, tmp, "temporary block file(s) left in " + id + "'s tmp/");
    }
    return problems;
  }

  /**
   * Reads every replica of every block over the wire (BlockService.ReadBlock on each replica's
   * node), checks each chunk's CRC32C, and compares the replicas' bytes with each other and their
   * lengths with the namespace's. Returns one line per problem.
   */
  public List<String> replicaProblems() throws IOException {
    List<String> problems = new ArrayList<>();
    for (Block b : blocks()) {
      Map<String, String> digests = new LinkedHashMap<>();
      for (String node : b.replicas) {
        String address = addresses.get(node);
        if (address == null) {
          problems.add(b + ": replica on " + node + ", which is not a live node");
          continue;
        }
        try {
          ReplicaBytes r = readReplica(address, b.id);
          if (r.length != b.length) {
            problems.add(b + ": replica on " + node + " has " + r.length + " bytes, the namespace"
                + " says " + b.length);
          }
          digests.put(node, r.sha256);
        } catch (IOException e) {
          problems.add(b + ": replica on " + node + " cannot be read: " + e.getMessage());
        }
      }
      if (new HashSet<>(digests.values()).size() > 1) {
        problems.add(b + ": replicas differ: " + digests);
      }
    }
    return problems;
  }

  /**
   * Replicas quarantined as corrupt (files under each live node's {@code corrupt/}), one line per
   * node that has any.
   */
  public List<String> quarantined() {
    List<String> out = new ArrayList<>();
    for (String id : addresses.keySet()) {
      List<String> files = files(dataDirs.get(id).resolve("corrupt"));
      if (!files.isEmpty()) {
        out.add(id + " quarantined " + files.size() + " replica(s): " + files);
      }
    }
    return out;
  }

  /** Every block of every file in the namespace, walking from the root. */
  public List<Block> blocks() throws IOException {
    List<Block> out = new ArrayList<>();
    List<String> pending = new ArrayList<>(List.of("/"));
    while (!pending.isEmpty()) {
      String dir = pending.remove(pending.size() - 1);
      for (FileStatus s : client.list(dir)) {
        if (s.directory()) {
          pending.add(s.path());
        } else {
          LookupResponse r = lookup(s.path());
          for (Extent e : r.getInfo().getExtentsList()) {
            if (e.hasBlock()) {
              out.add(new Block(s.path(), e.getBlock().getId(), e.getBlock().getLength(),
                  List.copyOf(e.getBlock().getReplicasList())));
            }
          }
        }
      }
    }
    return out;
  }

  /** The block ids in a node's block store, from the file names under blocks/. */
  public Set<Long> blocksOnDisk(String id) {
    Set<Long> ids = new HashSet<>();
    for (String name : files(dataDirs.get(id).resolve("blocks"))) {
      Matcher m = BLOCK_NAME.matcher(name);
      if (m.matches()) {
        ids.add(Long.parseUnsignedLong(m.group(1), 16));
      }
    }
    return ids;
  }

  /** The path of a node's block file. */
  public static Path blockFile(Path dataDir, long id) {
    String name = String.format("%016x", id);
    return dataDir.resolve("blocks").resolve(name.substring(14)).resolve(name + ".blk");
  }

  private LookupResponse lookup(String path) throws IOException {
    IOException failure = new IOException("no node answered the lookup of " + path);
    for (String address : addresses.values()) {
      try {
        LookupResponse r = MetaServiceGrpc.newBlockingStub(channel(address))
            .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
            .lookup(PathRequest.newBuilder().setPath(path).build());
        if (r.getStatus().getCode() == ErrorCode.OK) {
          return r;
        }
        failure.addSuppressed(new IOException(address + ": " + r.getStatus().getCode() + " "
            + r.getStatus().getMessage()));
      } catch (StatusRuntimeException e) {
        failure.addSuppressed(e);
      }
    }
    throw failure;
  }

  private record ReplicaBytes(long length, String sha256) {}

  private ReplicaBytes readReplica(String address, long blockId) throws IOException {
    MessageDigest sha = Content.sha256();
    long length = 0;
    byte[] buf = new byte[BlockWire.CHUNK_SIZE];
    // The stream checks every chunk against its CRC32C.
    try (BlockReadStream in =
        BlockReadStream.open(address, blockId, 0, (int) (DEADLINE_SECONDS * 1000))) {
      int n;
      while ((n = in.next(buf)) > 0) {
        sha.update(buf, 0, n);
        length += n;
      }
    }
    return new ReplicaBytes(length, HexFormat.of().formatHex(sha.digest()));
  }

  private ManagedChannel channel(String address) {
    return channels.computeIfAbsent(address,
        a -> ManagedChannelBuilder.forTarget(a).usePlaintext().maxInboundMessageSize(32 << 20)
            .build());
  }

  /** Names of the regular files under {@code dir}, recursively; empty if there is no dir. */
  static List<String> files(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted()
          .toList();
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof NoSuchFileException) {
        return files(dir); // a file went away while walking: look again
      }
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> hex(Set<Long> ids) {
    return ids.stream().map(id -> String.format("%016x", id)).toList();
  }

  private static void summarize(List<String> problems, List<String> items, String what) {
    if (!items.isEmpty()) {
      problems.add(items.size() + " " + what + ": "
          + String.join(", ", items.subList(0, Math.min(5, items.size())))
          + (items.size() > 5 ? ", ..." : ""));
    }
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
