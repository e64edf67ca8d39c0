package dev.cairn.meta;

import dev.cairn.proto.BlockRef;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Blocks that left the block index because their file was overwritten or deleted, oldest first,
 * each with the replica list it had at that moment: the server's repair loop reads them, deletes
 * the replicas, and then forgets them with a {@code ForgetFreed} command.
 *
 * <p>While an id is here the namespace refuses to put it into a file again, since its replicas may
 * be being deleted.
 *
 * <p>Bounded: past {@code limit} entries the oldest is dropped. The order is the log's, never the
 * wall clock's, so every node drops the same entries. A dropped block loses nothing that matters:
 * no file references it, and the server's orphan collection deletes replicas that no file
 * references once they are older than its grace period; it is only deleted later. Not thread-safe:
 * {@link MemoryNamespace} guards it with its lock.
 */
final class FreedBlocks {

  /**
   * The default bound. An entry with three replicas costs about 140 bytes of heap, so a full list
   * holds about 140 MB; it only fills when the repair loop cannot keep up or is not running.
   */
  static final int DEFAULT_LIMIT = 1_000_000;

  /** One freed block. {@code replicas} may be shared with the block it came from; never written. */
  record Freed(long id, long length, String[] replicas) {
    BlockRef toBlockRef() {
      return BlockRef.newBuilder()
          .setId(id)
          .setLength(length)
          .addAllReplicas(List.of(replicas))
          .build();
    }
  }

  final int limit;

  /** By id, in the order the blocks were freed. */
  private final LinkedHashMap<Long, Freed> entries;

  FreedBlocks(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("the freed-block limit must be positive: " + limit);
    }
    this.limit = limit;
    this.entries =
        new LinkedHashMap<>() {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Long, Freed> eldest) {
            return size() > FreedBlocks.this.limit;
          }
        };
  }

  /**
   * Records a block that has just left the index, dropping the oldest entry if the list is full.
   *
   * @throws IllegalStateException if the id is already here: the namespace never lets a freed id
   *     back into a file, so it cannot be freed twice
   */
  void add(long id, long length, String[] replicas) {
    if (entries.putIfAbsent(id, new Freed(id, length, replicas)) != null) {
      throw new IllegalStateException("block " + id + " was freed twice");
    }
  }

  boolean contains(long id) {
    return entries.containsKey(id);
  }

  /** Forgets the given ids; ids not here are ignored. */
  void forget(Collection<Long> ids) {
    for (Long id : ids) {
      entries.remove(id);
    }
  }

  int size() {
    return entries.size();
  }

  /** Up to {@code max} of the oldest entries, oldest first; all of them if {@code max} is 0. */
  List<Freed> oldest(int max) {
    int count = max == 0 ? entries.size() : Math.min(max, entries.size());
    List<Freed> result = new ArrayList<>(count);
    for (Freed freed : entries.values()) {
      if (result.size() == count) {
        break;
      }
      result.add(freed);
    }
    return result;
  }

  /** Every entry, oldest first; a live view, not to be changed. */
  Collection<Freed> all() {
    return entries.values();
  }
}
