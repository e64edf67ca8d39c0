package dev.cairn.meta;

import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaQuery;
import dev.cairn.proto.MetaQueryResult;
import dev.cairn.proto.MetaResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The replicated namespace: directories, files, the blocks they reference, the blocks they have
 * freed and not yet forgotten, and the node table, plus the results of recent mutations for
 * exactly-once retries. Plain Java; the Raft adapter feeds it committed entries in log order.
 *
 * <p>Threading: {@link #apply} is called by one thread at a time, in log order; {@link #query},
 * {@link #freeze} and the writing of a frozen state may run concurrently with it and with each
 * other.
 */
public interface Namespace {

  /**
   * Applies one committed log entry. Deterministic: the same entries in the same order give the
   * same state and results on every node. Failures (bad path, conflict...) are results, not
   * exceptions; nothing is changed by a failed command.
   *
   * @param index the entry's Raft log index, used as the new version of changed files
   */
  MetaResult apply(MetaCommand command, long index);

  /** Answers a read-only query from the current state. */
  MetaQueryResult query(MetaQuery query);

  /**
   * Captures the whole state as it is between two commands, to be written afterwards while later
   * commands are applied. Costs memory for the copy of every entry, and no I/O.
   */
  Frozen freeze();

  /** Writes the whole state; {@link #readSnapshot} of the bytes gives back an equal state. */
  default void writeSnapshot(OutputStream out) throws IOException {
    freeze().writeTo(out);
  }

  /** A state captured by {@link #freeze}. */
  interface Frozen {
    /**
     * Writes the state as a snapshot, flushing but not closing {@code out}; {@link #readSnapshot}
     * of the bytes gives back the state as it was when it was captured. May run on any thread,
     * at the same time as commands.
     */
    void writeTo(OutputStream out) throws IOException;
  }

  /** Replaces the whole state with one written by {@link #writeSnapshot}. */
  void readSnapshot(InputStream in) throws IOException;
}
