package dev.cairn.cli;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The class data of a local cluster's node JVMs: the files that make a node's start, and its
 * warm-up, cheaper than a plain JVM's (see docs/architecture.md, "Start-up and warm-up").
 *
 * <p>From JDK 25 it is an AOT cache: a node's first run records the classes it loads and links and
 * the profiles of the methods it runs, and writes {@code classes.aot} in its directory when it
 * stops; later starts map the classes instead of parsing them from the jars. On 2 cores that halved
 * the start of 3 nodes (11-12 s without, 5-6 s with). A node's own cache serves only that node, so
 * a new cluster would start slowly every time; a finished cache is therefore also shared, in
 * {@code sharedDir}, named by a key of all it was made from ({@link #key}). A new node with no
 * cache of its own maps the shared one for its key, if there is one, and records nothing. If there
 * is none, the first node of a start records one and the others run without (where nothing is
 * shared, every node records its own). Before
 * JDK 25 (19 and newer) a node keeps a dynamic class-data archive of its own ({@code classes.jsa}),
 * which holds the classes only and is not shared.
 *
 * <p>A cache is used only for the build it was made from: JDK 25 runs the classes of a cache it
 * maps even where the jars now hold others, so a mismatch would run old code, not just start
 * slowly. A node's own cache is therefore kept with its key ({@code classes.aot.key}) and deleted
 * when the key no longer matches, and a shared one is looked up by key.
 */
final class NodeClassData {
  static final String OWN_CACHE = "classes.aot";
  /** The key of the node's own cache, written when the node starts to record it. */
  static final String OWN_KEY = "classes.aot.key";
  /** The JVM's temporary record of a training run, deleted once the cache is written. */
  private static final String RECORDING = "classes.aot.config";
  private static final String OWN_ARCHIVE = "classes.jsa";
  private static final String SHARED_PREFIX = "node-";
  private static final String SHARED_SUFFIX = ".aot";

  /**
   * The system property naming the folder of shared caches; the launcher sets it to one beside
   * the build's jars. Without it nothing is shared.
   */
  static final String SHARED_DIR_PROPERTY = "cairn.local.class-data-dir";

  /** Shared caches kept: those of the last few builds and sets of flags used. */
  static final int SHARED_KEPT = 3;

  private final Path sharedDir;
  /**
   * Keys worked out, by flags and class path: every node of a start has the same. A command
   * makes one of these, and the class path it starts nodes from is the copy it made itself.
   */
  private final Map<List<String>, String> keys = new HashMap<>();
  /** Keys of the caches a node of this command records. */
  private final Set<String> recording = new HashSet<>();

  /** Shares caches in the folder {@link #SHARED_DIR_PROPERTY} names, if it names one. */
  static NodeClassData fromSystemProperties() {
    String dir = System.getProperty(SHARED_DIR_PROPERTY, "");
    return new NodeClassData(dir.isBlank() ? null : Path.of(dir));
  }

  /** @param sharedDir where finished caches are shared between clusters; null to share none */
  NodeClassData(Path sharedDir) {
    this.sharedDir = sharedDir;
  }

  /**
   * The flags that give the node in {@code nodeDir} its class data. Writes the node's key when it
   * is to record a cache, so that {@link #share} later files the cache under the key it was made
   * for.
   *
   * @param jvmFlags the node's other JVM flags, part of the key
   */
  List<String> flags(Path nodeDir, List<String> jvmFlags, String classPath, int jdkFeature)
      throws IOException {
    if (jdkFeature >= 25) {
      List<String> made = new ArrayList<>(jvmFlags);
      made.add(classPath);
      String key = keys.get(made);
      if (key == null) {
        key = key(Runtime.version().toString(), jvmFlags, classPath);
        keys.put(made, key);
      }
      Path own = nodeDir.resolve(OWN_CACHE);
      if (finishedCacheKey(nodeDir).filter(key::equals).isPresent()) {
        return aotFlags("-XX:AOTCache=" + own);
      }
      // Of another build, or left half-written by a node killed while writing it.
      Files.deleteIfExists(own);
      Files.deleteIfExists(nodeDir.resolve(RECORDING));
      Files.deleteIfExists(nodeDir.resolve(OWN_KEY));
      Optional<Path> shared = shared(key);
      if (shared.isPresent()) {
        markUsed(shared.get());
        return aotFlags("-XX:AOTCache=" + shared.get());
      }
      if (sharedDir != null && !recording.add(key)) {
        // Another node of this start records one already, and its stop shares it: one node
        // writing its cache made the first stop after a build take 10-15 s less than three.
        // Where nothing is shared, every node records its own.
        return List.of();
      }
      Files.createDirectories(nodeDir);
      Files.writeString(nodeDir.resolve(OWN_KEY), key + "\n", StandardCharsets.UTF_8);
      return aotFlags("-XX:AOTCacheOutput=" + own);
    }
    if (jdkFeature >= 19) {
      Path archive = nodeDir.resolve(OWN_ARCHIVE);
      deleteIfOlderThanAny(archive, classPath);
      return List.of("-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + archive,
          "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
    }
    return List.of();
  }

  private static List<String> aotFlags(String cacheFlag) {
    // Off: a cache the JVM cannot use would otherwise be reported on every start, and a node
    // runs well without one.
    return List.of(cacheFlag, "-Xlog:aot*=off", "-Xlog:cds*=off");
  }

  /** Dates the shared cache to now: the ones kept are those used last. */
  private static void markUsed(Path shared) {
    try {
      Files.setLastModifiedTime(shared, FileTime.from(Instant.now()));
    } catch (IOException e) {
      // A folder the user may not write: it is then never pruned either.
    }
  }

  /** The shared cache for {@code key}, if one has been shared. */
  Optional<Path> shared(String key) {
    if (sharedDir == null) {
      return Optional.empty();
    }
    Path file = sharedDir.resolve(SHARED_PREFIX + key + SHARED_SUFFIX);
    return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
  }

  /**
   * Shares the first finished cache among the stopped nodes' own, unless one is shared already
   * for its key, and keeps only the {@link #SHARED_KEPT} shared ones used last. A cache is finished
   * when the JVM has removed its temporary record: a node killed while writing leaves that behind.
   * Sharing is an optimization, so a failure is reported, never thrown.
   *
   * @return what was done, for the user, or empty if nothing was
   */
  Optional<String> share(List<Path> nodeDirs) {
    if (sharedDir == null) {
      return Optional.empty();
    }
    for (Path nodeDir : nodeDirs) {
      try {
        Optional<String> finished = finishedCacheKey(nodeDir);
        if (finished.isEmpty()) {
          continue;
        }
        String key = finished.get();
        if (shared(key).isPresent()) {
          return Optional.empty();
        }
        Files.createDirectories(sharedDir);
        Path target = sharedDir.resolve(SHARED_PREFIX + key + SHARED_SUFFIX);
        Path temp = Files.createTempFile(sharedDir, SHARED_PREFIX, ".tmp");
        try {
          Files.copy(nodeDir.resolve(OWN_CACHE), temp, StandardCopyOption.REPLACE_EXISTING);
          Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
              StandardCopyOption.REPLACE_EXISTING);
        } finally {
          Files.deleteIfExists(temp);
        }
        deleteAllButNewest();
        return Optional.of("class data of " + nodeDir.getFileName()
            + " shared for new clusters of this build (" + target + ")");
      } catch (IOException e) {
        return Optional.of("could not share the class data of " + nodeDir.getFileName()
            + " in " + sharedDir + " (" + e.getMessage() + "); new clusters start without it");
      }
    }
    return Optional.empty();
  }

  /**
   * Deletes all but the {@link #SHARED_KEPT} shared caches used last: those of older builds, or
   * of flags no longer given.
   */
  private void deleteAllButNewest() throws IOException {
    List<Path> caches;
    try (Stream<Path> files = Files.list(sharedDir)) {
      caches = files
          .filter(f -> f.getFileName().toString().startsWith(SHARED_PREFIX)
              && f.getFileName().toString().endsWith(SHARED_SUFFIX))
          .sorted(Comparator.comparing(NodeClassData::modified).reversed())
          .toList();
    }
    for (Path old : caches.subList(Math.min(SHARED_KEPT, caches.size()), caches.size())) {
      // A node that still maps it keeps its pages; only its name goes.
      Files.deleteIfExists(old);
    }
  }

  private static long modified(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * A key of everything a cache was made from: the JVM's version, the flags, and each class path
   * entry's name and content. Not its folder: a cluster's jars are copies of the build's in a
   * folder of their own, and the JVM maps a cache recorded with the same jars elsewhere. Content,
   * not times: JDK 25 does not check the application's jars against a cache it maps, so a cache
   * of another build would run that build's classes (seen with a jar rebuilt in place: the cached
   * class ran, not the jar's).
   */
  static String key(String jvmVersion, List<String> jvmFlags, String classPath)
      throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JDK", e);
    }
    StringBuilder text = new StringBuilder(jvmVersion).append('\n');
    jvmFlags.forEach(flag -> text.append(flag).append('\n'));
    ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
    for (String entry : classPath.split(File.pathSeparator)) {
      Path path = Path.of(entry);
      text.append(path.getFileName());
      if (Files.isRegularFile(path)) {
        // CRC32C runs at memory speed even in a JVM that has compiled nothing yet: the key is
        // worked out on every start, over some 40 MB of jars.
        CRC32C crc = new CRC32C();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
          buffer.clear();
          while (channel.read(buffer) >= 0) {
            buffer.flip();
            crc.update(buffer);
            buffer.clear();
          }
          text.append(' ').append(channel.size()).append(' ').append(crc.getValue());
        }
      } else {
        // A folder of classes (a build's target/classes): the JVM archives no class from one.
        text.append(" folder");
      }
      text.append('\n');
    }
    byte[] hash = digest.digest(text.toString().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(hash, 0, 8);
  }

  /**
   * The key of the cache in {@code nodeDir}, if the JVM finished writing it and its key was kept;
   * empty otherwise.
   */
  private static Optional<String> finishedCacheKey(Path nodeDir) throws IOException {
    Path keyFile = nodeDir.resolve(OWN_KEY);
    if (!Files.isRegularFile(nodeDir.resolve(OWN_CACHE))
        || Files.exists(nodeDir.resolve(RECORDING))
        || !Files.isRegularFile(keyFile)) {
      return Optional.empty();
    }
    return Optional.of(Files.readString(keyFile, StandardCharsets.UTF_8).strip());
  }

  /** Deletes {@code archive} if an entry of {@code classPath} changed after it was written. */
  private static void deleteIfOlderThanAny(Path archive, String classPath) {
    try {
      if (!Files.exists(archive)) {
        return;
      }
      long written = Files.getLastModifiedTime(archive).toMillis();
      for (String entry : classPath.split(File.pathSeparator)) {
        Path p = Path.of(entry);
        if (Files.exists(p) && Files.getLastModifiedTime(p).toMillis() > written) {
          Files.delete(archive);
          return;
        }
      }
    } catch (IOException e) {
      // An archive that cannot be checked or deleted only costs start time: the JVM checks the
      // jars of a dynamic archive and ignores a stale one.
    }
  }
}
