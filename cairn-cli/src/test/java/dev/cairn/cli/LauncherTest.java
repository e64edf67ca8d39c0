package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the ./cairn launcher picks a JDK, with fake JDKs whose java prints a version (or whose
 * release file gives it): JAVA_HOME if it is 21+, then java on PATH, then the newest 21+ in the
 * install folders, else one clear line.
 */
class LauncherTest {
  @TempDir Path temp;

  private Path launcher;
  private Path bin;

  private record Result(int exit, String out, String err) {}

  @BeforeEach
  void findLauncher() throws IOException {
    // Surefire runs in the module's directory; the launcher is at the repository's root.
    launcher = Path.of("").toAbsolutePath().getParent().resolve("cairn");
    assumeThat(launcher).isRegularFile();
    bin = Files.createDirectories(temp.resolve("bin"));
  }

  private Path fakeJdk(String name, String version, boolean withJavac) throws IOException {
    Path home = temp.resolve("jvm").resolve(name);
    Path homeBin = Files.createDirectories(home.resolve("bin"));
    executable(homeBin.resolve("java"),
        "#!/bin/sh\necho 'openjdk version \"" + version + "\" 2025-01-01' >&2\n");
    if (withJavac) {
      executable(homeBin.resolve("javac"), "#!/bin/sh\nexit 0\n");
    }
    return home;
  }

  private static void executable(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** Puts {@code home}'s java first on PATH, through a symlink as Debian's alternatives do. */
  private void onPath(Path home) throws IOException {
    Files.createSymbolicLink(bin.resolve("java"), home.resolve("bin/java"));
  }

  private Result javaHome(Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", launcher.toString(), "java-home");
    pb.environment().remove("JAVA_HOME");
    pb.environment().put("PATH", bin + ":/usr/bin:/bin");
    pb.environment().put("CAIRN_JDK_DIRS", temp.resolve("jvm") + "/*");
    pb.environment().putAll(env);
    Path out = temp.resolve("out");
    Path err = temp.resolve("err");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process process = pb.start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void javaHomeWinsWhenItIsNewEnough() throws Exception {
    Path jdk22 = fakeJdk("jdk22", "22.0.1", true);
    onPath(fakeJdk("jdk17", "17.0.9", true));
    fakeJdk("jdk25", "25", true);
    Result r = javaHome(Map.of("JAVA_HOME", jdk22.toString()));
    assertThat(r.out().strip()).isEqualTo(jdk22 + " (Java 22)");
  }

  @Test
  void javaOnPathComesBeforeTheFolders() throws Exception {
    Path jdk21 = fakeJdk("jdk21", "21.0.4", true);
    onPath(jdk21);
    fakeJdk("jdk25", "25", true);
    Result r = javaHome(Map.of("JAVA_HOME", fakeJdk("old", "1.8.0_392", true).toString()));
    assertThat(r.out().strip()).isEqualTo(jdk21 + " (Java 21)");
  }

  @Test
  void otherwiseTheNewestJdkInTheFolders() throws Exception {
    Path jdk17 = fakeJdk("jdk17", "17.0.9", true);
    onPath(jdk17);
    fakeJdk("jdk21", "21.0.4", true);
    Path jdk25 = fakeJdk("jdk25", "25-ea", true);
    fakeJdk("jre30", "30", false); // a runtime without javac cannot build Cairn
    Result r = javaHome(Map.of("JAVA_HOME", jdk17.toString()));
    assertThat(r.exit()).isZero();
    assertThat(r.out().strip()).isEqualTo(jdk25 + " (Java 25)");
  }

  @Test
  void theReleaseFileSaysTheVersionWithoutStartingJava() throws Exception {
    Path jdk23 = temp.resolve("jvm").resolve("jdk23");
    Path homeBin = Files.createDirectories(jdk23.resolve("bin"));
    // A java that cannot run: only the release file can tell this JDK's version.
    executable(homeBin.resolve("java"), "#!/bin/sh\nexit 1\n");
    executable(homeBin.resolve("javac"), "#!/bin/sh\nexit 0\n");
    Files.writeString(jdk23.resolve("release"),
        "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"23.0.2\"\n", StandardCharsets.UTF_8);
    onPath(fakeJdk("jdk17", "17.0.9", true));
    Result r = javaHome(Map.of("JAVA_HOME", jdk23.toString()));
    assertThat(r.exit()).isZero();
    assertThat(r.out().strip()).isEqualTo(jdk23 + " (Java 23)");
  }

  /**
   * The JVM flags the launcher gives a command: a copy of the launcher in a folder laid out as a
   * build, with a JDK 25 whose java prints its arguments. The command line's AOT cache is mapped
   * only while no jar is newer than it: JDK 25 would run the cached classes of an older build.
   */
  @Test
  void aCommandRunsWithoutC2AndMapsTheCommandLinesCacheOnlyWhileItIsNewerThanTheJars()
      throws Exception {
    Path home = Files.createDirectories(temp.resolve("cairn-home"));
    Files.copy(launcher, home.resolve("cairn"));
    Path target = Files.createDirectories(home.resolve("cairn-cli/target/lib"));
    Path jar = Files.writeString(target.resolveSibling("cairn-cli-0.1.0-SNAPSHOT.jar"), "jar");
    Path lib = Files.writeString(target.resolve("dep.jar"), "dep");
    Path cache = Files.writeString(target.resolveSibling("cli.aot"), "cache");
    long built = System.currentTimeMillis() - 60_000;
    Files.setLastModifiedTime(jar, FileTime.fromMillis(built));
    Files.setLastModifiedTime(lib, FileTime.fromMillis(built));
    Files.setLastModifiedTime(target, FileTime.fromMillis(built));
    Files.setLastModifiedTime(cache, FileTime.fromMillis(built + 1_000));
    Files.writeString(home.resolve(".build-stamp"), "");
    Path jdk = temp.resolve("jvm").resolve("jdk25");
    Path jdkBin = Files.createDirectories(jdk.resolve("bin"));
    executable(jdkBin.resolve("java"), "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
    executable(jdkBin.resolve("javac"), "#!/bin/sh\nexit 0\n");
    Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");

    List<String> args = commandArgs(home, jdk);
    assertThat(args).contains("-XX:TieredStopAtLevel=1", "-XX:AOTCache=" + cache.toRealPath())
        .doesNotContain("-XX:CompileThresholdScaling=0.2");

    Files.setLastModifiedTime(lib, FileTime.fromMillis(built + 2_000));
    assertThat(commandArgs(home, jdk)).contains("-XX:TieredStopAtLevel=1")
        .noneMatch(arg -> arg.startsWith("-XX:AOTCache"));
  }

  private List<String> commandArgs(Path home, Path jdk) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", home.resolve("cairn").toString(), "ls", "/");
    pb.environment().put("JAVA_HOME", jdk.toString());
    pb.environment().remove("CAIRN_JAVA_OPTS");
    Path out = temp.resolve("args");
    pb.redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
    Process process = pb.start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isZero();
    return Files.readAllLines(out);
  }

  @Test
  void noJdkIsOneClearLine() throws Exception {
    Path jdk17 = fakeJdk("jdk17", "17.0.9", true);
    onPath(jdk17);
    Result r = javaHome(Map.of("JAVA_HOME", jdk17.toString()));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    List<String> lines = r.err().strip().lines().toList();
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0))
        .startsWith("cairn: Cairn needs a JDK 21 or newer")
        .contains("Java 17")
        .contains("JAVA_HOME");
  }
}
