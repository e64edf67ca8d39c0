package dev.cairn.meta;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cairn.proto.Membership;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.NodeAddress;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The binary form of a namespace snapshot. Big-endian, written with {@link DataOutputStream}:
 *
 * <pre>
 * int    magic 0x43524E53 ("CRNS"), int format version (2)
 * nodes: int count, then per node (node table order):
 *          string id, string address, int membership (the Membership enum's number)
 * root:  long version, long mtimeMs, int childCount
 * tree:  the root's descendants in preorder, children in name order ({@link String#compareTo}'s
 *        order of the names, which is UTF-16 code unit order); each entry is
 *          byte kind (1 directory, 2 file), string name, long fileId, long version, long mtimeMs,
 *          directory: int childCount
 *          file:      int replication, int pieceCount, then per piece
 *                       byte 1 (inline): int length, bytes
 *                       byte 2 (block):  long id, long length, int replicaCount, string nodeId...
 * freed: int count, then per freed block (oldest first):
 *          long id, long length, int replicaCount, string nodeId...
 * requests: int clientCount, then per client (least recently used first):
 *          string clientId, int resultCount, then per result (oldest first):
 *          long seq, int length, a serialized MetaResult
 * int    end magic 0x454E4421 ("END!")
 * int    CRC32C of every byte above
 * </pre>
 *
 * <p>Strings are an int byte count and UTF-8 bytes. The block index, the replication wanted per
 * block and the counters are not written: they follow from the files and are rebuilt on read, so a
 * snapshot cannot contradict itself. The format has no hash-ordered part, so equal states give
 * equal bytes. Stateless and thread-safe; the caller holds whatever lock the state needs while
 * {@link #freeze} runs, and none while a {@link Frozen} is written.
 *
 * <p>History: format 2 added the membership of each node and the freed section. Format 1 is not
 * read; a version 1 snapshot fails with a message naming both versions.
 */
final class SnapshotFormat {

  static final int MAGIC = 0x43524E53;
  static final int FORMAT_VERSION = 2;
  static final int END_MAGIC = 0x454E4421;

  private static final byte DIRECTORY = 1;
  private static final byte FILE = 2;
  private static final byte INLINE = 1;
  private static final byte BLOCK = 2;

  /**
   * A bound on any one string or byte array, so a corrupt length fails instead of exhausting
   * memory.
   */
  private static final int MAX_FIELD_BYTES = 64 << 20;

  private static final int BUFFER_BYTES = 64 << 10;

  private SnapshotFormat() {}

  /** The state read back from a snapshot. */
  record Loaded(NamespaceTree tree, RequestTable requests) {}

  /** Writes the state to {@code out}, flushing but not closing it. */
  static void write(NamespaceTree tree, RequestTable requests, OutputStream out)
      throws IOException {
    freeze(tree, requests).writeTo(out);
  }

  /**
   * Captures what a snapshot of the state holds, to write later: see {@link Frozen}. The caller
   * keeps commands out (holds the namespace's lock) while this runs, and only while this runs.
   */
  static Frozen freeze(NamespaceTree tree, RequestTable requests) {
    List<Object> entries = new ArrayList<>(
        (int) Math.min(Integer.MAX_VALUE - 8, tree.fileCount + tree.directoryCount));
    // Preorder with an explicit stack: renames can build trees deeper than the call stack.
    ArrayDeque<Iterator<Inode>> pending = new ArrayDeque<>();
    pending.push(tree.root.children().iterator());
    while (!pending.isEmpty()) {
      Iterator<Inode> siblings = pending.peek();
      if (!siblings.hasNext()) {
        pending.pop();
        continue;
      }
      Inode node = siblings.next();
      if (node instanceof DirectoryInode dir) {
        entries.add(new FrozenDirectory(
            dir.name, dir.fileId, dir.version, dir.mtimeMs, dir.childCount()));
        if (!dir.isEmpty()) {
          pending.push(dir.children().iterator());
        }
      } else {
        FileInode file = (FileInode) node;
        Object[] pieces = file.pieces().toArray();
        for (int i = 0; i < pieces.length; i++) {
          if (pieces[i] instanceof BlockInfo block) {
            // The replica list is the one field of a block that changes in place.
            pieces[i] = new FrozenBlock(block.id, block.length(), block.replicas);
          }
        }
        entries.add(new FrozenFile(file.name, file.fileId, file.version, file.mtimeMs,
            file.replication, pieces));
      }
    }

    List<FrozenClient> clients = new ArrayList<>(requests.clientCount());
    try {
      requests.forEach(new RequestTable.Visitor() {
        private FrozenClient client;
        private int filled;

        @Override
        public void client(String clientId, int resultCount) {
          client = new FrozenClient(clientId, new long[resultCount], new MetaResult[resultCount]);
          filled = 0;
          clients.add(client);
        }

        @Override
        public void result(long seq, MetaResult result) {
          client.seqs()[filled] = seq;
          client.results()[filled] = result;
          filled++;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("copying into memory cannot fail", e);
    }
    return new Frozen(List.copyOf(tree.nodes.values()), tree.root.version, tree.root.mtimeMs,
        tree.root.childCount(), entries, List.copyOf(tree.freed.all()), clients);
  }

  /** A directory as a snapshot writes it. */
  private record FrozenDirectory(
      byte[] name, long fileId, long version, long mtimeMs, int childCount) {}

  /** A file as a snapshot writes it: its pieces are inline {@code byte[]}s and blocks. */
  private record FrozenFile(
      byte[] name, long fileId, long version, long mtimeMs, int replication, Object[] pieces) {}

  /** A block of a file as a snapshot writes it. */
  private record FrozenBlock(long id, long length, String[] replicas) {}

  /** One client's remembered results, oldest first. */
  private record FrozenClient(String clientId, long[] seqs, MetaResult[] results) {}

  /**
   * The content of a snapshot, copied between two commands so that it can be written while later
   * ones are applied. The entries are copies; names, inline bytes, replica arrays and results are
   * shared with the live state, which never writes into them. Copying costs tens of bytes per
   * entry and no I/O, where writing costs every inline byte and an fsync.
   */
  static final class Frozen implements Namespace.Frozen {
    private final List<NodeAddress> nodes;
    private final long rootVersion;
    private final long rootMtimeMs;
    private final int rootChildren;
    private final List<Object> entries;
    private final List<FreedBlocks.Freed> freed;
    private final List<FrozenClient> clients;

    private Frozen(List<NodeAddress> nodes, long rootVersion, long rootMtimeMs, int rootChildren,
        List<Object> entries, List<FreedBlocks.Freed> freed, List<FrozenClient> clients) {
      this.nodes = nodes;
      this.rootVersion = rootVersion;
      this.rootMtimeMs = rootMtimeMs;
      this.rootChildren = rootChildren;
      this.entries = entries;
      this.freed = freed;
      this.clients = clients;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
      CRC32C crc = new CRC32C();
      // The buffer sits above the checksum, so the checksum sees large writes; flushing pushes
      // every byte through it before its value is read.
      DataOutputStream data =
          new DataOutputStream(
              new BufferedOutputStream(new CheckedOutputStream(out, crc), BUFFER_BYTES));
      data.writeInt(MAGIC);
      data.writeInt(FORMAT_VERSION);

      data.writeInt(nodes.size());
      for (NodeAddress node : nodes) {
        writeString(data, node.getId());
        writeString(data, node.getAddress());
        data.writeInt(node.getMembershipValue());
      }

      data.writeLong(rootVersion);
      data.writeLong(rootMtimeMs);
      data.writeInt(rootChildren);
      for (Object entry : entries) {
        writeEntry(data, entry);
      }

      data.writeInt(freed.size());
      for (FreedBlocks.Freed block : freed) {
        data.writeLong(block.id());
        data.writeLong(block.length());
        writeReplicas(data, block.replicas());
      }

      data.writeInt(clients.size());
      for (FrozenClient client : clients) {
        writeString(data, client.clientId());
        data.writeInt(client.seqs().length);
        for (int i = 0; i < client.seqs().length; i++) {
          data.writeLong(client.seqs()[i]);
          byte[] bytes = client.results()[i].toByteArray();
          data.writeInt(bytes.length);
          data.write(bytes);
        }
      }

      data.writeInt(END_MAGIC);
      data.flush();
      DataOutputStream trailer = new DataOutputStream(out);
      trailer.writeInt((int) crc.getValue());
      trailer.flush();
    }
  }

  /**
   * Reads a snapshot written by {@link #write}.
   *
   * @throws IOException if the stream ends early, fails its checksum, has another format version,
   *     or describes an impossible state (a block in two files, a duplicate name...)
   */
  static Loaded read(
      InputStream in,
      int defaultReplication,
      int maxInlineBytesPerFile,
      int resultsPerClient,
      int maxClients,
      int maxFreedBlocks)
      throws IOException {
    CRC32C crc = new CRC32C();
    // The buffer sits below the checksum, so the checksum sees exactly the bytes parsed and not the
    // trailer the buffer reads ahead.
    BufferedInputStream buffered = new BufferedInputStream(in, BUFFER_BYTES);
    DataInputStream data = new DataInputStream(new CheckedInputStream(buffered, crc));
    int magic = data.readInt();
    if (magic != MAGIC) {
      throw new IOException(String.format("not a Cairn namespace snapshot (magic %08x)", magic));
    }
    int version = data.readInt();
    if (version != FORMAT_VERSION) {
      throw new IOException(
          "namespace snapshot format "
              + version
              + " is not supported (this build reads "
              + FORMAT_VERSION
              + ")");
    }
    NamespaceTree tree =
        new NamespaceTree(defaultReplication, maxInlineBytesPerFile, maxFreedBlocks);

    int nodeCount = readCount(data, "nodes");
    for (int i = 0; i < nodeCount; i++) {
      String id = readString(data);
      String address = readString(data);
      int membershipValue = data.readInt();
      Membership membership = Membership.forNumber(membershipValue);
      if (membership == null) {
        throw corrupt("node " + id + " has unknown membership " + membershipValue);
      }
      NodeAddress node =
          NodeAddress.newBuilder().setId(id).setAddress(address).setMembership(membership).build();
      if (tree.nodes.put(id, node) != null) {
        throw corrupt("node " + id + " appears twice");
      }
    }

    tree.root.version = data.readLong();
    tree.root.mtimeMs = data.readLong();
    readTree(data, tree, readCount(data, "root entries"));

    // After the tree, so that a freed block that is also in a file is caught. A list longer than
    // this namespace's limit keeps its newest blocks, as applying the same commands would have.
    int freedCount = readCount(data, "freed blocks");
    for (int i = 0; i < freedCount; i++) {
      long id = data.readLong();
      long length = data.readLong();
      List<String> replicas = readReplicas(data);
      if (length < 0) {
        throw corrupt("freed block " + id + " has negative length " + length);
      }
      if (tree.blocks.containsKey(id)) {
        throw corrupt("block " + id + " is both freed and in a file");
      }
      if (tree.freed.contains(id)) {
        throw corrupt("freed block " + id + " appears twice");
      }
      tree.freed.add(id, length, tree.canonicalNodeIds(replicas).toArray(new String[0]));
    }

    RequestTable requests = new RequestTable(resultsPerClient, maxClients);
    int clientCount = readCount(data, "clients");
    for (int c = 0; c < clientCount; c++) {
      String clientId = readString(data);
      int resultCount = readCount(data, "results");
      for (int r = 0; r < resultCount; r++) {
        long seq = data.readLong();
        byte[] bytes = readBytes(data);
        try {
          requests.remember(clientId, seq, MetaResult.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
          throw new IOException("corrupt namespace snapshot: bad result of " + clientId, e);
        }
      }
    }

    if (data.readInt() != END_MAGIC) {
      throw corrupt("the end marker is missing");
    }
    int expectedCrc = (int) crc.getValue();
    int storedCrc = new DataInputStream(buffered).readInt();
    if (storedCrc != expectedCrc) {
      throw corrupt(
          String.format("checksum is %08x but the content gives %08x", storedCrc, expectedCrc));
    }
    try {
      tree.checkInvariants();
    } catch (IllegalStateException e) {
      throw new IOException("corrupt namespace snapshot: " + e.getMessage(), e);
    }
    return new Loaded(tree, requests);
  }

  /** What every entry starts with. */
  private static void writeHeader(DataOutputStream data, byte kind, byte[] name, long fileId,
      long version, long mtimeMs) throws IOException {
    data.writeByte(kind);
    // The name's bytes are its UTF-8 form already, as the format wants.
    writeBytes(data, name);
    data.writeLong(fileId);
    data.writeLong(version);
    data.writeLong(mtimeMs);
  }

  private static void writeEntry(DataOutputStream data, Object entry) throws IOException {
    switch (entry) {
      case FrozenDirectory dir -> {
        writeHeader(data, DIRECTORY, dir.name(), dir.fileId(), dir.version(), dir.mtimeMs());
        data.writeInt(dir.childCount());
      }
      case FrozenFile file -> {
        writeHeader(data, FILE, file.name(), file.fileId(), file.version(), file.mtimeMs());
        data.writeInt(file.replication());
        data.writeInt(file.pieces().length);
        for (Object piece : file.pieces()) {
          switch (piece) {
            case byte[] inline -> {
              data.writeByte(INLINE);
              writeBytes(data, inline);
            }
            case FrozenBlock block -> {
              data.writeByte(BLOCK);
              data.writeLong(block.id());
              data.writeLong(block.length());
              writeReplicas(data, block.replicas());
            }
            default ->
                throw new IllegalStateException("not a piece of a file: " + piece.getClass());
          }
        }
      }
      default -> throw new IllegalStateException("not an entry: " + entry.getClass());
    }
  }

  /** Reads the root's descendants, rebuilding the counters and the block index as it goes. */
  private static void readTree(DataInputStream data, NamespaceTree tree, int rootChildren)
      throws IOException {
    // One frame per directory still receiving entries: preorder means the deepest one is next.
    final class Frame {
      final DirectoryInode dir;
      int remaining;

      Frame(DirectoryInode dir, int remaining) {
        this.dir = dir;
        this.remaining = remaining;
      }
    }
    ArrayDeque<Frame> pending = new ArrayDeque<>();
    pending.push(new Frame(tree.root, rootChildren));
    while (!pending.isEmpty()) {
      Frame frame = pending.peek();
      if (frame.remaining == 0) {
        pending.pop();
        continue;
      }
      frame.remaining--;
      byte kind = data.readByte();
      String text = readString(data);
      String problem = PathNames.validateName(text);
      if (problem != null) {
        throw corrupt(problem);
      }
      // Encoded again rather than kept as read, so that malformed UTF-8 cannot reach the tree.
      byte[] name = NameBytes.encode(text);
      if (frame.dir.child(name) != null) {
        throw corrupt("name " + text + " appears twice in " + frame.dir.path());
      }
      long fileId = data.readLong();
      long version = data.readLong();
      long mtimeMs = data.readLong();
      if (kind == DIRECTORY) {
        DirectoryInode dir = new DirectoryInode(name, fileId, version, mtimeMs);
        frame.dir.link(dir);
        tree.directoryCount++;
        pending.push(new Frame(dir, readCount(data, "entries")));
      } else if (kind == FILE) {
        FileInode file = new FileInode(name, fileId, version, mtimeMs, data.readInt());
        readPieces(data, tree, file);
        frame.dir.link(file);
        tree.fileCount++;
        tree.totalBytes += file.size();
      } else {
        throw corrupt("unknown entry kind " + kind);
      }
    }
  }

  private static void readPieces(DataInputStream data, NamespaceTree tree, FileInode file)
      throws IOException {
    int count = readCount(data, "pieces");
    List<Object> pieces = new ArrayList<>(Math.min(count, 1024));
    long size = 0;
    for (int i = 0; i < count; i++) {
      byte kind = data.readByte();
      Object piece;
      if (kind == INLINE) {
        piece = readBytes(data);
      } else if (kind == BLOCK) {
        long id = data.readLong();
        long length = data.readLong();
        List<String> replicas = readReplicas(data);
        BlockInfo block = new BlockInfo(id, length, file, tree.canonicalNodeIds(replicas));
        if (tree.blocks.putIfAbsent(id, block) != null) {
          throw corrupt("block " + id + " is referenced twice");
        }
        piece = block;
      } else {
        throw corrupt("unknown piece kind " + kind);
      }
      long length = FileInode.length(piece);
      if (length < 0) {
        throw corrupt("negative length in " + file.name());
      }
      try {
        size = Math.addExact(size, length);
      } catch (ArithmeticException e) {
        throw corrupt("the size of " + file.name() + " overflows");
      }
      pieces.add(piece);
    }
    file.setPieces(pieces);
  }

  private static void writeReplicas(DataOutputStream data, String[] replicas) throws IOException {
    data.writeInt(replicas.length);
    for (String replica : replicas) {
      writeString(data, replica);
    }
  }

  private static List<String> readReplicas(DataInputStream data) throws IOException {
    int count = readCount(data, "replicas");
    List<String> replicas = new ArrayList<>(Math.min(count, 16));
    for (int r = 0; r < count; r++) {
      replicas.add(readString(data));
    }
    return replicas;
  }

  private static void writeString(DataOutputStream data, String value) throws IOException {
    writeBytes(data, value.getBytes(StandardCharsets.UTF_8));
  }

  private static void writeBytes(DataOutputStream data, byte[] bytes) throws IOException {
    data.writeInt(bytes.length);
    data.write(bytes);
  }

  private static String readString(DataInputStream data) throws IOException {
    return new String(readBytes(data), StandardCharsets.UTF_8);
  }

  private static byte[] readBytes(DataInputStream data) throws IOException {
    int length = data.readInt();
    if (length < 0 || length > MAX_FIELD_BYTES) {
      throw corrupt("a field claims " + length + " bytes");
    }
    byte[] bytes = new byte[length];
    data.readFully(bytes);
    return bytes;
  }

  private static int readCount(DataInputStream data, String what) throws IOException {
    int count = data.readInt();
    if (count < 0) {
      throw corrupt("negative count of " + what);
    }
    return count;
  }

  private static IOException corrupt(String detail) {
    return new IOException("corrupt namespace snapshot: " + detail);
  }
}
