package dev.cairn.faults;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import dev.cairn.client.ErrorCode;
import dev.cairn.client.FileStatus;
import dev.cairn.faults.Content.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Client threads that write, overwrite, append, rename, delete and read back files, each in its
 * own directory, and remember what every acknowledged operation left behind. A read that returns
 * anything else than the remembered content is a failure on the spot; {@link #verify} reads
 * everything back at the end.
 *
 * <p>An operation that throws may or may not have been applied, and may still be applied later
 * (the node may be retrying it). Its files are <em>retired</em>: never touched again, and at the
 * end each must be in one of the states the operation allows (applied or not). A write whose
 * commit the namespace refuses as too late after its upload changed nothing and is counted
 * ({@link #refusedUploads}); any other refusal of an operation we expected to succeed (NOT_FOUND
 * on a file we know exists, for one) is a failure.
 *
 * <p>Sizes: small files (inline in the namespace) and files of one to five blocks at the nodes'
 * block size; appends of both kinds. Start once, stop once; counters may be read at any time.
 */
public final class Workload {
  /** Operations the workload does. */
  public enum Op {
    CREATE,
    OVERWRITE,
    APPEND,
    RENAME,
    DELETE,
    READ
  }

  private static final int MAX_LIVE_FILES = 12;
  private static final long MAX_FILE_BYTES = 1 << 20;

  private final String root;
  private final int threads;
  private final long seed;
  private final int blockSize;
  private final Supplier<CairnClient> clients;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Map<Op, AtomicLong> acknowledged = new EnumMap<>(Op.class);
  private final AtomicLong indeterminate = new AtomicLong();
  private final AtomicLong readErrors = new AtomicLong();
  private final AtomicLong refusedUploads = new AtomicLong();
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private final Map<String, String> firstErrors = new ConcurrentHashMap<>();
  private final List<Worker> workers = new ArrayList<>();

  /**
   * @param root directory of this workload; thread i works in {@code root/t<i>}
   * @param clients makes one client per thread; the workload closes them on {@link #stop}
   */
  public Workload(String root, int threads, long seed, int blockSize,
      Supplier<CairnClient> clients) {
    this.root = root;
    this.threads = threads;
    this.seed = seed;
    this.blockSize = blockSize;
    this.clients = clients;
    for (Op op : Op.values()) {
      acknowledged.put(op, new AtomicLong());
    }
  }

  /** Creates the directories and starts the threads. */
  public synchronized void start(CairnClient setup) throws CairnException {
    for (int i = 0; i < threads; i++) {
      Worker w = new Worker(i, clients.get(), new SplittableRandom(seed * 1_000_003 + i));
      setup.mkdir(w.dir, true);
      workers.add(w);
    }
    workers.forEach(w -> w.thread.start());
  }

  /** Asks the threads to stop after their current operation and waits for them. */
  public synchronized void stop() throws InterruptedException {
    stopping.set(true);
    for (Worker w : workers) {
      w.thread.join();
      w.client.close();
    }
  }

  public String root() {
    return root;
  }

  /** Acknowledged operations per kind. */
  public Map<Op, Long> acknowledged() {
    Map<Op, Long> out = new EnumMap<>(Op.class);
    acknowledged.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  public long acknowledgedTotal() {
    return acknowledged.values().stream().mapToLong(AtomicLong::get).sum();
  }

  /** Mutations that threw and may or may not have been applied. */
  public long indeterminate() {
    return indeterminate.get();
  }

  /**
   * Writes whose commit the namespace refused as too late after their upload (nothing changed);
   * not failures by themselves.
   */
  public long refusedUploads() {
    return refusedUploads.get();
  }

  /** Reads that failed (the cluster was unavailable); not failures by themselves. */
  public long readErrors() {
    return readErrors.get();
  }

  /** The first error message seen per kind of error, for the summary. */
  public Map<String, String> firstErrors() {
    return Map.copyOf(firstErrors);
  }

  /** Wrong content or refused operations seen while running; empty when all is well. */
  public List<String> failures() {
    return List.copyOf(failures);
  }

  /**
   * Reads back every file of every thread through {@code client} and compares with what the
   * acknowledged operations left: known files must hold exactly their content, retired files one
   * of their possible states, and no other file may exist. Returns one line per problem.
   */
  public List<String> verify(CairnClient client) {
    List<String> problems = new ArrayList<>();
    for (Worker w : workers) {
      try {
        w.verify(client, problems);
      } catch (IOException | RuntimeException e) {
        problems.add(w.dir + ": cannot verify: " + e);
      }
    }
    return problems;
  }

  /** Number of files whose content is known exactly (for the summary). */
  public int knownFiles() {
    return workers.stream().mapToInt(w -> w.live.size()).sum();
  }

  /** Number of files retired after an indeterminate operation. */
  public int uncertainFiles() {
    return workers.stream().mapToInt(w -> w.uncertain.size()).sum();
  }

  // ------------------------------------------------------------------------------ one thread

  /**
   * One possible state of some files after an indeterminate operation: file name to its digest,
   * {@link Digest#ABSENT} for "no file".
   */
  private record World(Map<String, Digest> files) {}

  /** Files retired by one indeterminate operation, and the worlds it may have left. */
  private record Uncertain(String what, List<World> worlds) {}

  private final class Worker {
    final int index;
    final String dir;
    final CairnClient client;
    final SplittableRandom random;
    final Thread thread;
    // Files with exactly known content; only this thread touches them.
    final Map<String, Content> live = new LinkedHashMap<>();
    final List<Uncertain> uncertain = new ArrayList<>();
    int nextName;

    Worker(int index, CairnClient client, SplittableRandom random) {
      this.index = index;
      this.dir = root + "/t" + index;
      this.client = client;
      this.random = random;
      this.thread = new Thread(this::loop, "workload-" + index);
      this.thread.setDaemon(true);
    }

    void loop() {
      while (!stopping.get() && failures.isEmpty()) {
        try {
          step();
        } catch (RuntimeException e) {
          // A bug of the workload itself must not pass as a quiet thread death.
          failures.add(dir + ": workload thread failed: " + e);
          return;
        }
      }
    }

    void step() {
      int dice = random.nextInt(100);
      if (live.size() < 3 || (dice < 20 && live.size() < MAX_LIVE_FILES)) {
        create();
      } else if (live.size() >= MAX_LIVE_FILES && dice < 50) {
        delete();
      } else if (dice < 35) {
        overwrite();
      } else if (dice < 50) {
        append();
      } else if (dice < 60) {
        rename();
      } else if (dice < 68) {
        delete();
      } else {
        read();
      }
    }

    Content randomContent(boolean appendPart) {
      boolean big = random.nextInt(100) < 35;
      int length;
      if (big) {
        // One to five blocks, usually with a partial last one.
        length = blockSize * (1 + random.nextInt(appendPart ? 2 : 4))
            + random.nextInt(blockSize);
      } else {
        length = 1 + random.nextInt(appendPart ? 2048 : 8192);
      }
      return Content.of(random.nextLong(), length);
    }

    String newName() {
      return "f" + (nextName++);
    }

    String path(String name) {
      return dir + "/" + name;
    }

    String pick() {
      List<String> names = new ArrayList<>(live.keySet());
      return names.get(random.nextInt(names.size()));
    }

    void create() {
      String name = newName();
      Content c = randomContent(false);
      try (var in = c.stream()) {
        client.write(path(name), in);
        live.put(name, c);
        acknowledged.get(Op.CREATE).incrementAndGet();
      } catch (Exception e) {
        if (!refusedUpload(e)) {
          unexpectedOrUncertain("create " + name, e,
              world(name, Digest.ABSENT), world(name, c.digest()));
        }
      }
    }

    void overwrite() {
      String name = pick();
      Content old = live.get(name);
      Content c = randomContent(false);
      try (var in = c.stream()) {
        client.write(path(name), in);
        live.put(name, c);
        acknowledged.get(Op.OVERWRITE).incrementAndGet();
      } catch (Exception e) {
        if (!refusedUpload(e)) {
          live.remove(name);
          unexpectedOrUncertain("overwrite " + name, e,
              world(name, old.digest()), world(name, c.digest()));
        }
      }
    }

    void append() {
      String name = pick();
      Content old = live.get(name);
      if (old.length() > MAX_FILE_BYTES) {
        overwrite();
        return;
      }
      Content more = randomContent(true);
      Content after = old.append(more);
      try (var in = more.stream()) {
        client.append(path(name), in);
        live.put(name, after);
        acknowledged.get(Op.APPEND).incrementAndGet();
      } catch (Exception e) {
        if (!refusedUpload(e)) {
          live.remove(name);
          unexpectedOrUncertain("append to " + name, e,
              world(name, old.digest()), world(name, after.digest()));
        }
      }
    }

    void rename() {
      String from = pick();
      String to = newName();
      Content c = live.get(from);
      try {
        client.rename(path(from), path(to));
        live.remove(from);
        live.put(to, c);
        acknowledged.get(Op.RENAME).incrementAndGet();
      } catch (Exception e) {
        live.remove(from);
        unexpectedOrUncertain("rename " + from + " to " + to, e,
            world(from, c.digest(), to, Digest.ABSENT),
            world(from, Digest.ABSENT, to, c.digest()));
      }
    }

    void delete() {
      String name = pick();
      Content c = live.get(name);
      try {
        client.delete(path(name), false);
        live.remove(name);
        acknowledged.get(Op.DELETE).incrementAndGet();
      } catch (Exception e) {
        live.remove(name);
        unexpectedOrUncertain("delete " + name, e,
            world(name, c.digest()), world(name, Digest.ABSENT));
      }
    }

    void read() {
      String name = pick();
      Content expected = live.get(name);
      Digest got;
      try {
        got = readDigest(client, path(name));
      } catch (Exception e) {
        readErrors.incrementAndGet();
        noteError("read", e);
        if (e instanceof CairnException ce && ce.code() == ErrorCode.NOT_FOUND) {
          failures.add(path(name) + ": read says NOT_FOUND but the file was acknowledged as "
              + expected.digest());
        } else if (e instanceof CairnException ce && ce.code() == ErrorCode.CORRUPT) {
          failures.add(path(name) + ": read failed with CORRUPT though nothing was corrupted: "
              + e.getMessage());
        }
        return;
      }
      acknowledged.get(Op.READ).incrementAndGet();
      if (!got.equals(expected.digest())) {
        failures.add(path(name) + ": read " + got + " but the last acknowledged write left "
            + expected.digest());
      }
    }

    World world(String name, Digest d) {
      return new World(Map.of(name, d));
    }

    World world(String a, Digest da, String b, Digest db) {
      return new World(Map.of(a, da, b, db));
    }

    /**
     * True if a write's commit was refused with INVALID_ARGUMENT: the namespace changed nothing.
     * The workload sends only valid requests, so the one refusal it can meet is a commit that
     * came too long after its blocks were stored (the server's upload window, which keeps orphan
     * collection from deleting blocks a commit is about to name); a fault that slows an upload
     * down can cause it, and the file keeps its previous content.
     */
    boolean refusedUpload(Exception e) {
      if (e instanceof CairnException ce && ce.code() == ErrorCode.INVALID_ARGUMENT) {
        refusedUploads.incrementAndGet();
        noteError("write", e);
        return true;
      }
      return false;
    }

    /**
     * After a mutation threw: a refusal we did not expect is a failure; anything else retires
     * the files it touched, with the worlds it may have left.
     */
    void unexpectedOrUncertain(String what, Exception e, World... worlds) {
      noteError(what.substring(0, what.indexOf(' ')), e);
      if (RegisterWorkload.definite(e)) {
        failures.add(dir + ": " + what + " was refused: " + e.getMessage());
        return;
      }
      indeterminate.incrementAndGet();
      uncertain.add(new Uncertain(what, List.of(worlds)));
    }

    void verify(CairnClient reader, List<String> problems) throws IOException {
      Map<String, FileStatus> listed = new HashMap<>();
      for (FileStatus s : reader.list(dir)) {
        listed.put(s.name(), s);
      }
      Set<String> accounted = new TreeSet<>();
      for (Map.Entry<String, Content> e : live.entrySet()) {
        String name = e.getKey();
        accounted.add(name);
        Digest want = e.getValue().digest();
        Digest got = stateOf(reader, name, listed);
        if (!got.equals(want)) {
          problems.add(path(name) + ": holds " + got + " but the last acknowledged operation "
              + "left " + want);
        }
      }
      for (Uncertain u : uncertain) {
        Map<String, Digest> seen = new HashMap<>();
        for (String name : u.worlds.get(0).files.keySet()) {
          accounted.add(name);
          seen.put(name, stateOf(reader, name, listed));
        }
        boolean possible = u.worlds.stream().anyMatch(w -> w.files.equals(seen));
        if (!possible) {
          problems.add(dir + ": after the indeterminate '" + u.what + "' the files hold " + seen
              + ", which is none of " + u.worlds.stream().map(World::files).toList());
        }
      }
      Set<String> extra = new TreeSet<>(listed.keySet());
      extra.removeAll(accounted);
      if (!extra.isEmpty()) {
        problems.add(dir + ": files no operation created: " + extra);
      }
    }

    Digest stateOf(CairnClient reader, String name, Map<String, FileStatus> listed)
        throws IOException {
      if (!listed.containsKey(name)) {
        return Digest.ABSENT;
      }
      try {
        return readDigest(reader, path(name));
      } catch (CairnException e) {
        if (e.code() == ErrorCode.NOT_FOUND) {
          return Digest.ABSENT;
        }
        throw e;
      }
    }
  }

  /** Length and SHA-256 of a file's content, streamed. */
  static Digest readDigest(CairnClient client, String path) throws IOException {
    Content.Digester out = new Content.Digester();
    client.read(path, out);
    return out.result();
  }

  private void noteError(String op, Exception e) {
    String kind = e instanceof CairnException ce ? ce.code().name() : e.getClass().getSimpleName();
    firstErrors.putIfAbsent(op + " " + kind, String.valueOf(e.getMessage()));
  }
}
