package dev.cairn.client;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.cairn.client.internal.BlockUpload;
import dev.cairn.client.internal.Connections;
import dev.cairn.client.internal.Errors;
import dev.cairn.client.internal.FileReader;
import dev.cairn.client.internal.MetaWire;
import dev.cairn.proto.ClusterStatusRequest;
import dev.cairn.proto.ClusterStatusResponse;
import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.DecommissionRequest;
import dev.cairn.proto.DeleteRequest;
import dev.cairn.proto.HealingProgress;
import dev.cairn.proto.Extent;
import dev.cairn.proto.FileInfo;
import dev.cairn.proto.ListResponse;
import dev.cairn.proto.LookupResponse;
import dev.cairn.proto.MetaServiceGrpc;
import dev.cairn.proto.MetaServiceGrpc.MetaServiceBlockingStub;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.MutationResponse;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.NodeStatus;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.RenameRequest;
import dev.cairn.proto.RequestId;
import dev.cairn.proto.StatResponse;
import dev.cairn.proto.Status;
import io.grpc.ManagedChannel;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import dev.cairn.proto.BlockRef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A connection to a Cairn cluster. Built from the addresses of some or all nodes; any node answers
 * any request. When the node in use fails, calls move to another node and retry, for up to {@link
 * Builder#failoverTimeout}; every mutation carries a request id so that a retry is applied once.
 *
 * <p>Thread-safe: share one client between threads. Close it to release its connections.
 *
 * <p>Every method throws {@link CairnException} with a {@link ErrorCode}; retryable failures have
 * already been retried for the failover timeout when one comes out. A mutation that fails with
 * {@link ErrorCode#UNAVAILABLE} after the timeout may or may not have been applied.
 */
public final class CairnClient implements Closeable {
  private static final long META_DEADLINE_SECONDS = 15;
  /** Blocks of one file uploaded at the same time. */
  private static final int UPLOADS_IN_FLIGHT = 4;

  private final Connections nodes;
  private final String clientId = UUID.randomUUID().toString();
  private final AtomicLong seq = new AtomicLong();
  private final int inlineThreshold;
  private final int blockSize;
  private final ExecutorService uploads = Executors.newVirtualThreadPerTaskExecutor();

  private CairnClient(Builder b) {
    this.nodes = new Connections(b.addresses, b.failoverTimeout,
        (int) TimeUnit.SECONDS.toMillis(META_DEADLINE_SECONDS), b.onWaiting);
    this.inlineThreshold = b.inlineThreshold;
    this.blockSize = b.blockSize;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A client for a comma-separated list of host:port addresses, with default settings. */
  public static CairnClient connect(String addresses) {
    return builder().addresses(addresses).build();
  }

  /** Settings of a client. */
  public static final class Builder {
    List<String> addresses = List.of();
    Duration failoverTimeout = Duration.ofSeconds(30);
    Consumer<String> onWaiting = note -> { };
    int inlineThreshold = 64 * 1024;
    int blockSize = 8 * 1024 * 1024;

    private Builder() {}

    /** host:port addresses, comma-separated. */
    public Builder addresses(String commaSeparated) {
      List<String> list = new ArrayList<>();
      for (String a : commaSeparated.split(",")) {
        if (!a.isBlank()) {
          list.add(a.trim());
        }
      }
      return addresses(list);
    }

    public Builder addresses(List<String> addresses) {
      this.addresses = List.copyOf(addresses);
      return this;
    }

    /** How long a call keeps retrying on other nodes before it gives up (default 30 s). */
    public Builder failoverTimeout(Duration failoverTimeout) {
      this.failoverTimeout = failoverTimeout;
      return this;
    }

    /**
     * Told once per call that has failed on every node it tried for 2 s and goes on trying until
     * the failover timeout: what failed last, and for how long the call will go on (default:
     * nobody). A command line prints it, so that a user facing a stopped cluster or a wrong
     * address learns why nothing happens. Called on the calling thread; keep it quick.
     */
    public Builder onWaiting(Consumer<String> onWaiting) {
      this.onWaiting = Objects.requireNonNull(onWaiting);
      return this;
    }

    /** Files up to this size are kept inline in the namespace instead of in blocks (64 KiB). */
    public Builder inlineThreshold(int bytes) {
      if (bytes < 0 || bytes > 64 * 1024) {
        throw new IllegalArgumentException("inline threshold must be 0..65536 bytes");
      }
      this.inlineThreshold = bytes;
      return this;
    }

    /** Size of the blocks a file is split into (8 MiB). */
    public Builder blockSize(int bytes) {
      if (bytes < BlockUpload.CHUNK_SIZE || bytes % BlockUpload.CHUNK_SIZE != 0) {
        throw new IllegalArgumentException(
            "block size must be a positive multiple of " + BlockUpload.CHUNK_SIZE);
      }
      this.blockSize = bytes;
      return this;
    }

    /**
     * Builds the client. No connection is made until the first call.
     *
     * @throws IllegalArgumentException if no address was given
     */
    public CairnClient build() {
      if (addresses.isEmpty()) {
        throw new IllegalArgumentException("no node addresses given");
      }
      for (String a : addresses) {
        int colon = a.lastIndexOf(':');
        if (colon <= 0 || !a.substring(colon + 1).matches("\\d{1,5}")) {
          throw new IllegalArgumentException("'" + a + "' is not HOST:PORT");
        }
      }
      return new CairnClient(this);
    }
  }

  // ------------------------------------------------------------------ namespace

  /** The entry at {@code path}; {@link ErrorCode#NOT_FOUND} if there is none. */
  public FileStatus stat(String path) throws CairnException {
    StatResponse r = meta("stat " + path, MetaWire.STAT, pathRequest(path), StatResponse.parser(),
        StatResponse::getStatus);
    return toStatus(r.getInfo());
  }

  /** True if something exists at {@code path}. */
  public boolean exists(String path) throws CairnException {
    try {
      stat(path);
      return true;
    } catch (CairnException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  /** The entries of a directory, sorted by name; {@link ErrorCode#NOT_A_DIRECTORY} for a file. */
  public List<FileStatus> list(String dir) throws CairnException {
    ListResponse r = meta("list " + dir, MetaWire.LIST, pathRequest(dir), ListResponse.parser(),
        ListResponse::getStatus);
    List<FileStatus> out = new ArrayList<>(r.getEntriesCount());
    r.getEntriesList().forEach(i -> out.add(toStatus(i)));
    return out;
  }

  /** Creates a directory; with {@code parents}, also missing parents, and no error if it exists. */
  public FileStatus mkdir(String path, boolean parents) throws CairnException {
    RequestId id = nextRequestId();
    MutationResponse r = meta("mkdir " + path, MetaWire.MKDIR,
        MkdirRequest.newBuilder().setPath(path).setParents(parents).setRequestId(id).build(),
        MutationResponse.parser(), MutationResponse::getStatus);
    return toStatus(r.getInfo());
  }

  /** Creates an empty file; {@link ErrorCode#ALREADY_EXISTS} if the path exists. */
  public FileStatus create(String path) throws CairnException {
    return commit(path, CommitMode.CREATE_NEW, false, 0, List.of(), 0);
  }

  /**
   * Writes a file from a stream, creating it or replacing its content. The new content becomes
   * visible at once when this returns, after every block is fsynced on its replicas. The stream is
   * read to its end, not closed. Only one block is held in memory at a time.
   */
  public FileStatus write(String path, InputStream data) throws IOException {
    return commit(path, CommitMode.OVERWRITE, false, 0, upload(data), 0);
  }

  /** Writes a byte array as the whole content of a file. */
  public FileStatus write(String path, byte[] data) throws IOException {
    return write(path, new java.io.ByteArrayInputStream(data));
  }

  /**
   * Replaces the content only if the file is still at {@code expectedVersion}; otherwise throws
   * {@link ConflictException} and changes nothing. An {@code expectedVersion} of 0 means the file
   * must not exist yet, and creates it.
   */
  public FileStatus writeIfVersion(String path, long expectedVersion, InputStream data)
      throws IOException {
    try {
      return commit(path, CommitMode.OVERWRITE, true, expectedVersion, upload(data), 0);
    } catch (ConflictException e) {
      throw new ConflictException(e.getMessage(), expectedVersion);
    }
  }

  /** Appends a stream to an existing file; {@link ErrorCode#NOT_FOUND} if there is none. */
  public FileStatus append(String path, InputStream data) throws IOException {
    FileStatus before = stat(path);
    if (before.directory()) {
      throw new CairnException(ErrorCode.IS_A_DIRECTORY, path + " is a directory");
    }
    // Small appends to a small file stay inline; anything bigger becomes blocks.
    int inlineRoom = (int) Math.max(0, inlineThreshold - before.size());
    return commit(path, CommitMode.APPEND, false, 0, upload(data, inlineRoom), 0);
  }

  /**
   * Opens a file for reading. The stream reads the version current at open, block by block,
   * verifying checksums and moving to another replica when one fails. Close it.
   */
  public CairnInputStream open(String path) throws IOException {
    LookupResponse r = meta("read " + path, MetaWire.LOOKUP, pathRequest(path),
        LookupResponse.parser(), LookupResponse::getStatus);
    Map<String, String> addresses = new HashMap<>();
    for (NodeAddress n : r.getNodesList()) {
      addresses.put(n.getId(), n.getAddress());
    }
    return new FileReader(nodes, path, toStatus(r.getInfo()), r.getInfo().getExtentsList(),
        addresses);
  }

  /** Copies a whole file to {@code out}; returns the status of the version read. */
  public FileStatus read(String path, OutputStream out) throws IOException {
    try (CairnInputStream in = open(path)) {
      in.transferTo(out);
      return in.status();
    }
  }

  /** The whole content of a file, for small files. */
  public byte[] readAllBytes(String path) throws IOException {
    try (CairnInputStream in = open(path)) {
      return in.readAllBytes();
    }
  }

  /** Deletes a file or an empty directory; with {@code recursive}, a directory and its content. */
  public void delete(String path, boolean recursive) throws CairnException {
    RequestId id = nextRequestId();
    meta("delete " + path, MetaWire.DELETE,
        DeleteRequest.newBuilder().setPath(path).setRecursive(recursive).setRequestId(id).build(),
        MutationResponse.parser(), MutationResponse::getStatus);
  }

  /** Moves a file or directory; into {@code target} if that is an existing directory. */
  public FileStatus rename(String source, String target) throws CairnException {
    RequestId id = nextRequestId();
    MutationResponse r = meta("mv " + source, MetaWire.RENAME,
        RenameRequest.newBuilder().setSource(source).setTarget(target).setRequestId(id).build(),
        MutationResponse.parser(), MutationResponse::getStatus);
    return toStatus(r.getInfo());
  }

  /** Every node's state and the cluster's health, as seen by the node that answers. */
  public ClusterStatus clusterStatus() throws CairnException {
    ClusterStatusResponse r = nodes.call("status", (channel, address) ->
        stub(channel).clusterStatus(ClusterStatusRequest.getDefaultInstance()));
    if (r.getLeaderId().isEmpty()) {
      // This node knows no leader (it may be cut off, or retired from the Raft group): ask the
      // others once before reporting that the cluster has none.
      for (String address : nodes.addresses()) {
        try {
          ClusterStatusResponse other = stub(nodes.channel(address))
              .withDeadlineAfter(3, TimeUnit.SECONDS)
              .clusterStatus(ClusterStatusRequest.getDefaultInstance());
          if (!other.getLeaderId().isEmpty()) {
            r = other;
            break;
          }
        } catch (io.grpc.StatusRuntimeException e) {
          // That node is down too; try the next.
        }
      }
    }
    List<ClusterStatus.NodeState> states = new ArrayList<>();
    for (NodeStatus n : r.getNodesList()) {
      states.add(new ClusterStatus.NodeState(n.getId(), n.getAddress(), n.getUp(),
          n.getRaftRole(), n.getBlocks(), n.getBytesUsed(), n.getBytesFree(),
          n.getLastSeenMsAgo(), n.getError(),
          n.getState().isEmpty() ? (n.getUp() ? "LIVE" : "UNKNOWN") : n.getState(),
          n.getMembership().name(), n.getFull(), n.getReferencedBlocks(),
          n.getCorruptBlocksFound(), n.getScrubbedBytes()));
    }
    String leader = r.getLeaderId().isEmpty() ? null : r.getLeaderId();
    HealingProgress h = r.getHealing();
    return new ClusterStatus(leader, states, r.getFiles(), r.getDirectories(), r.getBlocks(),
        r.getUnderReplicatedBlocks(), r.getUnderReplicatedBytes(), r.getDefaultReplication(),
        new ClusterStatus.Healing(h.getBlocksCopied(), h.getBytesCopied(),
            h.getRateBytesPerSec(), h.getEtaSeconds(), h.getRateLimitBytesPerSec(),
            h.getBlocksTrimmed(), h.getBlocksDeleted()),
        r.getStatus().getCodeValue() == 0 ? null : r.getStatus().getMessage());
  }

  /**
   * Starts retiring a node: it takes no new blocks, every block it holds is copied to other nodes
   * by the leader, and then it leaves the Raft group. Returns at once; follow the progress with
   * {@link #clusterStatus} (the node's {@code referencedBlocks} falls to 0 and its membership
   * becomes DECOMMISSIONED). Fails with INVALID_ARGUMENT if the other nodes cannot hold the
   * cluster's replication factor, NOT_FOUND for an unknown node.
   */
  public void decommission(String nodeId) throws CairnException {
    RequestId id = nextRequestId();
    grpcMeta("decommission " + nodeId,
        s -> s.decommission(DecommissionRequest.newBuilder().setNodeId(nodeId)
            .setRequestId(id).build()),
        MutationResponse::getStatus);
  }

  /** The addresses this client knows. */
  public List<String> addresses() {
    return nodes.addresses();
  }

  /** The address of the node calls go to now. */
  public String currentAddress() {
    return nodes.currentAddress();
  }

  /** Closes the client's connections; calls in progress fail. */
  @Override
  public void close() {
    uploads.shutdownNow();
    nodes.close();
  }

  // ------------------------------------------------------------------ internals

  private RequestId nextRequestId() {
    return RequestId.newBuilder().setClientId(clientId).setSeq(seq.incrementAndGet()).build();
  }

  private static PathRequest pathRequest(String path) {
    return PathRequest.newBuilder().setPath(path).build();
  }

  private static MetaServiceBlockingStub stub(ManagedChannel channel) {
    return MetaServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(META_DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  /** A namespace call on the framed protocol, with failover; the answer's status is checked. */
  private <T> T meta(String what, byte method, MessageLite request, Parser<T> parser,
      Function<T, Status> status) throws CairnException {
    return nodes.callMeta(what, method, request, parser, response -> check(status.apply(response)));
  }

  /** A namespace call through gRPC, with failover; the answer's status is checked. */
  private <T> T grpcMeta(String what, Function<MetaServiceBlockingStub, T> call,
      Function<T, Status> status) throws CairnException {
    return nodes.call(what, (channel, address) -> {
      T response = call.apply(stub(channel));
      check(status.apply(response));
      return response;
    });
  }

  private static void check(Status s) throws CairnException {
    if (Errors.retryable(s)) {
      throw new Connections.RetryableException(Errors.toException(s));
    }
    Errors.check(s);
  }

  private FileStatus commit(String path, CommitMode mode, boolean hasExpected, long expected,
      List<Extent> extents, int replication) throws CairnException {
    RequestId id = nextRequestId();
    CommitRequest request = CommitRequest.newBuilder()
        .setPath(path)
        .setMode(mode)
        .setHasExpectedVersion(hasExpected)
        .setExpectedVersion(expected)
        .addAllExtents(extents)
        .setReplication(replication)
        .setRequestId(id)
        .build();
    MutationResponse r = meta("write " + path, MetaWire.COMMIT, request,
        MutationResponse.parser(), MutationResponse::getStatus);
    return toStatus(r.getInfo());
  }

  private List<Extent> upload(InputStream data) throws IOException {
    return upload(data, inlineThreshold);
  }

  /**
   * Reads the stream to its end: content up to {@code inlineLimit} bytes in all goes inline;
   * anything longer is cut into blocks. Up to {@link #UPLOADS_IN_FLIGHT} blocks are uploaded at
   * once (each fsynced on its replicas before its upload completes) while the next is read, so
   * reading the source, sending and fsyncing overlap; memory holds at most that many blocks plus
   * the one being filled.
   */
  private List<Extent> upload(InputStream data, int inlineLimit) throws IOException {
    // A small file never needs a block's buffer: allocating (and zeroing) megabytes for each
    // 4 KiB write cost more than the write itself.
    byte[] probe = data.readNBytes(inlineLimit + 1);
    List<Extent> extents = new ArrayList<>();
    if (probe.length <= inlineLimit) {
      if (probe.length > 0) {
        extents.add(Extent.newBuilder()
            .setData(com.google.protobuf.UnsafeByteOperations.unsafeWrap(probe)).build());
      }
      return extents;
    }
    byte[] buffer = new byte[Math.max(blockSize, probe.length)];
    System.arraycopy(probe, 0, buffer, 0, probe.length);
    int filled = probe.length;
    ArrayDeque<Future<BlockRef>> inFlight = new ArrayDeque<>();
    try {
      while (true) {
        if (filled < blockSize) {
          filled += data.readNBytes(buffer, filled, blockSize - filled);
        }
        if (filled == 0) {
          break;
        }
        int length = Math.min(filled, blockSize);
        if (inFlight.size() >= UPLOADS_IN_FLIGHT) {
          extents.add(Extent.newBuilder().setBlock(await(inFlight.poll())).build());
        }
        byte[] block = buffer;
        inFlight.add(uploads.submit(() -> BlockUpload.upload(nodes, block, length, 0)));
        boolean last = filled < blockSize;
        byte[] next = new byte[buffer.length];
        // Only when the inline probe read past one block's worth does anything remain here.
        System.arraycopy(buffer, length, next, 0, filled - length);
        filled -= length;
        buffer = next;
        if (last) {
          break;
        }
      }
      while (!inFlight.isEmpty()) {
        extents.add(Extent.newBuilder().setBlock(await(inFlight.poll())).build());
      }
      return extents;
    } finally {
      inFlight.forEach(f -> f.cancel(true));
    }
  }

  private static BlockRef await(Future<BlockRef> upload) throws CairnException {
    try {
      return upload.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CairnException(ErrorCode.UNAVAILABLE, "interrupted while writing", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CairnException c) {
        throw c;
      }
      throw new CairnException(ErrorCode.INTERNAL, "block upload failed: " + e.getCause(),
          e.getCause());
    }
  }

  private static FileStatus toStatus(FileInfo i) {
    return new FileStatus(i.getPath(), i.getDirectory(), i.getSize(), i.getVersion(),
        Instant.ofEpochMilli(i.getMtimeMs()), i.getReplication(), i.getChildren());
  }
}
