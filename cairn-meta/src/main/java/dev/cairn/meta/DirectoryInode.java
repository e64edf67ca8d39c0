package dev.cairn.meta;

import java.util.TreeMap;

/** A directory: its entries by name, kept sorted so listings and snapshots need no sort. */
final class DirectoryInode extends Inode {

  final TreeMap<String, Inode> children = new TreeMap<>();

  DirectoryInode(String name, long fileId, long version, long mtimeMs) {
    super(name, fileId, version, mtimeMs);
  }

  @Override
  boolean isDirectory() {
    return true;
  }

  /** Links {@code child} under this directory; the caller has checked that the name is free. */
  void link(Inode child) {
    Inode previous = children.put(child.name, child);
    if (previous != null) {
      // Replacing an entry silently would leak its subtree and its blocks from the index.
      throw new IllegalStateException("entry " + child.name + " already exists in " + path());
    }
    child.parent = this;
  }

  /** Unlinks {@code child} from this directory. */
  void unlink(Inode child) {
    if (children.remove(child.name) != child) {
      throw new IllegalStateException("entry " + child.name + " is not in " + path());
    }
    child.parent = null;
  }

  /** Returns true if this directory is {@code other} or one of its ancestors. */
  boolean isSelfOrAncestorOf(Inode other) {
    for (Inode at = other; at != null; at = at.parent) {
      if (at == this) {
        return true;
      }
    }
    return false;
  }
}
