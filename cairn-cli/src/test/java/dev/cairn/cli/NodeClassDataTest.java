package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeClassDataTest {
  private static final List<String> FLAGS = List.of("-XX:CompileThresholdScaling=0.2");
  private static final FileTime BUILT = FileTime.fromMillis(1_700_000_000_000L);

  @TempDir Path dir;

  /** A jar named {@code name} in {@code folder}, with the build's time, as a cluster copies it. */
  private Path jar(Path folder, String name) throws IOException {
    Path jar = Files.createDirectories(folder).resolve(name);
    Files.writeString(jar, "jar");
    Files.setLastModifiedTime(jar, BUILT);
    return jar;
  }

  /** The flags for the node in {@code node}, as a new command (a new NodeClassData) gives them. */
  private static List<String> flags(Path shared, Path node, Path jar, int jdkFeature)
      throws IOException {
    return new NodeClassData(shared).flags(node, FLAGS, jar.toString(), jdkFeature);
  }

  @Test
  void aNodeRecordsItsOwnCacheOnceAndAgainAfterARebuild() throws Exception {
    Path node = dir.resolve("n1");
    Path jar = jar(dir.resolve("classpath"), "000-a.jar");
    Path cache = node.resolve("classes.aot");
    assertThat(flags(null, node, jar, 25)).contains("-XX:AOTCacheOutput=" + cache);
    Files.writeString(cache, "cache");
    assertThat(flags(null, node, jar, 25)).contains("-XX:AOTCache=" + cache);
    // Another build under the same name and time: the cache would run its classes, so it goes
    // and the next stop writes it anew.
    Files.writeString(jar, "jaR");
    Files.setLastModifiedTime(jar, BUILT);
    assertThat(flags(null, node, jar, 25)).contains("-XX:AOTCacheOutput=" + cache);
    assertThat(cache).doesNotExist();
    // A cache the JVM did not finish writing (the node was killed meanwhile) is not used.
    Files.writeString(cache, "half a cache");
    Files.writeString(node.resolve("classes.aot.config"), "the training run's record");
    assertThat(flags(null, node, jar, 25)).contains("-XX:AOTCacheOutput=" + cache);
    assertThat(cache).doesNotExist();

    // Where nothing is shared, every node of a start records its own.
    NodeClassData unshared = new NodeClassData(null);
    assertThat(unshared.flags(node, FLAGS, jar.toString(), 25))
        .contains("-XX:AOTCacheOutput=" + cache);
    assertThat(unshared.flags(dir.resolve("n2"), FLAGS, jar.toString(), 25))
        .contains("-XX:AOTCacheOutput=" + dir.resolve("n2/classes.aot"));

    assertThat(flags(null, node, jar, 21)).contains("-XX:+AutoCreateSharedArchive",
        "-XX:SharedArchiveFile=" + node.resolve("classes.jsa"));
    assertThat(flags(null, node, jar, 17)).isEmpty();
  }

  @Test
  void aFinishedCacheIsSharedAndANewClusterMapsItInsteadOfRecording() throws Exception {
    Path shared = dir.resolve("shared");
    NodeClassData data = new NodeClassData(shared);
    Path first = dir.resolve("first/n1");
    Path firstJar = jar(dir.resolve("first/classpath"), "000-a.jar");
    assertThat(data.flags(first, FLAGS, firstJar.toString(), 25))
        .contains("-XX:AOTCacheOutput=" + first.resolve("classes.aot"));
    String key = Files.readString(first.resolve(NodeClassData.OWN_KEY)).strip();
    // One node of a start records; the others run without class data meanwhile.
    Path firstN2 = dir.resolve("first/n2");
    assertThat(data.flags(firstN2, FLAGS, firstJar.toString(), 25)).isEmpty();
    assertThat(firstN2.resolve(NodeClassData.OWN_KEY)).doesNotExist();

    // Nothing to share while no node has written its cache.
    assertThat(data.share(List.of(first))).isEmpty();
    Files.writeString(first.resolve("classes.aot"), "cache of n1");
    assertThat(data.share(List.of(first))).get().asString().contains("shared");
    Path sharedCache = shared.resolve("node-" + key + ".aot");
    assertThat(sharedCache).hasContent("cache of n1");

    // The same jars copied into another cluster's folder: the same key, so the shared cache.
    Path second = dir.resolve("second/n1");
    Path secondJar = jar(dir.resolve("second/classpath"), "000-a.jar");
    assertThat(data.flags(second, FLAGS, secondJar.toString(), 25))
        .contains("-XX:AOTCache=" + sharedCache)
        .noneMatch(flag -> flag.startsWith("-XX:AOTCacheOutput"));
    assertThat(second.resolve(NodeClassData.OWN_KEY)).doesNotExist();

    // Other flags or another build make another key: that node records its own.
    assertThat(data.flags(second, List.of("-Xmx1g"), secondJar.toString(), 25))
        .contains("-XX:AOTCacheOutput=" + second.resolve("classes.aot"));
    Path rebuilt = jar(dir.resolve("third/classpath"), "000-a.jar");
    Files.writeString(rebuilt, "jaR");
    Files.setLastModifiedTime(rebuilt, BUILT);
    Path third = dir.resolve("third/n1");
    assertThat(data.flags(third, FLAGS, rebuilt.toString(), 25))
        .contains("-XX:AOTCacheOutput=" + third.resolve("classes.aot"));
    Files.writeString(third.resolve("classes.aot"), "cache of the rebuild");
    assertThat(data.share(List.of(third))).isPresent();
    assertThat(sharedCache).hasContent("cache of n1");

    // Only the caches used last are kept: mapping one counts as a use.
    Files.setLastModifiedTime(sharedCache, FileTime.fromMillis(BUILT.toMillis()));
    Path rebuiltShared = shared.resolve("node-"
        + Files.readString(third.resolve(NodeClassData.OWN_KEY)).strip() + ".aot");
    Files.setLastModifiedTime(rebuiltShared, FileTime.fromMillis(BUILT.toMillis() - 1_000));
    Path fourth = dir.resolve("fourth/n1");
    assertThat(data.flags(fourth, FLAGS, jar(dir.resolve("fourth/classpath"), "000-a.jar")
        .toString(), 25)).contains("-XX:AOTCache=" + sharedCache);
    assertThat(Files.getLastModifiedTime(sharedCache).toMillis())
        .isGreaterThan(BUILT.toMillis());
    for (int build = 5; build < 4 + NodeClassData.SHARED_KEPT; build++) {
      Path node = dir.resolve("build" + build + "/n1");
      Path jar = jar(dir.resolve("build" + build + "/classpath"), "000-a.jar");
      Files.writeString(jar, "jar of build " + build);
      data.flags(node, FLAGS, jar.toString(), 25);
      Files.writeString(node.resolve("classes.aot"), "cache of build " + build);
      assertThat(data.share(List.of(node))).isPresent();
    }
    assertThat(sharedCache).exists();
    assertThat(rebuiltShared).doesNotExist();
    try (var files = Files.list(shared)) {
      assertThat(files.toList()).hasSize(NodeClassData.SHARED_KEPT);
    }
  }

  @Test
  void aCacheTheJvmDidNotFinishIsNotShared() throws Exception {
    Path shared = dir.resolve("shared");
    NodeClassData data = new NodeClassData(shared);
    Path node = dir.resolve("n1");
    Path jar = jar(dir.resolve("classpath"), "000-a.jar");
    data.flags(node, FLAGS, jar.toString(), 25);
    Files.writeString(node.resolve("classes.aot"), "half a cache");
    Files.writeString(node.resolve("classes.aot.config"), "the training run's record");
    assertThat(data.share(List.of(node))).isEmpty();
    assertThat(shared).doesNotExist();
  }

  @Test
  void theKeyFollowsTheJarsContentAndTheFlagsButNotTheirFolderOrTime() throws Exception {
    Path a = jar(dir.resolve("a"), "000-x.jar");
    Path b = jar(dir.resolve("b"), "000-x.jar");
    String key = NodeClassData.key("25.0.1", FLAGS, a.toString());
    assertThat(NodeClassData.key("25.0.1", FLAGS, b.toString())).isEqualTo(key);
    Files.setLastModifiedTime(b, FileTime.fromMillis(BUILT.toMillis() + 1_000));
    assertThat(NodeClassData.key("25.0.1", FLAGS, b.toString())).isEqualTo(key);
    assertThat(NodeClassData.key("25.0.2", FLAGS, a.toString())).isNotEqualTo(key);
    assertThat(NodeClassData.key("25.0.1", List.of(), a.toString())).isNotEqualTo(key);
    Files.writeString(b, "jaR");
    assertThat(NodeClassData.key("25.0.1", FLAGS, b.toString())).isNotEqualTo(key);
    Path renamed = jar(dir.resolve("c"), "001-x.jar");
    assertThat(NodeClassData.key("25.0.1", FLAGS, renamed.toString())).isNotEqualTo(key);
  }

  /**
   * What sharing rests on: the JVM maps a cache recorded by a run whose jars were in another
   * folder, and takes the application's classes from it. {@code -XX:AOTMode=on} makes a JVM that
   * cannot map the cache fail.
   */
  @Test
  void theJvmMapsACacheRecordedWithTheSameJarsInAnotherFolder() throws Exception {
    assumeTrue(Runtime.version().feature() >= 25, "AOT caches need JDK 25");
    Path source = Files.writeString(dir.resolve("Hello.java"),
        "public class Hello { public static void main(String[] a) {"
            + " System.out.println(java.util.List.of(a.length)); } }");
    assertThat(ToolProvider.getSystemJavaCompiler()
        .run(null, null, null, "-d", dir.resolve("classes").toString(), source.toString()))
        .isZero();
    Path first = helloJar(dir.resolve("first"));
    Path second = Files.createDirectories(dir.resolve("second")).resolve(first.getFileName());
    Files.copy(first, second);
    Files.setLastModifiedTime(second, Files.getLastModifiedTime(first));
    Path cache = dir.resolve("hello.aot");

    assertThat(java("-XX:AOTCacheOutput=" + cache, "-cp", first.toString(), "Hello")).isZero();
    assertThat(cache).isRegularFile();
    assertThat(java("-XX:AOTCache=" + cache, "-XX:AOTMode=on", "-Xlog:class+load=info",
        "-cp", second.toString(), "Hello")).isZero();
    assertThat(Files.readString(dir.resolve("java.log")))
        .containsPattern("Hello source: shared objects file");
  }

  private Path helloJar(Path folder) throws IOException {
    Path jar = Files.createDirectories(folder).resolve("000-hello.jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
      out.putNextEntry(new JarEntry("Hello.class"));
      out.write(Files.readAllBytes(dir.resolve("classes/Hello.class")));
      out.closeEntry();
    }
    Files.setLastModifiedTime(jar, BUILT);
    return jar;
  }

  private int java(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(args));
    Path log = dir.resolve("java.log");
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    try (OutputStream stdin = process.getOutputStream()) {
      // No input.
    }
    assertThat(process.waitFor(60, TimeUnit.SECONDS))
        .as("java %s", String.join(" ", args)).isTrue();
    System.out.println(Files.readString(log, StandardCharsets.UTF_8));
    return process.exitValue();
  }
}
