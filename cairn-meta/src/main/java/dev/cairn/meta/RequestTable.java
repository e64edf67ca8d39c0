package dev.cairn.meta;

import dev.cairn.proto.MetaResult;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The results of recent mutations by client and sequence number, so that a command retried after a
 * failover is answered from here instead of being applied twice.
 *
 * <p>Bounded in two ways: each client keeps its last {@code resultsPerClient} results, and the
 * table keeps the {@code maxClients} clients used most recently. "Recently" is by position in the
 * log, never by wall clock, so every node evicts the same clients. Not thread-safe: {@link
 * MemoryNamespace} guards it with its lock.
 */
final class RequestTable {

  static final int DEFAULT_RESULTS_PER_CLIENT = 1024;
  static final int DEFAULT_MAX_CLIENTS = 10_000;

  final int resultsPerClient;
  final int maxClients;

  /** Clients from least to most recently used; a lookup moves a client to the end. */
  private final LinkedHashMap<String, ClientResults> clients;

  RequestTable(int resultsPerClient, int maxClients) {
    if (resultsPerClient < 1 || maxClients < 1) {
      throw new IllegalArgumentException(
          "limits must be positive: " + resultsPerClient + ", " + maxClients);
    }
    this.resultsPerClient = resultsPerClient;
    this.maxClients = maxClients;
    this.clients =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, ClientResults> eldest) {
            return size() > RequestTable.this.maxClients;
          }
        };
  }

  /** The remembered result of (client, seq), or null; either way the client becomes most recent. */
  MetaResult find(String clientId, long seq) {
    ClientResults results = clients.get(clientId);
    return results == null ? null : results.find(seq);
  }

  /** Remembers a result, evicting the client's oldest result or the least recent client if full. */
  void remember(String clientId, long seq, MetaResult result) {
    clients.computeIfAbsent(clientId, id -> new ClientResults(resultsPerClient)).add(seq, result);
  }

  int clientCount() {
    return clients.size();
  }

  /** Calls {@code visitor} for every client, least recent first, and its results, oldest first. */
  void forEach(Visitor visitor) throws IOException {
    // Iterating an access-ordered map does not reorder it, so this is safe under a read lock.
    for (Map.Entry<String, ClientResults> entry : clients.entrySet()) {
      ClientResults results = entry.getValue();
      visitor.client(entry.getKey(), results.count);
      for (int i = 0; i < results.count; i++) {
        int slot = results.slot(i);
        visitor.result(results.seqs[slot], results.results[slot]);
      }
    }
  }

  /** Receives the table's content in an order that rebuilds it exactly when replayed. */
  interface Visitor {
    void client(String clientId, int resultCount) throws IOException;

    void result(long seq, MetaResult result) throws IOException;
  }

  /**
   * One client's recent results in a ring: two parallel arrays, grown as needed up to the limit, so
   * a client that sent a few requests costs a few slots. A number above every remembered one is
   * new; so is one near the highest whose bit in {@link #window} is clear. Any other is found by a
   * scan from the newest, since a retry is almost always of one of the last requests.
   */
  private static final class ClientResults {
    /** The numbers up to the highest that {@link #window} covers; a power of two. */
    private static final int WINDOW_SEQS = 4096;

    /** The results a client has before it gets a window: below this a scan is as quick. */
    private static final int WINDOW_AFTER = 16;

    private final int limit;
    long[] seqs;
    MetaResult[] results;

    /** The slot of the oldest result. */
    int start;

    int count;

    /** The highest sequence number ever added, including results since overwritten. */
    long maxSeq = Long.MIN_VALUE;

    /**
     * One bit per number in the last {@link #WINDOW_SEQS} up to {@link #maxSeq} (bit {@code seq %
     * WINDOW_SEQS}), set exactly when that number is remembered; null while the client has few
     * results. Threads of one client commit out of order, and without it each number below the
     * highest scanned all of the client's results (1,024 once it is busy) to find nothing: on 3
     * local nodes, 8 renaming threads of one client spent 4% of the nodes' CPU in that scan. Derived
     * from the ring, so a snapshot neither holds it nor changes which results are kept.
     */
    private long[] window;

    ClientResults(int limit) {
      this.limit = limit;
      int initial = Math.min(4, limit);
      this.seqs = new long[initial];
      this.results = new MetaResult[initial];
    }

    int slot(int ordinal) {
      return (start + ordinal) % seqs.length;
    }

    MetaResult find(long seq) {
      // A new request, the usual case, has a number above every remembered one: no scan.
      if (count == 0 || seq > maxSeq) {
        return null;
      }
      if (window != null && inWindow(seq) && !windowHas(seq)) {
        return null;
      }
      for (int i = count - 1; i >= 0; i--) {
        int slot = slot(i);
        if (seqs[slot] == seq) {
          return results[slot];
        }
      }
      return null;
    }

    void add(long seq, MetaResult result) {
      if (window != null && seq > maxSeq) {
        slideWindow(seq);
      }
      maxSeq = Math.max(maxSeq, seq);
      if (count == seqs.length && count < limit) {
        grow(Math.min(limit, seqs.length * 2));
      }
      if (count == seqs.length) {
        // Full at the limit: overwrite the oldest.
        if (window != null) {
          markIfInWindow(seqs[start], false);
        }
        seqs[start] = seq;
        results[start] = result;
        start = (start + 1) % seqs.length;
      } else {
        int slot = slot(count);
        seqs[slot] = seq;
        results[slot] = result;
        count++;
      }
      if (window != null) {
        markIfInWindow(seq, true);
      } else if (count > WINDOW_AFTER) {
        window = new long[WINDOW_SEQS / Long.SIZE];
        for (int i = 0; i < count; i++) {
          markIfInWindow(seqs[slot(i)], true);
        }
      }
    }

    /** Whether {@code seq} is one of the {@link #WINDOW_SEQS} numbers up to the highest. */
    private boolean inWindow(long seq) {
      long below = maxSeq - seq; // negative if it overflowed: then far outside
      return below >= 0 && below < WINDOW_SEQS;
    }

    private boolean windowHas(long seq) {
      int bit = (int) (seq & (WINDOW_SEQS - 1));
      return (window[bit >>> 6] & (1L << bit)) != 0;
    }

    /** Sets or clears {@code seq}'s bit, if it is in the window. */
    private void markIfInWindow(long seq, boolean remembered) {
      if (inWindow(seq)) {
        markWindow(seq, remembered);
      }
    }

    private void markWindow(long seq, boolean remembered) {
      int bit = (int) (seq & (WINDOW_SEQS - 1));
      if (remembered) {
        window[bit >>> 6] |= 1L << bit;
      } else {
        window[bit >>> 6] &= ~(1L << bit);
      }
    }

    /**
     * Moves the window up to end at {@code newMax}: each number that comes in clears the bit it
     * shares with the number that leaves (that one is out of the window now, found by a scan).
     */
    private void slideWindow(long newMax) {
      long rise = newMax - maxSeq; // negative if it overflowed: a jump past the whole window
      if (rise < 0 || rise >= WINDOW_SEQS) {
        Arrays.fill(window, 0);
        return;
      }
      for (long i = 1; i <= rise; i++) {
        markWindow(maxSeq + i, false);
      }
    }

    private void grow(int capacity) {
      long[] newSeqs = new long[capacity];
      MetaResult[] newResults = new MetaResult[capacity];
      for (int i = 0; i < count; i++) {
        newSeqs[i] = seqs[slot(i)];
        newResults[i] = results[slot(i)];
      }
      seqs = newSeqs;
      results = newResults;
      start = 0;
    }
  }
}
