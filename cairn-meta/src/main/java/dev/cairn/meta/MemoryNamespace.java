package dev.cairn.meta;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaQuery;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.RequestId;
import dev.cairn.proto.Status;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The namespace held in memory: a tree of directories and files, an index of the blocks live files
 * reference, the list of blocks freed by overwrites and deletes, the node table and the table of
 * recent results for exactly-once retries. The only production {@link Namespace}.
 *
 * <p>Threading: one {@link ReentrantReadWriteLock}. {@link #apply} and {@link #readSnapshot} take
 * the write lock; {@link #query}, {@link #freeze} and the counters take the read lock, so they see
 * the state between two commands, never in the middle of one. A snapshot holds the read lock only
 * while it copies the entries (tens of milliseconds for a million files), not while it writes.
 *
 * <p>Semantics in brief (see the tests for each rule): paths follow {@link PathNames}; a changed
 * entry's version is the log index of the change and its mtime the command's {@code time_ms}; a
 * file's id is the index that created it; a directory's version and mtime change when entries are
 * added to or removed from it. Commands that carry a request id with a non-empty client id are
 * applied at most once: a repeat returns the first result. In {@link #query} summaries, {@code
 * directories} does not count the root.
 *
 * <p>Freed blocks: a block that leaves the index because its file was overwritten (and the new
 * content does not reuse it) or deleted goes to the end of the freed list with its id, length and
 * replicas at that moment. The {@code freed} query returns the oldest ones; {@code ForgetFreed}
 * removes ids from the list (unknown ids are ignored). A commit that names a block on the list
 * fails with INVALID_ARGUMENT, since the server may be deleting its replicas. The list keeps at
 * most a million blocks, dropping the oldest; see {@link FreedBlocks}.
 *
 * <p>Membership: every node table entry has one, ACTIVE when the node first registers. Only {@code
 * SetMembership} changes it; a later {@code RegisterNode} changes the address and keeps it.
 */
public final class MemoryNamespace implements Namespace {

  private final int defaultReplication;
  private final int maxInlineBytesPerFile;
  private final int resultsPerClient;
  private final int maxClients;
  private final int maxFreedBlocks;

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  // Both replaced as a pair by readSnapshot; guarded by lock.
  private NamespaceTree tree;
  private RequestTable requests;

  /**
   * Creates an empty namespace holding only the root directory.
   *
   * @param defaultReplication replicas wanted for a file's blocks when its commit asks for 0
   * @param maxInlineBytesPerFile the most bytes one file may keep inline, outside blocks
   * @throws IllegalArgumentException if {@code defaultReplication < 1} or {@code
   *     maxInlineBytesPerFile < 0}
   */
  public MemoryNamespace(int defaultReplication, int maxInlineBytesPerFile) {
    this(
        defaultReplication,
        maxInlineBytesPerFile,
        RequestTable.DEFAULT_RESULTS_PER_CLIENT,
        RequestTable.DEFAULT_MAX_CLIENTS);
  }

  /** As the public constructor, with the limits of the exactly-once table; for tests. */
  MemoryNamespace(
      int defaultReplication, int maxInlineBytesPerFile, int resultsPerClient, int maxClients) {
    this(
        defaultReplication,
        maxInlineBytesPerFile,
        resultsPerClient,
        maxClients,
        FreedBlocks.DEFAULT_LIMIT);
  }

  /**
   * As the public constructor, with the limits of the exactly-once table and of the freed list; for
   * tests. Every node of a cluster must use the same limits, or their states would drift apart.
   */
  MemoryNamespace(
      int defaultReplication,
      int maxInlineBytesPerFile,
      int resultsPerClient,
      int maxClients,
      int maxFreedBlocks) {
    if (defaultReplication < 1) {
      throw new IllegalArgumentException(
          "defaultReplication must be at least 1: " + defaultReplication);
    }
    if (maxInlineBytesPerFile < 0) {
      throw new IllegalArgumentException(
          "maxInlineBytesPerFile must not be negative: " + maxInlineBytesPerFile);
    }
    this.defaultReplication = defaultReplication;
    this.maxInlineBytesPerFile = maxInlineBytesPerFile;
    this.resultsPerClient = resultsPerClient;
    this.maxClients = maxClients;
    this.maxFreedBlocks = maxFreedBlocks;
    this.tree = new NamespaceTree(defaultReplication, maxInlineBytesPerFile, maxFreedBlocks);
    this.requests = new RequestTable(resultsPerClient, maxClients);
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if {@code index < 1}: log indexes start at 1, and 0 is the
   *     root's file id
   */
  @Override
  public MetaResult apply(MetaCommand command, long index) {
    if (index < 1) {
      throw new IllegalArgumentException("log index must be positive: " + index);
    }
    lock.writeLock().lock();
    try {
      RequestId id = requestId(command);
      if (id != null) {
        MetaResult earlier = requests.find(id.getClientId(), id.getSeq());
        if (earlier != null) {
          return earlier;
        }
      }
      MetaResult result = execute(command, index);
      if (id != null) {
        requests.remember(id.getClientId(), id.getSeq(), result);
      }
      return result;
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public MetaQueryResult query(MetaQuery query) {
    lock.readLock().lock();
    try {
      return switch (query.getQCase()) {
        case STAT -> tree.stat(query.getStat().getPath());
        case LOOKUP -> tree.lookup(query.getLookup().getPath());
        case LIST -> tree.list(query.getList().getPath());
        case BLOCK_MAP -> tree.blockMap();
        case SUMMARY -> tree.summary();
        case FREED -> tree.freedBlocks(query.getFreed().getLimit());
        case Q_NOT_SET -> failedQuery(ErrorCode.INVALID_ARGUMENT, "the query is empty");
      };
    } catch (MetaFailure failure) {
      return MetaQueryResult.newBuilder().setStatus(failure.status()).build();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** {@inheritDoc} Holds the read lock while it copies. */
  @Override
  public Frozen freeze() {
    lock.readLock().lock();
    try {
      return SnapshotFormat.freeze(tree, requests);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * {@inheritDoc} The snapshot is read and checked in full before the current state is replaced, so
   * a failed read leaves the namespace as it was. Does not close {@code in}.
   *
   * @throws IOException if the stream fails, ends early, or does not hold a valid snapshot
   */
  @Override
  public void readSnapshot(InputStream in) throws IOException {
    SnapshotFormat.Loaded loaded =
        SnapshotFormat.read(
            in,
            defaultReplication,
            maxInlineBytesPerFile,
            resultsPerClient,
            maxClients,
            maxFreedBlocks);
    lock.writeLock().lock();
    try {
      tree = loaded.tree();
      requests = loaded.requests();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** The number of files. */
  public long fileCount() {
    lock.readLock().lock();
    try {
      return tree.fileCount;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The number of directories, not counting the root. */
  public long directoryCount() {
    lock.readLock().lock();
    try {
      return tree.directoryCount;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The number of blocks referenced by files. */
  public long blockCount() {
    lock.readLock().lock();
    try {
      return tree.blocks.size();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The number of blocks on the freed list: freed by overwrites and deletes, not yet forgotten. */
  public int freedBlockCount() {
    lock.readLock().lock();
    try {
      return tree.freed.size();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The sum of all files' sizes, in bytes. */
  public long totalBytes() {
    lock.readLock().lock();
    try {
      return tree.totalBytes;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The number of nodes in the node table. */
  public int nodeCount() {
    lock.readLock().lock();
    try {
      return tree.nodes.size();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The replication given to files whose commit asks for 0. */
  public int defaultReplication() {
    return defaultReplication;
  }

  /** The most bytes one file may keep inline. */
  public int maxInlineBytesPerFile() {
    return maxInlineBytesPerFile;
  }

  /**
   * Recomputes the counters and block index from the tree and checks the freed list against the
   * index; for tests.
   */
  void checkInvariants() {
    lock.readLock().lock();
    try {
      tree.checkInvariants();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The number of clients in the exactly-once table; for tests. */
  int rememberedClients() {
    lock.readLock().lock();
    try {
      return requests.clientCount();
    } finally {
      lock.readLock().unlock();
    }
  }

  private MetaResult execute(MetaCommand command, long index) {
    long timeMs = command.getTimeMs();
    try {
      return switch (command.getOpCase()) {
        case MKDIR -> tree.mkdir(command.getMkdir(), index, timeMs);
        case COMMIT ->
            tree.commit(command.getCommit(), index, timeMs, command.getUploadWindowMs());
        case DELETE -> tree.delete(command.getDelete(), index, timeMs);
        case RENAME -> tree.rename(command.getRename(), index, timeMs);
        case SET_REPLICAS -> tree.setReplicas(command.getSetReplicas());
        case REGISTER_NODE -> tree.registerNode(command.getRegisterNode());
        case FORGET_FREED -> tree.forgetFreed(command.getForgetFreed());
        case CONDEMN_ORPHANS -> tree.condemnOrphans(command.getCondemnOrphans());
        case SET_MEMBERSHIP -> tree.setMembership(command.getSetMembership());
        case BATCH ->
            // The log adapter applies a batch's commands one by one, each at an index of its own.
            throw new MetaFailure(ErrorCode.INVALID_ARGUMENT, "a batch is not one command");
        case READ ->
            // The log adapter answers a read from the log with query(): it changes nothing.
            throw new MetaFailure(ErrorCode.INVALID_ARGUMENT, "a read is not a command");
        case OP_NOT_SET ->
            throw new MetaFailure(ErrorCode.INVALID_ARGUMENT, "the command has no operation");
      };
    } catch (MetaFailure failure) {
      return failure.toResult();
    }
  }

  /**
   * The id that makes a command exactly-once: the command's own, or else the one inside its
   * request, so that a proposer that fills in only one of them is still protected. Null if neither
   * names a client.
   */
  private static RequestId requestId(MetaCommand command) {
    if (!command.getRequestId().getClientId().isEmpty()) {
      return command.getRequestId();
    }
    RequestId inner =
        switch (command.getOpCase()) {
          case MKDIR -> command.getMkdir().getRequestId();
          case COMMIT -> command.getCommit().getRequestId();
          case DELETE -> command.getDelete().getRequestId();
          case RENAME -> command.getRename().getRequestId();
          default -> null;
        };
    return inner == null || inner.getClientId().isEmpty() ? null : inner;
  }

  private static MetaQueryResult failedQuery(ErrorCode code, String message) {
    return MetaQueryResult.newBuilder()
        .setStatus(Status.newBuilder().setCode(code).setMessage(message))
        .build();
  }
}
