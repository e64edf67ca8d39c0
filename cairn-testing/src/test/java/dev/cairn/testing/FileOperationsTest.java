package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import dev.cairn.client.CairnInputStream;
import dev.cairn.client.ConflictException;
import dev.cairn.client.ErrorCode;
import dev.cairn.client.FileStatus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every operation of the client against a real three-node cluster, and every kind of bad input.
 * One cluster serves the whole class; each test works in a directory named after itself.
 */
@Timeout(120)
class FileOperationsTest {
  private static final int BLOCK = 64 * 1024;
  private static final int INLINE = 8 * 1024;

  private static MiniCluster cluster;
  private static CairnClient client;

  private String dir;

  @BeforeAll
  static void startCluster() {
    cluster = MiniCluster.builder().nodes(3).blockSize(BLOCK).inlineThreshold(INLINE).build();
    cluster.start();
    client = cluster.newClient();
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
  }

  @BeforeEach
  void makeTestDirectory(TestInfo test) throws IOException {
    dir = "/" + test.getTestMethod().orElseThrow().getName();
    client.mkdir(dir, true);
  }

  // ------------------------------------------------------------------------------ mkdir, create

  @Test
  void mkdirCreatesADirectory() throws IOException {
    FileStatus made = client.mkdir(dir + "/d", false);

    assertThat(made.directory()).isTrue();
    assertThat(made.path()).isEqualTo(dir + "/d");
    assertThat(client.stat(dir + "/d").directory()).isTrue();
    assertThat(client.list(dir + "/d")).isEmpty();
  }

  @Test
  void mkdirWithParentsCreatesEveryMissingAncestor() throws IOException {
    client.mkdir(dir + "/a/b/c", true);

    assertThat(client.stat(dir + "/a").directory()).isTrue();
    assertThat(client.stat(dir + "/a/b").directory()).isTrue();
    assertThat(client.stat(dir + "/a/b/c").directory()).isTrue();
    // With parents, an existing directory is no error.
    assertThat(client.mkdir(dir + "/a/b", true).directory()).isTrue();
    assertThat(client.list(dir + "/a/b")).extracting(FileStatus::name).containsExactly("c");
  }

  @Test
  void mkdirWithoutParentsNeedsTheParent() {
    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND, () -> client.mkdir(dir + "/x/y", false));
  }

  @Test
  void mkdirOfAnExistingEntryWithoutParentsIsAlreadyExists() throws IOException {
    client.mkdir(dir + "/d", false);
    client.create(dir + "/f");

    assertFailsAndChangesNothing(ErrorCode.ALREADY_EXISTS, () -> client.mkdir(dir + "/d", false));
    assertFailsAndChangesNothing(ErrorCode.ALREADY_EXISTS, () -> client.mkdir(dir + "/f", false));
  }

  @Test
  void createMakesAnEmptyFile() throws IOException {
    FileStatus created = client.create(dir + "/empty");

    assertThat(created.directory()).isFalse();
    assertThat(created.size()).isZero();
    assertThat(client.readAllBytes(dir + "/empty")).isEmpty();
    assertThat(client.exists(dir + "/empty")).isTrue();
    assertThat(client.exists(dir + "/other")).isFalse();
  }

  @Test
  void createOfAnExistingEntryIsAlreadyExists() throws IOException {
    client.write(dir + "/f", bytes("keep me"));
    client.mkdir(dir + "/d", false);

    assertFailsAndChangesNothing(ErrorCode.ALREADY_EXISTS, () -> client.create(dir + "/f"));
    assertThat(client.readAllBytes(dir + "/f")).isEqualTo(bytes("keep me"));
  }

  /** CairnClient.create: "ALREADY_EXISTS if the path exists", whatever is there. */
  @Test
  void createOfAnExistingDirectoryIsAlreadyExists() throws IOException {
    client.mkdir(dir + "/d", false);

    assertFailsAndChangesNothing(ErrorCode.ALREADY_EXISTS, () -> client.create(dir + "/d"));
  }

  // ------------------------------------------------------------------------------ write, read

  /** Sizes around the inline threshold and the block size, and a file of several blocks. */
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 100, INLINE - 1, INLINE, INLINE + 1, BLOCK - 1, BLOCK, BLOCK + 1,
      5 * BLOCK + 123})
  void writeThenReadReturnsTheSameBytes(int size) throws IOException {
    String path = dir + "/f" + size;
    byte[] data = SeededContent.bytes(size, size);

    FileStatus written = client.write(path, data);

    assertThat(written.size()).isEqualTo(size);
    assertThat(written.version()).isPositive();
    assertThat(client.stat(path).size()).isEqualTo(size);
    assertThat(client.readAllBytes(path)).isEqualTo(data);
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    assertThat(client.read(path, copy).version()).isEqualTo(written.version());
    assertThat(copy.toByteArray()).isEqualTo(data);
    try (CairnInputStream in = client.open(path)) {
      assertThat(in.status().size()).isEqualTo(size);
      assertThat(readInOddPieces(in)).isEqualTo(data);
    }
    if (size > INLINE) {
      List<MiniCluster.BlockLocation> blocks = cluster.blocksOf(path);
      assertThat(blocks).as("blocks of a %d-byte file", size)
          .hasSize((size + BLOCK - 1) / BLOCK);
      assertThat(blocks).allSatisfy(b -> assertThat(b.replicas()).hasSize(3));
      assertThat(blocks.stream().mapToLong(MiniCluster.BlockLocation::length).sum())
          .isEqualTo(size);
    }
  }

  @Test
  void writeFromAStreamReadsItToTheEnd() throws IOException {
    byte[] data = SeededContent.bytes(7, 3 * BLOCK + 5);
    InputStream in = new ByteArrayInputStream(data);

    client.write(dir + "/streamed", in);

    assertThat(in.read()).as("the stream was read to its end").isEqualTo(-1);
    assertThat(client.readAllBytes(dir + "/streamed")).isEqualTo(data);
  }

  @Test
  void anOpenStreamKeepsReadingTheVersionCurrentAtOpen() throws IOException {
    byte[] first = SeededContent.bytes(1, 4 * BLOCK);
    byte[] second = SeededContent.bytes(2, 3 * BLOCK);
    client.write(dir + "/f", first);

    try (CairnInputStream in = client.open(dir + "/f")) {
      byte[] head = in.readNBytes(1000);
      client.write(dir + "/f", second);
      byte[] rest = in.readAllBytes();

      ByteArrayOutputStream whole = new ByteArrayOutputStream();
      whole.write(head);
      whole.write(rest);
      assertThat(whole.toByteArray()).isEqualTo(first);
    }
    assertThat(client.readAllBytes(dir + "/f")).isEqualTo(second);
  }

  @Test
  void overwriteReplacesTheContentAndRaisesTheVersion() throws IOException {
    String path = dir + "/f";
    byte[] big = SeededContent.bytes(3, 3 * BLOCK + 17);
    byte[] small = bytes("small now");
    byte[] bigAgain = SeededContent.bytes(4, 2 * BLOCK);

    long v1 = client.write(path, big).version();
    long v2 = client.write(path, small).version();
    assertThat(client.readAllBytes(path)).isEqualTo(small);
    long v3 = client.write(path, bigAgain).version();

    assertThat(client.readAllBytes(path)).isEqualTo(bigAgain);
    assertThat(client.stat(path).size()).isEqualTo(bigAgain.length);
    assertThat(v2).isGreaterThan(v1);
    assertThat(v3).isGreaterThan(v2);
  }

  @Test
  void appendAddsToTheEndInlineAndInBlocks() throws IOException {
    String path = dir + "/log";
    client.create(path);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    long version = client.stat(path).version();
    // Small appends that stay inline, appends that cross into blocks, one of exactly a block.
    int[] sizes = {10, 100, INLINE, 100 * 1024, 5, BLOCK, 2 * BLOCK + 3, 1};
    for (int i = 0; i < sizes.length; i++) {
      byte[] piece = SeededContent.bytes(100 + i, sizes[i]);
      expected.write(piece);

      FileStatus after = client.append(path, new ByteArrayInputStream(piece));

      assertThat(after.size()).as("size after append %d", i).isEqualTo(expected.size());
      assertThat(after.version()).as("version after append %d", i).isGreaterThan(version);
      version = after.version();
      assertThat(client.readAllBytes(path)).as("content after append %d", i)
          .isEqualTo(expected.toByteArray());
    }
  }

  @Test
  void appendToAFileWrittenInline() throws IOException {
    client.write(dir + "/f", bytes("head|"));

    client.append(dir + "/f", new ByteArrayInputStream(bytes("tail")));

    assertThat(client.readAllBytes(dir + "/f")).isEqualTo(bytes("head|tail"));
  }

  // ------------------------------------------------------------------------------ writeIfVersion

  @Test
  void writeIfVersionReplacesWhenTheVersionMatches() throws IOException {
    FileStatus v1 = client.write(dir + "/f", bytes("one"));

    FileStatus v2 =
        client.writeIfVersion(dir + "/f", v1.version(), new ByteArrayInputStream(bytes("two")));

    assertThat(v2.version()).isGreaterThan(v1.version());
    assertThat(client.readAllBytes(dir + "/f")).isEqualTo(bytes("two"));
  }

  @Test
  void writeIfVersionWithAStaleVersionIsAConflictAndWritesNothing() throws IOException {
    FileStatus v1 = client.write(dir + "/f", bytes("one"));
    FileStatus v2 = client.write(dir + "/f", bytes("two"));
    byte[] big = SeededContent.bytes(5, 2 * BLOCK);

    Map<String, String> before = snapshot();
    Throwable thrown =
        catchThrowable(() -> client.writeIfVersion(dir + "/f", v1.version(),
            new ByteArrayInputStream(big)));

    assertThat(thrown).isInstanceOfSatisfying(ConflictException.class, conflict -> {
      assertThat(conflict.code()).isEqualTo(ErrorCode.CONFLICT);
      assertThat(conflict.expectedVersion()).isEqualTo(v1.version());
      assertThat(conflict.isRetryable()).isFalse();
    });
    assertThat(snapshot()).isEqualTo(before);
    assertThat(client.readAllBytes(dir + "/f")).isEqualTo(bytes("two"));
    assertThat(client.stat(dir + "/f").version()).isEqualTo(v2.version());
  }

  // ------------------------------------------------------------------------------ stat, list

  @Test
  void statDescribesFilesAndDirectories() throws IOException {
    Instant before = Instant.now().minusSeconds(5);
    client.mkdir(dir + "/d", false);
    client.create(dir + "/d/one");
    client.create(dir + "/d/two");
    FileStatus written = client.write(dir + "/big", SeededContent.bytes(6, 2 * BLOCK + 1));
    Instant after = Instant.now().plusSeconds(5);

    FileStatus file = client.stat(dir + "/big");
    assertThat(file.path()).isEqualTo(dir + "/big");
    assertThat(file.name()).isEqualTo("big");
    assertThat(file.directory()).isFalse();
    assertThat(file.size()).isEqualTo(2 * BLOCK + 1);
    assertThat(file.version()).isEqualTo(written.version());
    assertThat(file.replication()).isEqualTo(3);
    assertThat(file.modified()).isBetween(before, after);

    FileStatus directory = client.stat(dir + "/d");
    assertThat(directory.directory()).isTrue();
    assertThat(directory.children()).isEqualTo(2);
    assertThat(directory.name()).isEqualTo("d");

    assertThat(client.stat("/").directory()).isTrue();
  }

  @Test
  void listReturnsEntriesSortedByName() throws IOException {
    for (String name : List.of("b", "a1", "z", "C", "a", "0")) {
      client.create(dir + "/" + name);
    }
    client.mkdir(dir + "/m", false);

    List<FileStatus> entries = client.list(dir);

    assertThat(entries).extracting(FileStatus::name)
        .containsExactly("0", "C", "a", "a1", "b", "m", "z");
    assertThat(entries).extracting(FileStatus::path)
        .allSatisfy(p -> assertThat(p).startsWith(dir + "/"));
    assertThat(entries).filteredOn(FileStatus::directory).extracting(FileStatus::name)
        .containsExactly("m");
  }

  @Test
  void listOfTheRootShowsTopLevelEntries() throws IOException {
    assertThat(client.list("/")).extracting(FileStatus::path).contains(dir);
  }

  // ------------------------------------------------------------------------------ rename

  @Test
  void renameMovesAFile() throws IOException {
    byte[] data = SeededContent.bytes(8, 2 * BLOCK + 9);
    client.write(dir + "/old", data);

    FileStatus moved = client.rename(dir + "/old", dir + "/new");

    assertThat(moved.path()).isEqualTo(dir + "/new");
    assertThat(client.exists(dir + "/old")).isFalse();
    assertThat(client.readAllBytes(dir + "/new")).isEqualTo(data);
  }

  @Test
  void renameMovesADirectoryWithEverythingInIt() throws IOException {
    client.mkdir(dir + "/src/sub", true);
    client.write(dir + "/src/a", bytes("a"));
    client.write(dir + "/src/sub/b", SeededContent.bytes(9, BLOCK + 1));

    client.rename(dir + "/src", dir + "/dst");

    assertThat(client.exists(dir + "/src")).isFalse();
    assertThat(client.list(dir + "/dst")).extracting(FileStatus::name).containsExactly("a", "sub");
    assertThat(client.readAllBytes(dir + "/dst/a")).isEqualTo(bytes("a"));
    assertThat(client.readAllBytes(dir + "/dst/sub/b")).isEqualTo(SeededContent.bytes(9, BLOCK + 1));
  }

  @Test
  void renameIntoAnExistingDirectoryMovesInsideIt() throws IOException {
    client.mkdir(dir + "/target", false);
    client.write(dir + "/file", bytes("file"));
    client.mkdir(dir + "/folder", false);
    client.write(dir + "/folder/inner", bytes("inner"));

    FileStatus file = client.rename(dir + "/file", dir + "/target");
    FileStatus folder = client.rename(dir + "/folder", dir + "/target");

    assertThat(file.path()).isEqualTo(dir + "/target/file");
    assertThat(folder.path()).isEqualTo(dir + "/target/folder");
    assertThat(client.list(dir)).extracting(FileStatus::name).containsExactly("target");
    assertThat(client.readAllBytes(dir + "/target/file")).isEqualTo(bytes("file"));
    assertThat(client.readAllBytes(dir + "/target/folder/inner")).isEqualTo(bytes("inner"));
  }

  @Test
  void renameOfADirectoryIntoItselfIsInvalid() throws IOException {
    client.mkdir(dir + "/d/sub", true);

    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT,
        () -> client.rename(dir + "/d", dir + "/d/sub"));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT,
        () -> client.rename(dir + "/d", dir + "/d/sub/deeper"));
  }

  @Test
  void renameOfAnEntryOntoItselfChangesNothing() throws IOException {
    client.mkdir(dir + "/d/sub", true);
    client.write(dir + "/f", bytes("f"));
    Map<String, String> before = snapshot();

    // As rename(2) does, a move to where the entry already is succeeds and does nothing.
    assertThat(client.rename(dir + "/d", dir + "/d").path()).isEqualTo(dir + "/d");
    assertThat(client.rename(dir + "/f", dir + "/f").path()).isEqualTo(dir + "/f");
    assertThat(client.rename(dir + "/f", dir).path()).isEqualTo(dir + "/f");

    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void renameOntoAnExistingFileIsAlreadyExists() throws IOException {
    client.write(dir + "/a", bytes("a"));
    client.write(dir + "/b", bytes("b"));

    assertFailsAndChangesNothing(ErrorCode.ALREADY_EXISTS,
        () -> client.rename(dir + "/a", dir + "/b"));
    assertThat(client.readAllBytes(dir + "/b")).isEqualTo(bytes("b"));
  }

  @Test
  void renameOfAMissingEntryIsNotFound() throws IOException {
    client.create(dir + "/present");

    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND,
        () -> client.rename(dir + "/absent", dir + "/other"));
    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND,
        () -> client.rename(dir + "/present", dir + "/no/such/dir/x"));
  }

  // ------------------------------------------------------------------------------ delete

  @Test
  void deleteRemovesAFileAndAnEmptyDirectory() throws IOException {
    client.write(dir + "/f", SeededContent.bytes(10, BLOCK + 2));
    client.mkdir(dir + "/d", false);

    client.delete(dir + "/f", false);
    client.delete(dir + "/d", false);

    assertThat(client.exists(dir + "/f")).isFalse();
    assertThat(client.exists(dir + "/d")).isFalse();
    assertThat(client.list(dir)).isEmpty();
    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND, () -> client.stat(dir + "/f"));
  }

  @Test
  void deleteOfANonEmptyDirectoryNeedsRecursive() throws IOException {
    client.mkdir(dir + "/d/sub", true);
    client.write(dir + "/d/sub/f", bytes("x"));
    client.write(dir + "/d/g", SeededContent.bytes(11, BLOCK * 2));

    assertFailsAndChangesNothing(ErrorCode.DIRECTORY_NOT_EMPTY,
        () -> client.delete(dir + "/d", false));
    assertThat(client.readAllBytes(dir + "/d/sub/f")).isEqualTo(bytes("x"));

    client.delete(dir + "/d", true);

    assertThat(client.exists(dir + "/d")).isFalse();
    assertThat(client.exists(dir + "/d/sub/f")).isFalse();
    assertThat(client.list(dir)).isEmpty();
  }

  // ------------------------------------------------------------------------------ bad input

  static Stream<Arguments> invalidPaths() {
    return Stream.of(
        Arguments.of("dot-dot segment", "/bad/../etc"),
        Arguments.of("dot-dot at the end", "/bad/.."),
        Arguments.of("dot segment", "/bad/./x"),
        Arguments.of("empty segment", "/bad//x"),
        Arguments.of("trailing slash", "/bad/x/"),
        Arguments.of("relative path", "bad/x"),
        Arguments.of("empty path", ""),
        Arguments.of("NUL", "/bad/x\u0000y"),
        Arguments.of("newline", "/bad/x\ny"),
        Arguments.of("tab", "/bad/x\ty"),
        Arguments.of("control char U+0001", "/bad/\u0001"),
        Arguments.of("escape U+001B", "/bad/x\u001b[31m"),
        Arguments.of("DEL U+007F", "/bad/x\u007f"),
        Arguments.of("name of 256 bytes", "/bad/" + "n".repeat(256)),
        Arguments.of("name of 256 bytes in 128 two-byte chars", "/bad/" + "é".repeat(128)),
        Arguments.of("path of 4097 bytes", longPath(4097)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidPaths")
  void invalidPathsAreRejectedByEveryOperationAndChangeNothing(String why, String path)
      throws IOException {
    client.write(dir + "/good", bytes("good"));
    String good = dir + "/good";

    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT, () -> client.mkdir(path, false));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT, () -> client.mkdir(path, true));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT, () -> client.create(path));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT, () -> client.write(path, bytes("x")));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT,
        () -> client.write(path, SeededContent.bytes(12, BLOCK + 1)));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT,
        () -> client.append(path, new ByteArrayInputStream(bytes("x"))));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT,
        () -> client.writeIfVersion(path, 1, new ByteArrayInputStream(bytes("x"))));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT, () -> client.stat(path));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT, () -> client.list(path));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT, () -> client.readAllBytes(path));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT, () -> client.delete(path, true));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT, () -> client.rename(good, path));
    assertFailsAndChangesNothing(ErrorCode.INVALID_ARGUMENT, () -> client.rename(path, good));
    assertThat(client.readAllBytes(good)).isEqualTo(bytes("good"));
  }

  @Test
  void aNameOf255BytesAndAPathOf4096BytesAreAccepted() throws IOException {
    String longName = dir + "/" + "é".repeat(127) + "n"; // 255 bytes in UTF-8
    client.write(longName, bytes("long name"));
    assertThat(client.readAllBytes(longName)).isEqualTo(bytes("long name"));

    String longest = longPath(4096);
    client.mkdir(longest.substring(0, longest.lastIndexOf('/')), true);
    client.write(longest, bytes("deep"));
    assertThat(client.readAllBytes(longest)).isEqualTo(bytes("deep"));
  }

  @Test
  void missingEntriesAreNotFound() throws IOException {
    String missing = dir + "/missing";

    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND, () -> client.stat(missing));
    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND, () -> client.readAllBytes(missing));
    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND, () -> client.open(missing).close());
    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND, () -> client.list(missing));
    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND, () -> client.delete(missing, false));
    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND,
        () -> client.append(missing, new ByteArrayInputStream(bytes("x"))));
    assertFailsAndChangesNothing(ErrorCode.NOT_FOUND, () -> client.create(missing + "/child"));
    assertThat(client.exists(missing)).isFalse();
  }

  @Test
  void fileOperationsOnADirectoryAreIsADirectory() throws IOException {
    client.mkdir(dir + "/d", false);

    assertFailsAndChangesNothing(ErrorCode.IS_A_DIRECTORY, () -> client.readAllBytes(dir + "/d"));
    assertFailsAndChangesNothing(ErrorCode.IS_A_DIRECTORY, () -> client.open(dir + "/d").close());
    assertFailsAndChangesNothing(ErrorCode.IS_A_DIRECTORY,
        () -> client.read(dir + "/d", OutputStream.nullOutputStream()));
    assertFailsAndChangesNothing(ErrorCode.IS_A_DIRECTORY,
        () -> client.write(dir + "/d", bytes("x")));
    assertFailsAndChangesNothing(ErrorCode.IS_A_DIRECTORY,
        () -> client.append(dir + "/d", new ByteArrayInputStream(bytes("x"))));
  }

  @Test
  void directoryOperationsUnderAFileAreNotADirectory() throws IOException {
    client.write(dir + "/f", bytes("plain file"));

    assertFailsAndChangesNothing(ErrorCode.NOT_A_DIRECTORY, () -> client.mkdir(dir + "/f/d", false));
    assertFailsAndChangesNothing(ErrorCode.NOT_A_DIRECTORY, () -> client.mkdir(dir + "/f/d", true));
    assertFailsAndChangesNothing(ErrorCode.NOT_A_DIRECTORY, () -> client.create(dir + "/f/x"));
    assertFailsAndChangesNothing(ErrorCode.NOT_A_DIRECTORY,
        () -> client.write(dir + "/f/x", bytes("x")));
    assertThat(client.readAllBytes(dir + "/f")).isEqualTo(bytes("plain file"));
  }

  /** CairnClient.list: "The entries of a directory"; the shell relies on NOT_A_DIRECTORY. */
  @Test
  void listOfAFileIsNotADirectory() throws IOException {
    client.write(dir + "/f", bytes("plain file"));

    assertFailsAndChangesNothing(ErrorCode.NOT_A_DIRECTORY, () -> client.list(dir + "/f"));
  }

  // ------------------------------------------------------------------------------ helpers

  /**
   * Runs a call that must fail with a {@link CairnException} of {@code code}, and checks that the
   * whole namespace (paths, sizes, versions) is the same afterwards.
   */
  private static void assertFailsAndChangesNothing(ErrorCode code, ThrowingCallable call) {
    Map<String, String> before = snapshot();

    Throwable thrown = catchThrowable(call);

    assertThat(thrown).as("expected a CairnException with code %s", code)
        .isInstanceOf(CairnException.class);
    assertThat(((CairnException) thrown).code()).as("code of: %s", thrown).isEqualTo(code);
    assertThat(thrown.getMessage()).as("message of a %s failure", code).isNotBlank();
    assertThat(snapshot()).as("the namespace after a failed call").isEqualTo(before);
  }

  /** Every entry of the namespace, with what identifies its state. */
  private static Map<String, String> snapshot() {
    Map<String, String> entries = new TreeMap<>();
    List<String> pending = new ArrayList<>(List.of("/"));
    try {
      while (!pending.isEmpty()) {
        for (FileStatus entry : client.list(pending.remove(pending.size() - 1))) {
          entries.put(entry.path(), entry.directory()
              ? "dir children=" + entry.children()
              : "file size=" + entry.size() + " version=" + entry.version());
          if (entry.directory()) {
            pending.add(entry.path());
          }
        }
      }
    } catch (IOException e) {
      throw new AssertionError("cannot list the namespace", e);
    }
    return entries;
  }

  /** A path of exactly {@code bytes} bytes, under the test's own top directory. */
  private static String longPath(int bytes) {
    StringBuilder path = new StringBuilder("/aNameOf255BytesAndAPathOf4096BytesAreAccepted");
    while (path.length() < bytes) {
      int left = bytes - path.length() - 1; // one byte for the slash
      int name = Math.min(200, left);
      if (left - name == 1) {
        name -= 1; // leave room for a last name of at least one byte after its slash
      }
      path.append('/').append("p".repeat(name));
    }
    return path.toString();
  }

  private static byte[] readInOddPieces(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[7919];
    int n;
    int turn = 0;
    while ((n = in.read(buffer, 0, 1 + (turn++ * 977) % buffer.length)) >= 0) {
      out.write(buffer, 0, n);
      if (turn % 5 == 0) {
        int single = in.read();
        if (single < 0) {
          break;
        }
        out.write(single);
      }
    }
    return out.toByteArray();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
