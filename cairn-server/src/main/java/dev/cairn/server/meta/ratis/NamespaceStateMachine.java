package dev.cairn.server.meta.ratis;

import com.google.protobuf.MessageLite;
import dev.cairn.meta.Namespace;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.MetaBatch;
import dev.cairn.proto.MetaBatchResult;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaQuery;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.Status;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteOutput;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds committed Raft entries to the {@link Namespace}, answers queries from it, and snapshots it.
 * Entries and results are Cairn's own protobuf messages carried as bytes, so Ratis's shaded
 * protobuf never meets Cairn's; within one process, queries and results pass as the messages
 * themselves ({@link Local}).
 */
final class NamespaceStateMachine extends BaseStateMachine {
  private static final Logger log = LoggerFactory.getLogger(NamespaceStateMachine.class);

  /** The most commands one log entry may carry (see {@link MetaBatch}). */
  static final int MAX_BATCH = 1024;

  private static final String TMP_SUFFIX = ".tmp";
  /** The wait after a snapshot that could not be written before the next try. */
  private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);
  // A snapshot reaches the disk in forced steps of 1 MiB, resting 3 times as long as each force
  // took, so that the Raft logs' syncs on the same disk get through meanwhile (see
  // SyncingOutputStream for the figures).
  private static final long SNAPSHOT_SYNC_STEP = 1L << 20;
  private static final int SNAPSHOT_REST_FACTOR = 3;

  /**
   * Entries applied since the newest snapshot past which a clean stop writes one. A restarted node
   * replays the log since its newest snapshot, and a new leader serves only once it has applied
   * every entry up to its first of the new term: 3 local nodes restarted with 10,077 entries in
   * their logs had a ready leader 2.6-3.2 s after its election, and 0.15-0.26 s after a clean stop
   * had written this snapshot.
   */
  static final long STOP_SNAPSHOT_MIN_ENTRIES = 100;

  /**
   * Past this many times the entry threshold a snapshot is taken however small the log: a
   * restart replays the log since the last snapshot, and Ratis keeps a record of every entry of
   * its log in memory.
   */
  static final long ENTRY_CAP_FACTOR = 10;

  private final Namespace namespace;
  /** Ratis asks for a snapshot once this many entries have been applied since the last one. */
  private final long entryThreshold;
  /** This node's stretch of the snapshot schedule, 1 to 2 (see {@link #worthASnapshot}). */
  private final double stretch;
  /** The bytes of commands in the entries applied since this node started; applying thread. */
  private long appliedLogBytes;
  /** {@link #appliedLogBytes} when the newest snapshot was copied or loaded. */
  private volatile long appliedLogBytesAtSnapshot;
  /** The size of the newest snapshot on disk, 0 if there is none; set by either thread. */
  private volatile long snapshotBytes;
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage() {
    // Ratis calls this after every call of takeSnapshot, and it lists the snapshot directory.
    // Those calls come after every applied batch of entries for as long as a snapshot is being
    // written or is not yet worth writing, which past the first 20,000 entries is most of the
    // time; only a snapshot written or installed can make old ones to delete.
    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
      long changes = snapshotChanges.get();
      if (changes != cleanedAsOf) {
        super.cleanupOldSnapshots(policy);
        cleanedAsOf = changes;
      }
    }
  };
  /** {@link #snapshotChanges} as of the last clean-up of old snapshots. */
  private volatile long cleanedAsOf = -1;
  private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "cairn-snapshot-writer");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean writing = new AtomicBoolean();
  /** The index of the newest snapshot written; set by the writer. */
  private volatile long written = -1;
  /** The index of the newest snapshot Ratis was told of, or loaded; on the applying thread only. */
  private long reported = -1;
  private volatile long retryAfter = System.nanoTime();
  // Ratis asks for the latest snapshot on every append a follower takes and at several steps of
  // the leader's; its storage remembers a snapshot it has found but, while there is none, lists
  // the directory again at each call: about two listings per log entry on every node of a young
  // cluster. So a listing that found none is remembered until a snapshot may have appeared: one
  // written here, or one the leader installed (pause, reinitialize). Each such event counts one
  // change; a listing that found nothing notes the count it began under.
  private final AtomicLong snapshotChanges = new AtomicLong();
  private volatile long noSnapshotAsOf = -1;

  /**
   * @param stretch this node's stretch of the snapshot schedule, from 1 to below 2: each voter
   *     gets a different one (see {@link RaftMeta#snapshotStretch}), so that they write their
   *     snapshots at different times
   */
  NamespaceStateMachine(Namespace namespace, long entryThreshold, double stretch) {
    if (!(stretch >= 1 && stretch < 2)) {
      throw new IllegalArgumentException("snapshot stretch " + stretch + " is not in [1, 2)");
    }
    this.namespace = namespace;
    this.entryThreshold = entryThreshold;
    this.stretch = stretch;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    super.initialize(server, groupId, raftStorage);
    // RUNNING is what lets Ratis pause the state machine later to install a leader's snapshot.
    getLifeCycle().startAndTransition(() -> {
      storage.init(raftStorage);
      deletePartialSnapshots(raftStorage.getStorageDir().getStateMachineDir());
      loadSnapshot(storage.getLatestSnapshot());
    });
  }

  /** What runs when this node learns of a new leader or becomes a ready one; see RaftMeta. */
  private volatile Runnable onLeaderChange = () -> {};

  void onLeaderChange(Runnable listener) {
    onLeaderChange = listener;
  }

  /** Ratis calls this on its own thread when this node learns of a new leader. */
  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    onLeaderChange.run();
  }

  /** Ratis calls this when this node, as leader, has committed its first entry of the term. */
  @Override
  public void notifyLeaderReady() {
    onLeaderChange.run();
  }

  /** Ratis pauses the state machine before it installs a snapshot and reloads it. */
  @Override
  public void pause() {
    forgetSnapshotLookup();
    if (getLifeCycleState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  @Override
  public void reinitialize() throws IOException {
    // Called, paused, after the leader installed a snapshot on this follower: load it and run on.
    forgetSnapshotLookup();
    loadSnapshot(storage.loadLatestSnapshot());
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  private void loadSnapshot(SingleFileSnapshotInfo snapshot) throws IOException {
    if (snapshot == null) {
      return;
    }
    File file = snapshot.getFile().getPath().toFile();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file.toPath()), 1 << 16)) {
      namespace.readSnapshot(in);
    }
    setLastAppliedTermIndex(snapshot.getTermIndex());
    snapshotBytes = file.length();
    appliedLogBytesAtSnapshot = appliedLogBytes;
    // Ratis counts its next snapshot from here; one written before this load (a follower that was
    // sent the leader's newer snapshot) must not be reported as if it were newer.
    reported = Math.max(reported, snapshot.getIndex());
    log.info("loaded namespace snapshot {} at {}", file.getName(), snapshot.getTermIndex());
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  /**
   * The newest snapshot on disk, or null; without listing the directory again when the last
   * listing found none and no snapshot has been written or installed since. Between a leader's
   * snapshot landing on disk and {@link #reinitialize} this may still answer null, as Ratis's own
   * storage keeps answering the older snapshot it knew: Ratis tracks an installed snapshot itself
   * until the state machine has loaded it.
   */
  @Override
  public SingleFileSnapshotInfo getLatestSnapshot() {
    long changes = snapshotChanges.get();
    if (noSnapshotAsOf == changes) {
      return null;
    }
    SingleFileSnapshotInfo latest = storage.getLatestSnapshot();
    if (latest == null) {
      // A snapshot that appeared during the listing has counted a change already: the next call
      // lists again.
      noSnapshotAsOf = changes;
    }
    return latest;
  }

  private void forgetSnapshotLookup() {
    snapshotChanges.incrementAndGet();
  }

  /**
   * Ratis calls this on the thread that applies entries, once enough entries have been applied
   * since the last snapshot, and again after each further entry until it is answered with an
   * index. A snapshot is taken only when it is {@linkplain #worthASnapshot worth writing}.
   * Writing it there would stop every write and every linearizable read for as long as it takes
   * (about 6 s for 900 MB of inline files, measured), so only the copy of the state is made here
   * ({@link Namespace#freeze}); a thread of its own writes it, and a later call answers with its
   * index once it is durable. Until then the call answers -1: no new snapshot, so Ratis keeps the
   * log. One snapshot is written at a time.
   */
  @Override
  public long takeSnapshot() {
    long done = written;
    TermIndex last = getLastAppliedTermIndex();
    if (done > reported && last != null && done <= last.getIndex()) {
      reported = done;
      return done;
    }
    if (last == null || last.getIndex() <= reported || writing.get()
        || System.nanoTime() < retryAfter
        || !worthASnapshot(appliedLogBytes - appliedLogBytesAtSnapshot, snapshotBytes,
            last.getIndex() - Math.max(reported, 0), entryThreshold, stretch)) {
      return -1;
    }
    long frozenAt = System.nanoTime();
    Namespace.Frozen state = namespace.freeze();
    long copyMs = (System.nanoTime() - frozenAt) / 1_000_000;
    long logBytesAtCopy = appliedLogBytes;
    writing.set(true);
    writer.execute(() -> {
      try {
        long started = System.nanoTime();
        long bytes = writeSnapshot(state, last, SNAPSHOT_REST_FACTOR);
        snapshotBytes = bytes;
        appliedLogBytesAtSnapshot = logBytesAtCopy;
        written = Math.max(written, last.getIndex());
        log.info("wrote namespace snapshot at {}: {} MB, copied in {} ms, written in {} ms", last,
            bytes / 1_000_000, copyMs, (System.nanoTime() - started) / 1_000_000);
      } catch (IOException | RuntimeException e) {
        if (writer.isShutdown()) {
          log.info("stopped while writing the namespace snapshot at {}", last);
          return;
        }
        retryAfter = System.nanoTime() + RETRY_NANOS;
        log.error("could not write the namespace snapshot at {}; the log is kept, and the next "
            + "try comes in {} s", last, RETRY_NANOS / 1_000_000_000, e);
      } finally {
        writing.set(false);
      }
    });
    return -1;
  }

  /**
   * Whether a snapshot is worth writing now, Ratis having counted enough entries since the last:
   * when the commands logged since it hold at least as many bytes as it took on disk, or when
   * {@link #ENTRY_CAP_FACTOR} times the threshold's entries have gone by. The first snapshot (none
   * on disk) is worth it once the threshold's entries have gone by. A snapshot writes the whole
   * namespace, inline files and all, so one every fixed number of entries costs more and more as
   * the namespace grows; tied to the size of the log it replaces, the snapshots of a growing
   * namespace write about as many bytes as its log did.
   *
   * <p>Each bound is multiplied by the node's {@code stretch}. The voters apply the same entries,
   * so with the same bounds they would all start their snapshots at the same index and write them
   * at once, each slowing its own log's syncs; a commit then waits on two busy nodes. With
   * stretches of 1, 4/3 and 5/3, the second node starts a third of a log later than the first,
   * and their schedules drift further apart from there.
   */
  static boolean worthASnapshot(long logBytesSince, long lastSnapshotBytes, long entriesSince,
      long entryThreshold, double stretch) {
    if (entriesSince >= entryThreshold * ENTRY_CAP_FACTOR * stretch) {
      return true;
    }
    return entriesSince >= entryThreshold * stretch && logBytesSince >= lastSnapshotBytes * stretch;
  }

  /**
   * Writes the snapshot and answers its size in bytes; after each forced step the writer rests
   * {@code restFactor} times as long as the force took.
   */
  private long writeSnapshot(Namespace.Frozen state, TermIndex last, int restFactor)
      throws IOException {
    File target = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    File tmp = new File(target.getParentFile(), target.getName() + TMP_SUFFIX);
    MessageDigest md5 = MD5Hash.getDigester();
    // Written aside, fsynced, then renamed: Ratis loads the newest snapshot file it finds, so a
    // torn file must never carry a snapshot's name. The digest is taken on the way to the disk
    // instead of by reading the file back.
    try (FileChannel ch = FileChannel.open(tmp.toPath(), StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        OutputStream out = new BufferedOutputStream(new DigestOutputStream(
            new SyncingOutputStream(ch, SNAPSHOT_SYNC_STEP, restFactor), md5), 1 << 16)) {
      state.writeTo(out);
      out.flush();
      ch.force(true);
    }
    Files.move(tmp.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE);
    MD5Hash digest = new MD5Hash(md5.digest());
    MD5FileUtil.saveMD5File(target, digest);
    // The rename must be durable before Ratis, told of the snapshot, deletes the log behind it.
    try (FileChannel dir = FileChannel.open(target.getParentFile().toPath(),
        StandardOpenOption.READ)) {
      dir.force(true);
    }
    storage.updateLatestSnapshot(new SingleFileSnapshotInfo(
        new org.apache.ratis.server.storage.FileInfo(target.toPath(), digest), last));
    forgetSnapshotLookup();
    return target.length();
  }

  /** Deletes the partial files of snapshots whose writing a stop or a crash cut short. */
  private void deletePartialSnapshots(File dir) throws IOException {
    File[] partial = dir.listFiles((d, name) -> name.startsWith("snapshot.")
        && name.endsWith(TMP_SUFFIX));
    if (partial == null) {
      return;
    }
    for (File f : partial) {
      Files.deleteIfExists(f.toPath());
      log.info("deleted {}, a snapshot whose writing was cut short", f.getName());
    }
  }

  @Override
  public void close() throws IOException {
    // A snapshot being written is given up: its partial file is deleted at the next start, and
    // the log it would have replaced is still there.
    writer.shutdownNow();
    try {
      if (!writer.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("the namespace snapshot being written did not stop within 10 s");
      }
      snapshotOnStop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    super.close();
  }

  /** False once {@link #skipSnapshotOnStop} was called: the node is to stop as a crash would. */
  private volatile boolean snapshotOnStop = true;

  /** The next stop writes no snapshot, as a crash would not (for tests that kill a node). */
  void skipSnapshotOnStop() {
    snapshotOnStop = false;
  }

  /**
   * On a clean stop, writes a snapshot of everything applied if more than {@link
   * #STOP_SNAPSHOT_MIN_ENTRIES} entries were applied since the newest one on disk, so that the
   * next start loads it instead of replaying those entries. Ratis closes the state machine on the
   * thread that applies entries, once it has applied every committed one, so the state is still.
   * The write does not rest between its steps: the node takes no more writes. A node that crashes
   * writes nothing and replays its log at the next start, as before; one that fails here says so
   * and does the same.
   */
  private void snapshotOnStop() {
    if (!snapshotOnStop) {
      return;
    }
    TermIndex last = getLastAppliedTermIndex();
    long newestOnDisk = Math.max(Math.max(reported, written), 0);
    if (last == null || last.getIndex() - newestOnDisk < STOP_SNAPSHOT_MIN_ENTRIES
        || getLifeCycleState() != LifeCycle.State.RUNNING) {
      return;
    }
    try {
      long started = System.nanoTime();
      long bytes = writeSnapshot(namespace.freeze(), last, 0);
      log.info("wrote namespace snapshot at {} on stop ({} entries since the last): {} MB in {} ms",
          last, last.getIndex() - newestOnDisk, bytes / 1_000_000,
          (System.nanoTime() - started) / 1_000_000);
    } catch (IOException | RuntimeException e) {
      log.warn("could not write a namespace snapshot on stop ({}); the next start replays the log",
          e.toString());
    }
  }

  /**
   * The index the namespace applies the {@code position}-th command of log entry {@code logIndex}
   * at: versions and file ids come from it, so it must grow with every command and never repeat,
   * and a batch gives each of its commands one of its own. Every voter computes the same.
   */
  static long namespaceIndex(long logIndex, int position) {
    if (position < 0 || position >= MAX_BATCH) {
      throw new IllegalArgumentException("position " + position + " in a batch of at most "
          + MAX_BATCH);
    }
    return Math.multiplyExact(logIndex, MAX_BATCH) + position;
  }

  private MetaBatchResult applyBatch(MetaBatch batch, long index) {
    MetaBatchResult.Builder results = MetaBatchResult.newBuilder();
    if (batch.getCommandsCount() > MAX_BATCH) {
      // Only a leader of another version could have built it; applying none of it keeps every
      // voter equal, and the proposer, finding no results, fails every command as unavailable.
      log.error("log entry {} holds a batch of {} commands, more than {}; skipped", index,
          batch.getCommandsCount(), MAX_BATCH);
      return results.build();
    }
    for (int i = 0; i < batch.getCommandsCount(); i++) {
      results.addResults(namespace.apply(batch.getCommands(i), namespaceIndex(index, i)));
    }
    return results.build();
  }

  /**
   * The command in a log entry, parsed where the entry's bytes lie: the bytes of inline files in
   * it are views of the entry until the namespace copies them out, which it does for every file it
   * keeps, so that no file pins a whole entry. Parsing the entry as a read-only buffer, as before,
   * copied the whole entry and then each file's bytes again.
   */
  static MetaCommand parseCommand(ByteString logData) throws IOException {
    WholeArray whole = new WholeArray();
    UnsafeByteOperations.unsafeWriteTo(logData, whole);
    com.google.protobuf.CodedInputStream in = whole.length == logData.size()
        ? com.google.protobuf.UnsafeByteOperations.unsafeWrap(
            whole.bytes, whole.offset, whole.length).newCodedInput()
        : com.google.protobuf.CodedInputStream.newInstance(logData.asReadOnlyByteBuffer());
    in.enableAliasing(true);
    return MetaCommand.parseFrom(in);
  }

  /**
   * The array behind a ByteString that is one slice of one, as the string hands it over; any other
   * shape (a rope, a buffer) leaves {@code length} at -1.
   */
  private static final class WholeArray extends ByteOutput {
    byte[] bytes;
    int offset;
    int length = -1;
    private boolean written;

    @Override
    public void writeLazy(byte[] value, int offset, int length) {
      if (written) {
        this.length = -1;
      } else {
        this.bytes = value;
        this.offset = offset;
        this.length = length;
      }
      written = true;
    }

    @Override
    public void write(byte[] value, int offset, int length) {
      notOneArray();
    }

    @Override
    public void write(byte value) {
      notOneArray();
    }

    @Override
    public void write(ByteBuffer value) {
      notOneArray();
    }

    @Override
    public void writeLazy(ByteBuffer value) {
      notOneArray();
    }

    private void notOneArray() {
      length = -1;
      written = true;
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    appliedLogBytes += entry.getStateMachineLogEntry().getLogData().size();
    MetaResult result;
    try {
      MetaCommand command = parseCommand(entry.getStateMachineLogEntry().getLogData());
      // A read from the log is answered on every voter alike: a client that retries it at a new
      // leader may be given the answer this node cached for it as a follower.
      MessageLite reply = command.hasBatch()
          ? applyBatch(command.getBatch(), index)
          : command.hasRead()
              ? namespace.query(command.getRead())
              : namespace.apply(command, namespaceIndex(index, 0));
      updateLastAppliedTermIndex(entry.getTerm(), index);
      return CompletableFuture.completedFuture(new Local(reply));
    } catch (IOException e) {
      // Every entry was built by a node from a parsed request, so an unparsable one means a
      // damaged log or a version mismatch; applying nothing keeps all voters equal.
      log.error("log entry {} is not a namespace command; skipped", index, e);
      result = MetaResult.newBuilder()
          .setStatus(Status.newBuilder().setCode(ErrorCode.INTERNAL)
              .setMessage("log entry " + index + " is not a namespace command"))
          .build();
    }
    updateLastAppliedTermIndex(entry.getTerm(), index);
    return CompletableFuture.completedFuture(new Local(result));
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    try {
      MetaQuery q = request instanceof Local local && local.value() instanceof MetaQuery query
          ? query
          : MetaQuery.parseFrom(request.getContent().toByteArray());
      return CompletableFuture.completedFuture(new Local(namespace.query(q)));
    } catch (IOException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * A Cairn protobuf message handed to or answered by Ratis within this process: its bytes are
   * made only if Ratis asks for them (to send it to another node, or to put it in the log). A
   * query on the leader and the answers the leader's own callers wait for are never serialized
   * and parsed back, and a follower never serializes the results of what it applies, which no
   * one reads there.
   */
  static final class Local implements Message {
    private final MessageLite value;
    // Made at most once in practice; two threads that race make the same bytes.
    private volatile ByteString bytes;

    Local(MessageLite value) {
      this.value = value;
    }

    MessageLite value() {
      return value;
    }

    @Override
    public ByteString getContent() {
      ByteString content = bytes;
      if (content == null) {
        content = UnsafeByteOperations.unsafeWrap(value.toByteArray());
        bytes = content;
      }
      return content;
    }
  }

  static Message message(byte[] bytes) {
    ByteString content = UnsafeByteOperations.unsafeWrap(bytes);
    return Message.valueOf(content);
  }
}
