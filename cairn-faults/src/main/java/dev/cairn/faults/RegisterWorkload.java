package dev.cairn.faults;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import dev.cairn.client.ErrorCode;
import dev.cairn.faults.History.Kind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Client threads that share a few small files and use each as a register: write a unique value,
 * read it, delete it. Every operation goes into a {@link History} with its invocation and return
 * times, for {@link LinearizabilityChecker}. The values are tiny, so every operation is pure
 * metadata (the content travels inline in the Raft log).
 *
 * <p>Start once, stop once. The history may be read at any time.
 */
public final class RegisterWorkload {
  private final List<String> keys;
  private final int threads;
  private final long seed;
  private final Supplier<CairnClient> clients;
  private final History history = new History();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong indeterminate = new AtomicLong();
  private final List<String> refusals = new CopyOnWriteArrayList<>();
  private final List<Thread> running = new ArrayList<>();
  private final List<CairnClient> opened = new ArrayList<>();

  /**
   * @param dir where the register files live (created by {@link #start})
   * @param clients makes one client per thread; the workload closes them on {@link #stop}
   */
  public RegisterWorkload(String dir, int keyCount, int threads, long seed,
      Supplier<CairnClient> clients) {
    List<String> k = new ArrayList<>();
    for (int i = 0; i < keyCount; i++) {
      k.add(dir + "/r" + i);
    }
    this.keys = List.copyOf(k);
    this.threads = threads;
    this.seed = seed;
    this.clients = clients;
  }

  public History history() {
    return history;
  }

  /** Operations that returned (OK or a definite failure). */
  public long completed() {
    return completed.get();
  }

  public long indeterminate() {
    return indeterminate.get();
  }

  /**
   * Writes and deletes the namespace refused although they could not fail (a write of a small
   * file, a delete that is not NOT_FOUND); empty when all is well.
   */
  public List<String> refusals() {
    return List.copyOf(refusals);
  }

  /** Creates the directory and starts the threads. */
  public synchronized void start(CairnClient setup) throws CairnException {
    String dir = keys.get(0).substring(0, keys.get(0).lastIndexOf('/'));
    setup.mkdir(dir, true);
    for (int i = 0; i < threads; i++) {
      CairnClient client = clients.get();
      opened.add(client);
      int process = i;
      SplittableRandom random = new SplittableRandom(seed * 31 + i);
      Thread t = new Thread(() -> loop(process, client, random), "register-" + i);
      t.setDaemon(true);
      running.add(t);
      t.start();
    }
  }

  /** Asks the threads to stop after their current operation and waits for them. */
  public synchronized void stop() throws InterruptedException {
    stopping.set(true);
    for (Thread t : running) {
      t.join();
    }
    opened.forEach(CairnClient::close);
  }

  private void loop(int process, CairnClient client, SplittableRandom random) {
    long seq = 0;
    while (!stopping.get()) {
      String key = keys.get(random.nextInt(keys.size()));
      int dice = random.nextInt(100);
      if (dice < 45) {
        String value = "p" + process + "-" + (++seq);
        History.Pending op = history.invoke(process, key, Kind.WRITE, value);
        try {
          client.write(key, value.getBytes(StandardCharsets.UTF_8));
          op.ok(null);
          completed.incrementAndGet();
        } catch (Exception e) {
          if (definite(e)) {
            op.failed();
            completed.incrementAndGet();
            refusals.add("write " + value + " to " + key + " refused: " + e.getMessage());
          } else {
            op.indeterminate();
            indeterminate.incrementAndGet();
          }
        }
      } else if (dice < 90) {
        History.Pending op = history.invoke(process, key, Kind.READ, null);
        try {
          op.ok(new String(client.readAllBytes(key), StandardCharsets.UTF_8));
          completed.incrementAndGet();
        } catch (CairnException e) {
          if (e.code() == ErrorCode.NOT_FOUND) {
            op.ok(null);
            completed.incrementAndGet();
          } else {
            // A read that failed changed nothing and saw nothing.
            op.failed();
          }
        } catch (Exception e) {
          op.failed();
        }
      } else {
        History.Pending op = history.invoke(process, key, Kind.DELETE, null);
        try {
          client.delete(key, false);
          op.deleted(true);
          completed.incrementAndGet();
        } catch (CairnException e) {
          if (e.code() == ErrorCode.NOT_FOUND) {
            op.deleted(false);
            completed.incrementAndGet();
          } else if (definite(e)) {
            op.failed();
            completed.incrementAndGet();
            refusals.add("delete of " + key + " refused: " + e.getMessage());
          } else {
            op.indeterminate();
            indeterminate.incrementAndGet();
          }
        } catch (Exception e) {
          op.indeterminate();
          indeterminate.incrementAndGet();
        }
      }
    }
  }

  /**
   * True for an error that guarantees the mutation was not applied: the namespace refused it.
   * Anything else (unreachable, timed out, outcome unknown) may or may not have been applied.
   */
  static boolean definite(Exception e) {
    if (!(e instanceof CairnException ce)) {
      return false;
    }
    return switch (ce.code()) {
      case INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, NOT_A_DIRECTORY, IS_A_DIRECTORY,
          DIRECTORY_NOT_EMPTY, CONFLICT -> true;
      default -> false;
    };
  }
}
