package dev.cairn.meta;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

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
    int slot = slotOf(name);
    return slot >= 0 ? children[slot] : null;
  }

  /** The entry named {@code name}, or null. */
  Inode child(String name) {
    return child(NameBytes.encode(name));
  }

  /**
   * Where the entry named {@code name} is: its slot, or {@code -(the slot it would take) - 1} if
   * there is none, as {@link Arrays#binarySearch(Object[], Object)} answers. The answer holds until
   * the directory next changes; the {@code ...At} methods take it, so that a change that has looked
   * a name up does not search for it again.
   */
  int slotOf(byte[] name) {
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

  /** The entry in {@code slot}, a slot {@link #slotOf} found. */
  Inode childAt(int slot) {
    return children[Objects.checkIndex(slot, count)];
  }

  /** Links {@code child} under this directory; the caller has checked that the name is free. */
  void link(Inode child) {
    linkAt(slotOf(child.name), child);
  }

  /**
   * Links {@code child} where {@code searched}, the answer of {@link #slotOf} for its name, says
   * it belongs.
   *
   * @throws IllegalStateException if that search found an entry, or if the slot is not where the
   *     name sorts (the directory changed since); nothing is changed then
   */
  void linkAt(int searched, Inode child) {
    int at = freeSlot(searched, child.name, -1);
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
    int slot = slotOf(child.name);
    if (slot < 0 || children[slot] != child) {
      throw new IllegalStateException("entry " + child.name() + " is not in " + path());
    }
    unlinkAt(slot);
  }

  /** Unlinks the entry in {@code slot}, a slot {@link #slotOf} found. */
  void unlinkAt(int slot) {
    Inode child = childAt(slot);
    count--;
    if (count <= children.length / 4) {
      // Far too big: cut it down to half again the entries left, so it can take some more before it
      // grows again.
      Inode[] shrunk =
          count == 0 ? NO_CHILDREN : new Inode[Math.max(MIN_CAPACITY, count + (count >> 1))];
      System.arraycopy(children, 0, shrunk, 0, slot);
      System.arraycopy(children, slot + 1, shrunk, slot, count - slot);
      children = shrunk;
    } else {
      System.arraycopy(children, slot + 1, children, slot, count - slot);
      children[count] = null;
    }
    child.parent = null;
  }

  /**
   * Renames the entry in slot {@code from} to {@code newName}, a name not in this directory, and
   * moves it to where that name sorts: {@code searched} is the answer of {@link #slotOf} for it.
   * Only the entries between the two places move.
   *
   * @throws IllegalStateException if that search found an entry, or if the slot is not where the
   *     name sorts (the directory changed since); nothing is changed then
   */
  void renameAt(int from, int searched, byte[] newName) {
    Inode child = childAt(from);
    int to = freeSlot(searched, newName, from);
    if (to > from) {
      // It lands before the entry now at `to`, which moves down with those before it.
      System.arraycopy(children, from + 1, children, from, to - 1 - from);
      children[to - 1] = child;
    } else {
      System.arraycopy(children, to, children, to + 1, from - to);
      children[to] = child;
    }
    child.name = newName;
  }

  /**
   * The slot where {@code name} goes, from {@code searched}, after checking that the search found
   * no entry of that name and that the name sorts between the entries either side of the slot,
   * leaving out the one in slot {@code leaving} (-1: none), which is about to move away. A slot
   * that fails these checks would put the entries out of order, where lookups miss them.
   */
  private int freeSlot(int searched, byte[] name, int leaving) {
    if (searched >= 0) {
      // Replacing an entry silently would leak its subtree and its blocks from the index.
      throw new IllegalStateException(
          "entry " + NameBytes.decode(name) + " already exists in " + path());
    }
    int at = -searched - 1;
    int before = at - 1 == leaving ? at - 2 : at - 1;
    int after = at == leaving ? at + 1 : at;
    if (at > count
        || (before >= 0 && NameBytes.compare(children[before].name, name) >= 0)
        || (after < count && NameBytes.compare(name, children[after].name) >= 0)) {
      throw new IllegalStateException(
          "slot " + at + " is not where " + NameBytes.decode(name) + " sorts in " + path());
    }
    return at;
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
}
