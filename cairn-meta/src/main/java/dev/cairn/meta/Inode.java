package dev.cairn.meta;

/**
 * One entry of the tree: a directory or a file. Package-private and mutable; only {@link
 * NamespaceTree} changes it, under {@link MemoryNamespace}'s write lock.
 *
 * <p>Entries keep their own name and a pointer to their parent rather than their path, so that a
 * rename moves a whole subtree by changing one entry. There are millions of entries, so every
 * field counts: the name is kept as UTF-8 bytes (see {@link NameBytes}) rather than as a String.
 */
abstract sealed class Inode permits DirectoryInode, FileInode {

  /**
   * The name within the parent, in UTF-8; empty for the root. Never written into, and replaced only
   * while the entry is unlinked, since the parent keeps its entries sorted by it.
   */
  byte[] name;

  /** The directory holding this entry; null for the root and for an entry not yet linked. */
  DirectoryInode parent;

  /** The log index at which the entry was created; never changes, not even on rename. */
  final long fileId;

  /** The log index of the last change to the content (a file's bytes, a directory's entries). */
  long version;

  /** The proposer's clock at the last change to the content. */
  long mtimeMs;

  Inode(byte[] name, long fileId, long version, long mtimeMs) {
    this.name = name;
    this.fileId = fileId;
    this.version = version;
    this.mtimeMs = mtimeMs;
  }

  abstract boolean isDirectory();

  /** The name as a String, decoded anew on each call. */
  final String name() {
    return NameBytes.decode(name);
  }

  /** Records a change to the content made by the entry at log index {@code index}. */
  final void touch(long index, long timeMs) {
    this.version = index;
    this.mtimeMs = timeMs;
  }

  /** The entry's full path, found by walking up to the root. Linear in the depth. */
  final String path() {
    if (parent == null) {
      return PathNames.ROOT;
    }
    StringBuilder reversed = new StringBuilder();
    for (Inode at = this; at.parent != null; at = at.parent) {
      reversed.insert(0, at.name()).insert(0, '/');
    }
    return reversed.toString();
  }
}
