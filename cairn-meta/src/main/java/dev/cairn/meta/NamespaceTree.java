package dev.cairn.meta;

import static dev.cairn.meta.PathNames.quote;

import com.google.protobuf.UnsafeByteOperations;
import dev.cairn.proto.BlockMap;
import dev.cairn.proto.BlockRef;
import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.CondemnOrphans;
import dev.cairn.proto.DeleteRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Extent;
import dev.cairn.proto.FileInfo;
import dev.cairn.proto.ForgetFreed;
import dev.cairn.proto.Membership;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.NamespaceSummary;
import dev.cairn.proto.NodeAddress;
import dev.cairn.proto.RegisterNode;
import dev.cairn.proto.RenameRequest;
import dev.cairn.proto.SetMembership;
import dev.cairn.proto.SetReplicas;
import dev.cairn.proto.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The namespace's data and the rules that change it: the directory tree, the block index, the list
 * of freed blocks and the node table. Not thread-safe: {@link MemoryNamespace} guards it with its
 * lock.
 *
 * <p>Every mutation first runs all its checks, throwing {@link MetaFailure} before anything is
 * touched, and only then changes the state, in steps that cannot fail. That is how a failed command
 * changes nothing.
 */
final class NamespaceTree {

  static final Status OK = Status.newBuilder().setCode(ErrorCode.OK).build();

  final int defaultReplication;
  final int maxInlineBytesPerFile;

  /** The root directory; it always exists, with file id 0. */
  final DirectoryInode root = new DirectoryInode(NameBytes.EMPTY, 0, 0, 0);

  /**
   * Every block referenced by a live file, by id. Sorted, so that the block map and snapshots come
   * out the same on every node.
   */
  final TreeMap<Long, BlockInfo> blocks = new TreeMap<>();

  /**
   * Blocks that left the index when their file was overwritten or deleted, until the server forgets
   * them. No id is both here and in {@link #blocks}.
   */
  final FreedBlocks freed;

  /**
   * The node table, in the order nodes first registered. Each value is the node's whole entry: id,
   * address and membership.
   */
  final LinkedHashMap<String, NodeAddress> nodes = new LinkedHashMap<>();

  long fileCount;

  /** Directories other than the root. */
  long directoryCount;

  /** The sum of all files' sizes. */
  long totalBytes;

  NamespaceTree(int defaultReplication, int maxInlineBytesPerFile, int maxFreedBlocks) {
    this.defaultReplication = defaultReplication;
    this.maxInlineBytesPerFile = maxInlineBytesPerFile;
    this.freed = new FreedBlocks(maxFreedBlocks);
  }

  // ------------------------------------------------------------------------------ mutations

  MetaResult mkdir(MkdirRequest request, long index, long timeMs) {
    String path = request.getPath();
    List<String> names = checkedPath(path);
    // Find how much of the path exists, and check all of it, before creating anything.
    DirectoryInode dir = root;
    int depth = 0;
    for (; depth < names.size(); depth++) {
      Inode child = dir.child(names.get(depth));
      if (child == null) {
        break;
      }
      if (!(child instanceof DirectoryInode childDir)) {
        if (depth == names.size() - 1) {
          throw new MetaFailure(
              ErrorCode.ALREADY_EXISTS,
              "cannot create directory " + quote(path) + ": a file exists at that path");
        }
        throw new MetaFailure(
            ErrorCode.NOT_A_DIRECTORY,
            "cannot create directory "
                + quote(path)
                + ": "
                + quote(prefix(names, depth + 1))
                + " is a file, not a directory");
      }
      dir = childDir;
    }
    if (depth == names.size()) {
      if (!request.getParents()) {
        throw new MetaFailure(
            ErrorCode.ALREADY_EXISTS, "directory " + quote(path) + " already exists");
      }
      return ok(info(dir, path, false));
    }
    if (depth < names.size() - 1 && !request.getParents()) {
      throw new MetaFailure(
          ErrorCode.NOT_FOUND,
          "cannot create directory "
              + quote(path)
              + ": "
              + quote(prefix(names, depth + 1))
              + " does not exist (create parents to make it)");
    }
    for (; depth < names.size(); depth++) {
      DirectoryInode created =
          new DirectoryInode(NameBytes.encode(names.get(depth)), index, index, timeMs);
      dir.link(created);
      dir.touch(index, timeMs);
      directoryCount++;
      dir = created;
    }
    return ok(info(dir, path, false));
  }

  MetaResult commit(CommitRequest request, long index, long timeMs) {
    return commit(request, index, timeMs, 0);
  }

  /**
   * As {@link #commit(CommitRequest, long, long)}, refusing new blocks stored more than {@code
   * uploadWindowMs} before {@code timeMs} (0: no limit): such a block may already have been
   * collected as unreferenced, and a file must never name a block that is gone.
   */
  MetaResult commit(CommitRequest request, long index, long timeMs, long uploadWindowMs) {
    String path = request.getPath();
    List<String> names = checkedPath(path);
    if (names.isEmpty()) {
      throw new MetaFailure(
          ErrorCode.IS_A_DIRECTORY, "cannot write " + quote(path) + ": it is a directory");
    }
    DirectoryInode parent = parentDirectory(path, names, () -> "cannot write " + quote(path));
    byte[] name = lastName(names);
    int slot = parent.slotOf(name);
    Inode found = slot >= 0 ? parent.childAt(slot) : null;
    if (found instanceof DirectoryInode) {
      // Creating names a path that must be free: any entry there, a directory too, is a clash.
      if (request.getMode() == CommitMode.CREATE_NEW) {
        throw new MetaFailure(ErrorCode.ALREADY_EXISTS,
            "cannot create " + quote(path) + ": a directory of that name exists");
      }
      throw new MetaFailure(
          ErrorCode.IS_A_DIRECTORY, "cannot write " + quote(path) + ": it is a directory");
    }
    FileInode existing = (FileInode) found;
    CommitMode mode = request.getMode();
    switch (mode) {
      case CREATE_NEW -> {
        if (existing != null) {
          throw new MetaFailure(
              ErrorCode.ALREADY_EXISTS, "cannot create " + quote(path) + ": it already exists");
        }
      }
      case APPEND -> {
        if (existing == null) {
          throw new MetaFailure(
              ErrorCode.NOT_FOUND, "cannot append to " + quote(path) + ": no such file");
        }
      }
      case OVERWRITE -> {}
      default ->
          throw new MetaFailure(
              ErrorCode.INVALID_ARGUMENT,
              "cannot write " + quote(path) + ": unknown commit mode " + request.getModeValue());
    }
    if (request.getHasExpectedVersion()) {
      checkExpectedVersion(path, existing, request.getExpectedVersion());
    }
    if (request.getReplication() < 0) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT,
          "cannot write "
              + quote(path)
              + ": replication "
              + request.getReplication()
              + " is negative");
    }
    boolean append = mode == CommitMode.APPEND;
    int replication =
        append
            ? existing.replication
            : request.getReplication() > 0 ? request.getReplication() : defaultReplication;
    // The inode the content goes to: the existing file, or a new one linked only once every check
    // has passed. New blocks must name it as their owner, so it is made before the checks.
    FileInode target =
        existing != null ? existing : new FileInode(name, index, index, timeMs, replication);

    List<Object> pieces = new ArrayList<>();
    long size = 0;
    long inlineBytes = 0;
    if (append) {
      pieces.addAll(existing.pieces());
      size = existing.size();
      inlineBytes = existing.inlineBytes();
    }
    Set<Long> requestBlockIds = new HashSet<>();
    List<BlockInfo> newBlocks = new ArrayList<>();
    for (int i = 0; i < request.getExtentsCount(); i++) {
      Extent extent = request.getExtents(i);
      Object piece;
      if (extent.hasBlock()) {
        BlockInfo block =
            checkedBlock(path, i, extent, target, append, requestBlockIds, timeMs, uploadWindowMs);
        if (!blocks.containsKey(block.id)) {
          newBlocks.add(block);
        }
        piece = block;
      } else if (extent.getData().isEmpty()) {
        // An empty inline extent adds nothing; keeping it would only cost memory.
        continue;
      } else {
        inlineBytes += extent.getData().size();
        // A copy, so that the namespace never pins the buffer of a whole log entry that the
        // request's bytes might be a view of; it is small, since the inline limit bounds it.
        piece = extent.getData().toByteArray();
      }
      try {
        size = Math.addExact(size, FileInode.length(piece));
      } catch (ArithmeticException e) {
        throw new MetaFailure(
            ErrorCode.INVALID_ARGUMENT,
            "cannot write " + quote(path) + ": the file's size would overflow 64 bits");
      }
      addMergingInline(pieces, piece);
    }
    if (inlineBytes > maxInlineBytesPerFile) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT,
          "cannot write "
              + quote(path)
              + ": it would hold "
              + inlineBytes
              + " inline bytes, over the limit of "
              + maxInlineBytesPerFile
              + " inline bytes per file; store larger content in blocks");
    }

    // Every check has passed: change the state.
    if (existing == null) {
      parent.linkAt(slot, target);
      parent.touch(index, timeMs);
      fileCount++;
    } else {
      if (!append) {
        // An overwrite frees the old blocks the new content does not reuse.
        for (Object old : existing.pieces()) {
          if (old instanceof BlockInfo block && !requestBlockIds.contains(block.id)) {
            free(block);
          }
        }
      }
      totalBytes -= existing.size();
    }
    for (BlockInfo block : newBlocks) {
      blocks.put(block.id, block);
    }
    target.setPieces(pieces);
    target.replication = replication;
    target.touch(index, timeMs);
    totalBytes += size;
    return ok(info(target, path, false));
  }

  MetaResult delete(DeleteRequest request, long index, long timeMs) {
    String path = request.getPath();
    List<String> names = checkedPath(path);
    if (names.isEmpty()) {
      throw new MetaFailure(ErrorCode.INVALID_ARGUMENT, "cannot delete the root directory");
    }
    DirectoryInode parent = directoryAt(names, names.size() - 1);
    int slot = parent == null ? -1 : parent.slotOf(lastName(names));
    if (slot < 0) {
      throw new MetaFailure(
          ErrorCode.NOT_FOUND, "cannot delete " + quote(path) + ": no such file or directory");
    }
    Inode doomed = parent.childAt(slot);
    if (doomed instanceof DirectoryInode dir
        && !dir.isEmpty()
        && !request.getRecursive()) {
      throw new MetaFailure(
          ErrorCode.DIRECTORY_NOT_EMPTY,
          "cannot delete "
              + quote(path)
              + ": the directory holds "
              + dir.childCount()
              + " entries (delete recursively to remove them too)");
    }
    parent.unlinkAt(slot);
    parent.touch(index, timeMs);
    forgetSubtree(doomed);
    return MetaResult.newBuilder().setStatus(OK).build();
  }

  MetaResult rename(RenameRequest request, long index, long timeMs) {
    String source = request.getSource();
    String target = request.getTarget();
    List<String> sourceNames = checkedPath(source);
    List<String> targetNames = checkedPath(target);
    Supplier<String> action = () -> "cannot rename " + quote(source) + " to " + quote(target);
    if (sourceNames.isEmpty()) {
      throw new MetaFailure(ErrorCode.INVALID_ARGUMENT, "cannot rename the root directory");
    }
    // Each directory is searched once for each name: a rename within a directory of many entries
    // spends most of its time in those searches.
    DirectoryInode oldParent = directoryAt(sourceNames, sourceNames.size() - 1);
    int from = oldParent == null ? -1 : oldParent.slotOf(lastName(sourceNames));
    if (from < 0) {
      throw new MetaFailure(
          ErrorCode.NOT_FOUND, action.get() + ": " + quote(source) + " does not exist");
    }
    Inode moving = oldParent.childAt(from);
    if (source.equals(target)) {
      return ok(info(moving, source, false));
    }
    // Like mv: a target that is an existing directory receives the entry under its own name.
    DirectoryInode targetParent = null;
    byte[] targetName = null;
    int targetSlot = -1;
    Inode targetNode = root;
    if (!targetNames.isEmpty()) {
      targetParent = parentDirectory(target, targetNames, action);
      targetName = lastName(targetNames);
      targetSlot = targetParent.slotOf(targetName);
      targetNode = targetSlot >= 0 ? targetParent.childAt(targetSlot) : null;
    }
    DirectoryInode newParent;
    byte[] newName;
    String newPath;
    int to;
    if (targetNode instanceof DirectoryInode targetDir) {
      newParent = targetDir;
      newName = moving.name;
      newPath = childPath(target, moving.name());
      to = targetDir.slotOf(newName);
    } else {
      newParent = targetParent;
      newName = targetName;
      newPath = target;
      to = targetSlot;
    }
    if (to >= 0 && newParent.childAt(to) == moving) {
      // The entry is already where it was asked to go (mv /a/b /a).
      return ok(info(moving, source, false));
    }
    if (moving instanceof DirectoryInode movingDir && movingDir.isSelfOrAncestorOf(newParent)) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT,
          action.get() + ": a directory cannot move into itself or one of its subdirectories");
    }
    // The target path was checked already; only a path made under a target directory is new.
    String problem = targetNode instanceof DirectoryInode ? PathNames.validate(newPath) : null;
    if (problem != null) {
      throw new MetaFailure(ErrorCode.INVALID_ARGUMENT, action.get() + ": " + problem);
    }
    if (to >= 0) {
      throw new MetaFailure(
          ErrorCode.ALREADY_EXISTS, action.get() + ": " + quote(newPath) + " already exists");
    }

    if (newParent == oldParent) {
      oldParent.renameAt(from, to, newName);
    } else {
      oldParent.unlinkAt(from);
      moving.name = newName;
      newParent.linkAt(to, moving);
    }
    oldParent.touch(index, timeMs);
    newParent.touch(index, timeMs);
    return ok(info(moving, newPath, false));
  }

  MetaResult setReplicas(SetReplicas request) {
    for (BlockRef ref : request.getBlocksList()) {
      BlockInfo block = blocks.get(ref.getId());
      // An unknown block is not an error: its file may have been deleted since the copy began.
      if (block != null) {
        block.setReplicas(canonicalNodeIds(ref.getReplicasList()));
      }
    }
    return MetaResult.newBuilder().setStatus(OK).build();
  }

  MetaResult condemnOrphans(CondemnOrphans request) {
    for (BlockRef ref : request.getBlocksList()) {
      // A block some file took up meanwhile is no orphan; one already freed is on its way out.
      if (!blocks.containsKey(ref.getId()) && !freed.contains(ref.getId())) {
        freed.add(ref.getId(), Math.max(0, ref.getLength()),
            canonicalNodeIds(ref.getReplicasList()).toArray(new String[0]));
      }
    }
    return MetaResult.newBuilder().setStatus(OK).build();
  }

  MetaResult forgetFreed(ForgetFreed request) {
    // Ids that are not freed (never were, or already forgotten) are ignored, so a repeat is
    // harmless.
    freed.forget(request.getBlockIdsList());
    return MetaResult.newBuilder().setStatus(OK).build();
  }

  MetaResult registerNode(RegisterNode request) {
    NodeAddress node = request.getNode();
    if (node.getId().isEmpty()) {
      throw new MetaFailure(ErrorCode.INVALID_ARGUMENT, "cannot register a node without an id");
    }
    if (node.getAddress().isEmpty()) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT,
          "cannot register node " + quote(node.getId()) + ": its address is empty");
    }
    // A re-registration keeps the node's place in the table and its membership, and takes the new
    // address. The request's membership is ignored: only SetMembership changes it, so a node that
    // restarts while decommissioning stays decommissioning. A new node starts ACTIVE.
    NodeAddress previous = nodes.get(node.getId());
    NodeAddress.Builder entry =
        previous != null
            ? previous.toBuilder()
            : NodeAddress.newBuilder().setId(node.getId()).setMembership(Membership.ACTIVE);
    nodes.put(entry.getId(), entry.setAddress(node.getAddress()).build());
    return MetaResult.newBuilder().setStatus(OK).build();
  }

  MetaResult setMembership(SetMembership request) {
    String id = request.getNodeId();
    if (id.isEmpty()) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT, "cannot set the membership of a node without an id");
    }
    Membership membership = request.getMembership();
    if (membership == Membership.UNRECOGNIZED) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT,
          "cannot set the membership of node "
              + quote(id)
              + ": unknown membership "
              + request.getMembershipValue());
    }
    NodeAddress previous = nodes.get(id);
    if (previous == null) {
      throw new MetaFailure(
          ErrorCode.NOT_FOUND,
          "cannot set the membership of node "
              + quote(id)
              + ": no such node in the node table (nodes are added by registering)");
    }
    // The node keeps its place in the table.
    nodes.put(previous.getId(), previous.toBuilder().setMembership(membership).build());
    return MetaResult.newBuilder().setStatus(OK).build();
  }

  // ------------------------------------------------------------------------------ queries

  MetaQueryResult stat(String path) {
    Inode node = existing(path);
    return MetaQueryResult.newBuilder().setStatus(OK).setInfo(info(node, path, false)).build();
  }

  MetaQueryResult lookup(String path) {
    Inode node = existing(path);
    if (!(node instanceof FileInode file)) {
      throw new MetaFailure(
          ErrorCode.IS_A_DIRECTORY, "cannot look up " + quote(path) + ": it is a directory");
    }
    Set<String> holders = new HashSet<>();
    for (Object piece : file.pieces()) {
      if (piece instanceof BlockInfo block) {
        holders.addAll(List.of(block.replicas));
      }
    }
    MetaQueryResult.Builder result =
        MetaQueryResult.newBuilder().setStatus(OK).setInfo(info(file, path, true));
    // Node table order, so that the answer does not depend on hash order.
    for (NodeAddress address : nodes.values()) {
      if (holders.contains(address.getId())) {
        result.addNodes(address);
      }
    }
    return result.build();
  }

  MetaQueryResult list(String path) {
    Inode node = existing(path);
    MetaQueryResult.Builder result = MetaQueryResult.newBuilder().setStatus(OK);
    if (node instanceof DirectoryInode dir) {
      // The children are kept sorted by name, so the listing needs no sort.
      for (Inode child : dir.children()) {
        result.addEntries(info(child, childPath(path, child.name()), false));
      }
    } else {
      throw new MetaFailure(ErrorCode.NOT_A_DIRECTORY,
          "cannot list " + quote(path) + ": it is a file, not a directory");
    }
    return result.build();
  }

  MetaQueryResult blockMap() {
    BlockMap.Builder map = BlockMap.newBuilder();
    for (BlockInfo block : blocks.values()) {
      map.addBlocks(blockRef(block));
      map.addReplication(block.owner.replication);
    }
    map.addAllNodes(nodes.values());
    return MetaQueryResult.newBuilder().setStatus(OK).setBlockMap(map).build();
  }

  /**
   * Up to {@code limit} of the oldest freed blocks (all if 0), oldest first, with the replicas they
   * had when they were freed.
   */
  MetaQueryResult freedBlocks(int limit) {
    if (limit < 0) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT, "the limit of freed blocks is negative: " + limit);
    }
    MetaQueryResult.Builder result = MetaQueryResult.newBuilder().setStatus(OK);
    for (FreedBlocks.Freed block : freed.oldest(limit)) {
      result.addFreed(block.toBlockRef());
    }
    return result.build();
  }

  MetaQueryResult summary() {
    NamespaceSummary summary =
        NamespaceSummary.newBuilder()
            .setFiles(fileCount)
            .setDirectories(directoryCount)
            .setBlocks(blocks.size())
            .setBytes(totalBytes)
            .addAllNodes(nodes.values())
            .build();
    return MetaQueryResult.newBuilder().setStatus(OK).setSummary(summary).build();
  }

  // ------------------------------------------------------------------------------ helpers

  /** The FileInfo of an entry at {@code path}, with the file's extents if asked. */
  static FileInfo info(Inode node, String path, boolean withExtents) {
    FileInfo.Builder info =
        FileInfo.newBuilder()
            .setPath(path)
            .setDirectory(node.isDirectory())
            .setVersion(node.version)
            .setMtimeMs(node.mtimeMs)
            .setFileId(node.fileId);
    if (node instanceof DirectoryInode dir) {
      info.setChildren(dir.childCount());
    } else if (node instanceof FileInode file) {
      info.setSize(file.size()).setReplication(file.replication);
      if (withExtents) {
        for (Object piece : file.pieces()) {
          info.addExtents(extent(piece));
        }
      }
    }
    return info.build();
  }

  static Extent extent(Object piece) {
    return switch (piece) {
      case BlockInfo block -> Extent.newBuilder().setBlock(blockRef(block)).build();
      // Wrapped, not copied: the array is never written into, so the reply may share it.
      case byte[] inline ->
          Extent.newBuilder().setData(UnsafeByteOperations.unsafeWrap(inline)).build();
      default -> throw new IllegalArgumentException("not a piece of a file: " + piece.getClass());
    };
  }

  static BlockRef blockRef(BlockInfo block) {
    return BlockRef.newBuilder()
        .setId(block.id)
        .setLength(block.length())
        .addAllReplicas(List.of(block.replicas))
        .build();
  }

  /**
   * The entry at a valid path, or null if it is missing or a file stands where a directory would.
   */
  Inode find(List<String> names) {
    if (names.isEmpty()) {
      return root;
    }
    DirectoryInode parent = directoryAt(names, names.size() - 1);
    return parent == null ? null : parent.child(lastName(names));
  }

  /** The directory named by the first {@code depth} of {@code names}, or null if there is none. */
  private DirectoryInode directoryAt(List<String> names, int depth) {
    DirectoryInode dir = root;
    for (int i = 0; i < depth; i++) {
      if (!(dir.child(names.get(i)) instanceof DirectoryInode child)) {
        return null;
      }
      dir = child;
    }
    return dir;
  }

  private static byte[] lastName(List<String> names) {
    return NameBytes.encode(names.get(names.size() - 1));
  }

  /**
   * Recomputes the counters and the block index from the tree and throws {@link
   * IllegalStateException} if they differ from the kept ones. Linear in the namespace's size; for
   * tests and for checking a loaded snapshot.
   */
  void checkInvariants() {
    long files = 0;
    long directories = 0;
    long bytes = 0;
    long blockPieces = 0;
    ArrayDeque<DirectoryInode> pending = new ArrayDeque<>();
    pending.push(root);
    if (root.parent != null) {
      throw new IllegalStateException("the root has a parent");
    }
    while (!pending.isEmpty()) {
      DirectoryInode dir = pending.pop();
      Inode previous = null;
      for (Inode child : dir.children()) {
        if (child.parent != dir) {
          throw new IllegalStateException("entry " + child.name() + " is linked inconsistently");
        }
        if (previous != null && NameBytes.compare(previous.name, child.name) >= 0) {
          throw new IllegalStateException(
              "entries " + previous.name() + " and " + child.name() + " are out of order");
        }
        previous = child;
        if (child instanceof DirectoryInode childDir) {
          directories++;
          pending.push(childDir);
          continue;
        }
        FileInode file = (FileInode) child;
        files++;
        long size = 0;
        for (Object piece : file.pieces()) {
          size += FileInode.length(piece);
          if (piece instanceof BlockInfo block) {
            blockPieces++;
            if (blocks.get(block.id) != block || block.owner != file) {
              throw new IllegalStateException(
                  "block " + block.id + " of " + file.path() + " is not indexed as its own");
            }
          } else if (FileInode.length(piece) == 0) {
            throw new IllegalStateException("empty inline piece in " + file.path());
          }
        }
        if (size != file.size()) {
          throw new IllegalStateException(
              file.path() + " has size " + file.size() + " but its pieces add up to " + size);
        }
        bytes += size;
      }
    }
    if (files != fileCount || directories != directoryCount || bytes != totalBytes) {
      throw new IllegalStateException(
          String.format(
              "counters say %d files, %d directories, %d bytes; the tree has %d, %d, %d",
              fileCount, directoryCount, totalBytes, files, directories, bytes));
    }
    if (blockPieces != blocks.size()) {
      throw new IllegalStateException(
          "the block index holds " + blocks.size() + " blocks but files reference " + blockPieces);
    }
    if (freed.size() > freed.limit) {
      throw new IllegalStateException(
          "the freed list holds " + freed.size() + " blocks, over its limit of " + freed.limit);
    }
    for (FreedBlocks.Freed block : freed.all()) {
      if (blocks.containsKey(block.id())) {
        throw new IllegalStateException("block " + block.id() + " is both freed and in a file");
      }
      if (block.length() < 0) {
        throw new IllegalStateException("freed block " + block.id() + " has a negative length");
      }
    }
  }

  private static MetaResult ok(FileInfo info) {
    return MetaResult.newBuilder().setStatus(OK).setInfo(info).build();
  }

  private static List<String> checkedPath(String path) {
    String problem = PathNames.validate(path);
    if (problem != null) {
      throw new MetaFailure(ErrorCode.INVALID_ARGUMENT, problem);
    }
    return PathNames.split(path);
  }

  /** The entry at {@code path} for a query; NOT_FOUND if there is none. */
  private Inode existing(String path) {
    Inode node = find(checkedPath(path));
    if (node == null) {
      throw new MetaFailure(ErrorCode.NOT_FOUND, "no such file or directory: " + quote(path));
    }
    return node;
  }

  /**
   * The directory that holds, or would hold, the last name of {@code names}: NOT_FOUND if one of
   * its ancestors is missing, NOT_A_DIRECTORY if one is a file.
   */
  private DirectoryInode parentDirectory(
      String path, List<String> names, Supplier<String> action) {
    DirectoryInode dir = root;
    for (int depth = 0; depth < names.size() - 1; depth++) {
      Inode child = dir.child(names.get(depth));
      if (child == null) {
        throw new MetaFailure(
            ErrorCode.NOT_FOUND,
            action.get() + ": directory " + quote(prefix(names, depth + 1)) + " does not exist");
      }
      if (!(child instanceof DirectoryInode childDir)) {
        throw new MetaFailure(
            ErrorCode.NOT_A_DIRECTORY,
            action.get() + ": " + quote(prefix(names, depth + 1)) + " is a file, not a directory");
      }
      dir = childDir;
    }
    return dir;
  }

  private void checkExpectedVersion(String path, FileInode existing, long expected) {
    if (expected == 0 && existing != null) {
      throw new MetaFailure(
          ErrorCode.CONFLICT,
          "cannot write "
              + quote(path)
              + ": expected it not to exist, but it exists at version "
              + existing.version);
    }
    if (expected != 0 && (existing == null || existing.version != expected)) {
      throw new MetaFailure(
          ErrorCode.CONFLICT,
          "cannot write "
              + quote(path)
              + ": expected version "
              + expected
              + " but "
              + (existing == null
                  ? "the file does not exist"
                  : "it is at version " + existing.version));
    }
  }

  /**
   * Checks one block extent of a commit and returns the block it puts in the file: the indexed one
   * when an overwrite keeps a block the file already had, otherwise a new one owned by {@code
   * target}. A block may belong to one file, once: two files sharing a block would lose data when
   * one of them is deleted and the block is collected.
   */
  private BlockInfo checkedBlock(
      String path,
      int position,
      Extent extent,
      FileInode target,
      boolean append,
      Set<Long> requestBlockIds,
      long timeMs,
      long uploadWindowMs) {
    BlockRef ref = extent.getBlock();
    String action = "cannot write " + quote(path) + ": extent " + position;
    if (!extent.getData().isEmpty()) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT, action + " has both a block and inline data");
    }
    if (ref.getLength() < 0) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT,
          action + ": block " + ref.getId() + " has negative length " + ref.getLength());
    }
    if (!requestBlockIds.add(ref.getId())) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT,
          action + ": block " + ref.getId() + " appears more than once");
    }
    BlockInfo indexed = blocks.get(ref.getId());
    if (indexed == null) {
      if (freed.contains(ref.getId())) {
        throw new MetaFailure(
            ErrorCode.INVALID_ARGUMENT,
            action
                + ": block "
                + ref.getId()
                + " was freed when its file was deleted or overwritten, and its replicas may be"
                + " being deleted; write the data to a new block");
      }
      if (uploadWindowMs > 0 && timeMs - ref.getStoredAtMs() > uploadWindowMs) {
        throw new MetaFailure(
            ErrorCode.INVALID_ARGUMENT,
            action
                + ": block "
                + ref.getId()
                + (ref.getStoredAtMs() == 0
                    ? " carries no upload time"
                    : " was stored " + (timeMs - ref.getStoredAtMs()) / 1000 + " s before this"
                        + " commit")
                + ", past the upload window of "
                + uploadWindowMs / 1000
                + " s, so it may already be collected as unreferenced; write the file again");
      }
      return new BlockInfo(
          ref.getId(), ref.getLength(), target, canonicalNodeIds(ref.getReplicasList()));
    }
    if (indexed.owner != target) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT,
          action + ": block " + ref.getId() + " already belongs to " + quote(indexed.owner.path()));
    }
    if (append) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT,
          action + ": block " + ref.getId() + " is already part of the file");
    }
    if (indexed.length() != ref.getLength()) {
      throw new MetaFailure(
          ErrorCode.INVALID_ARGUMENT,
          action
              + ": block "
              + ref.getId()
              + " has length "
              + indexed.length()
              + ", not "
              + ref.getLength());
    }
    // The index's replica list is kept: it follows re-replication, the request's copy may not.
    return indexed;
  }

  /** Appends a piece, joining it to a preceding inline piece so small appends stay one piece. */
  private static void addMergingInline(List<Object> pieces, Object piece) {
    int last = pieces.size() - 1;
    if (piece instanceof byte[] next
        && last >= 0
        && pieces.get(last) instanceof byte[] previous) {
      // A new array: the previous one may belong to the file's current content, which must not
      // change if a later check fails.
      byte[] joined = Arrays.copyOf(previous, previous.length + next.length);
      System.arraycopy(next, 0, joined, previous.length, next.length);
      pieces.set(last, joined);
    } else {
      pieces.add(piece);
    }
  }

  /** Moves a block from the index to the freed list, with the replicas it has now. */
  private void free(BlockInfo block) {
    blocks.remove(block.id);
    // The replica array is shared, not copied: setReplicas replaces a block's array rather than
    // writing into it, and the block is no longer reachable through the index anyway.
    freed.add(block.id, block.length(), block.replicas);
  }

  /**
   * Removes an unlinked entry's subtree from the counters and frees its blocks. Entries are visited
   * in preorder, children in name order, and each file's blocks in file order, so the freed list
   * gets them in path order.
   */
  private void forgetSubtree(Inode top) {
    // A loop rather than recursion: renames can build trees deeper than the stack.
    ArrayDeque<Inode> pending = new ArrayDeque<>();
    pending.push(top);
    while (!pending.isEmpty()) {
      Inode node = pending.pop();
      if (node instanceof DirectoryInode dir) {
        directoryCount--;
        // Pushed last name first, so that they are popped first name first.
        dir.children().reversed().forEach(pending::push);
      } else {
        FileInode file = (FileInode) node;
        for (Object piece : file.pieces()) {
          if (piece instanceof BlockInfo block) {
            free(block);
          }
        }
        fileCount--;
        totalBytes -= file.size();
      }
    }
  }

  /**
   * Node ids as the node table's own strings where it knows them, so that millions of replica lists
   * share a handful of strings instead of holding a copy each.
   */
  List<String> canonicalNodeIds(List<String> ids) {
    List<String> canonical = new ArrayList<>(ids.size());
    for (String id : ids) {
      NodeAddress known = nodes.get(id);
      canonical.add(known != null ? known.getId() : id);
    }
    return canonical;
  }

  private static String prefix(List<String> names, int count) {
    return PathNames.ROOT + String.join("/", names.subList(0, count));
  }

  static String childPath(String dirPath, String name) {
    return PathNames.isRoot(dirPath) ? PathNames.ROOT + name : dirPath + "/" + name;
  }
}
