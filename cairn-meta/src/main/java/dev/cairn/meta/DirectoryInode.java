package dev.cairn.meta;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A directory: its entries in an array sorted by name, so listings and snapshots need no sort and
 * a lookup is a binary search.
 *
 * <p>A sorted array costs about 4 bytes per entry (5 to 6 with the room kept for growth), where a
 * {@code TreeMap} cost 40 bytes per entry for its node. Linking or unlinking moves the entries
 * after the changed slot, which is a fast copy even for directories of tens of thousands of
 * entries. The array grows by half when full and is cut down when three quarters of it are empty,
 * so a directory that shrinks gives its memory back, and one that grows and shrinks around a size
 * does not reallocate at every change.
 */
final class DirectoryInode extends Inode {

  private static final Inode[] NO_CHILDREN = new Inode[0];

  /** The smallest array allocated: most directories that have any entry have a few. */
  private static final int MIN_CAPACITY = 2;

  /**
   * The entries, sorted by name in {@link NameBytes#compare} order; slots from {@link #count} on
   * are null.
   */
  private Inode[] children = NO_CHILDREN;

  private int count;

  DirectoryInode(byte[] name, long fileId, long version, long mtimeMs) {
    super(name, fileId, version, mtimeMs);
  }

  @Override
  boolean isDirectory() {
    return true;
  }

  /** The number of entries. */
  int childCount() {
    return count;
  }

  boolean isEmpty() {
    return count == 0;
  }

  /**
   * The entries in name order: a read-only view, valid until the next {@link #link} or {@link
   * #unlink}.
   */
  List<Inode> children() {
    return Collections.unmodifiableList(Arrays.asList(children).subList(0, count));
  }

  /** The entry named {@code name}, or null. */
  Inode child(byte[] name) {
    int at = indexOf(name);
    return at >= 0 ? children[at] : null;
  }

  /** The entry named {@code name}, or null. */
  Inode child(String name) {
    return child(NameBytes.encode(name));
  }

  /** Links {@code child} under this directory; the caller has checked that the name is free. */
  void link(Inode child) {
    int at = indexOf(child.name);
    if (at >= 0) {
      // Replacing an entry silently would leak its subtree and its blocks from the index.
      throw new IllegalStateException("entry " + child.name() + " already exists in " + path());
    }
    at = -at - 1;
    if (count == children.length) {
      Inode[] grown = new Inode[Math.max(MIN_CAPACITY, count + (count >> 1))];
      System.arraycopy(children, 0, grown, 0, at);
      System.arraycopy(children, at, grown, at + 1, count - at);
      children = grown;
    } else {
      System.arraycopy(children, at, children, at + 1, count - at);
    }
    children[at] = child;
    count++;
    child.parent = this;
  }

  /** Unlinks {@code child} from this directory. */
  void unlink(Inode child) {
    int at = indexOf(child.name);
    if (at < 0 || children[at] != child) {
      throw new IllegalStateException("entry " + child.name() + " is not in " + path());
    }
    count--;
    if (count <= children.length / 4) {
      // Far too big: cut it down to half again the entries left, so it can take some more before it
      // grows again.
      Inode[] shrunk =
          count == 0 ? NO_CHILDREN : new Inode[Math.max(MIN_CAPACITY, count + (count >> 1))];
      System.arraycopy(children, 0, shrunk, 0, at);
      System.arraycopy(children, at + 1, shrunk, at, count - at);
      children = shrunk;
    } else {
      System.arraycopy(children, at + 1, children, at, count - at);
      children[count] = null;
    }
    child.parent = null;
  }

  /** The length of the array holding the entries; for tests. */
  int capacity() {
    return children.length;
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

  /**
   * The position of the entry named {@code name}, or {@code -(insertion point) - 1} if there is
   * none, as {@link Arrays#binarySearch(Object[], Object)} answers.
   */
  private int indexOf(byte[] name) {
    int low = 0;
    int high = count - 1;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      int order = NameBytes.compare(children[middle].name, name);
      if (order < 0) {
        low = middle + 1;
      } else if (order > 0) {
        high = middle - 1;
      } else {
        return middle;
      }
    }
    return -(low + 1);
  }
}
