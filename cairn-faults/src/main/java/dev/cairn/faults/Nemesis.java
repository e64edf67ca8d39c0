package dev.cairn.faults;

import dev.cairn.client.ClusterStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Kills node processes with SIGKILL and restarts them, at random moments chosen by a seeded random
 * source, never more than a minority at once: it kills up to {@code (n - 1) / 2} nodes (the Raft
 * leader among them half of the time), keeps them down for 0.5 to 8 seconds (past the nodes'
 * dead-after timeout now and then, so that liveness and repair take their turn too), restarts
 * them, and waits until they are up again before the next round.
 *
 * <p>The pauses are pacing, not synchronization: nothing waits for a fault to "land".
 *
 * <p>Start once, stop once. Counters may be read at any time.
 */
public final class Nemesis {
  private static final Duration UP_TIMEOUT = Duration.ofSeconds(90);

  private final ProcessCluster cluster;
  private final SplittableRandom random;
  private final Consumer<String> log;
  private final long origin = System.nanoTime();
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final AtomicInteger faults = new AtomicInteger();
  private final AtomicInteger leaderKills = new AtomicInteger();
  private final Map<String, Integer> killsPerNode = new TreeMap<>();
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private final List<String> down = new CopyOnWriteArrayList<>();
  private Thread thread;

  /**
   * @param log receives one line per fault and restart
   */
  public Nemesis(ProcessCluster cluster, long seed, Consumer<String> log) {
    this.cluster = cluster;
    this.random = new SplittableRandom(seed);
    this.log = log;
  }

  public synchronized void start() {
    thread = new Thread(this::loop, "nemesis");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Stops injecting faults, restarts whatever is down, and waits until every node is up.
   *
   * @throws InterruptedException if interrupted while waiting for the nemesis thread
   */
  public void stop() throws InterruptedException {
    stopping.countDown();
    Thread running;
    synchronized (this) {
      running = thread;
    }
    // Joined without this object's lock: the nemesis thread takes it to count a kill, and a stop
    // that held it while joining waited for that thread forever (a test hung so, once).
    if (running != null) {
      running.join();
    }
  }

  /** Nodes killed so far. */
  public int faults() {
    return faults.get();
  }

  public int leaderKills() {
    return leaderKills.get();
  }

  public synchronized Map<String, Integer> killsPerNode() {
    return new TreeMap<>(killsPerNode);
  }

  /** Nodes down right now. */
  public List<String> down() {
    return List.copyOf(down);
  }

  /** Problems the nemesis ran into (a node that did not come back); empty when all is well. */
  public List<String> failures() {
    return List.copyOf(failures);
  }

  private void loop() {
    int minority = (cluster.ids().size() - 1) / 2;
    try {
      while (failures.isEmpty() && !pause(millisBetween(500, 3000))) {
        if (minority == 0) {
          continue; // One node: nothing may be killed without losing the majority.
        }
        List<String> victims = chooseVictims(1 + (random.nextInt(3) == 0
            ? random.nextInt(minority) : 0));
        for (String id : victims) {
          cluster.kill(id);
          down.add(id);
          faults.incrementAndGet();
          synchronized (this) {
            killsPerNode.merge(id, 1, Integer::sum);
          }
        }
        long downMs = millisBetween(500, 8000);
        log.accept("kill -9 " + String.join(", ", victims) + " for " + downMs + " ms");
        pause(downMs);
        restart(victims);
      }
    } catch (RuntimeException e) {
      failures.add("nemesis failed: " + e.getMessage());
    } finally {
      // Whatever happened, leave every node running.
      try {
        restart(List.copyOf(down));
      } catch (RuntimeException e) {
        failures.add("nemesis could not restart " + down + ": " + e.getMessage());
      }
    }
  }

  private void restart(List<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    for (String id : ids) {
      if (!cluster.isRunning(id)) {
        cluster.restart(id);
      }
    }
    for (String id : ids) {
      try {
        cluster.awaitUp(id, UP_TIMEOUT);
      } catch (IllegalStateException e) {
        if (failures.isEmpty()) {
          failures.add("node " + id + " did not come back within " + UP_TIMEOUT.toSeconds()
              + " s of its restart: " + e.getMessage());
        }
        throw e;
      }
      down.remove(id);
    }
    log.accept("restarted " + String.join(", ", ids) + ", up again");
  }

  private List<String> chooseVictims(int count) {
    List<String> candidates = new ArrayList<>(cluster.ids());
    List<String> victims = new ArrayList<>();
    if (random.nextBoolean()) {
      String leader = leader();
      if (leader != null && candidates.remove(leader)) {
        victims.add(leader);
        leaderKills.incrementAndGet();
      }
    }
    while (victims.size() < count) {
      victims.add(candidates.remove(random.nextInt(candidates.size())));
    }
    return victims;
  }

  private String leader() {
    try {
      ClusterStatus s = cluster.status();
      return s.leaderId();
    } catch (Exception e) {
      return null;
    }
  }

  private long millisBetween(long low, long high) {
    return low + random.nextLong(high - low);
  }

  /** Waits {@code ms} unless stopped first; true if stopped. */
  private boolean pause(long ms) {
    try {
      return stopping.await(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  /** Milliseconds since the nemesis was made, for log lines. */
  public long elapsedMillis() {
    return (System.nanoTime() - origin) / 1_000_000;
  }
}
