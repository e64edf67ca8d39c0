package dev.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class EditorSessionTest {
  private final FakeFileStore store = new FakeFileStore();
  private final AtomicReference<Path> edited = new AtomicReference<>();

  private EditorSession session(EditorSession.EditorLauncher launcher) {
    return new EditorSession(store, Map.of("EDITOR", "my-editor"), (editor, file) -> {
      edited.set(file);
      return launcher.edit(editor, file);
    });
  }

  private static EditorSession.EditorLauncher writing(String text) {
    return (editor, file) -> {
      Files.writeString(file, text);
      return 0;
    };
  }

  private static Path keptFile(String message) {
    Matcher m = Pattern.compile("kept in (\\S+)").matcher(message);
    assertThat(m.find()).as(message).isTrue();
    return Path.of(m.group(1));
  }

  @Test
  void editorChoice() {
    assertThat(EditorSession.editorCommand(Map.of("VISUAL", "code --wait", "EDITOR", "nano")))
        .isEqualTo("code --wait");
    assertThat(EditorSession.editorCommand(Map.of("EDITOR", "nano"))).isEqualTo("nano");
    assertThat(EditorSession.editorCommand(Map.of("VISUAL", " "))).isEqualTo("vi");
  }

  @Test
  void editsTheCurrentContentAndSavesAgainstItsVersion() throws Exception {
    store.write("/f", new ByteArrayInputStream("old\n".getBytes()));
    String result = session((editor, file) -> {
      assertThat(Files.readString(file)).isEqualTo("old\n");
      assertThat(editor).isEqualTo("my-editor");
      Files.writeString(file, "new\n");
      return 0;
    }).write("/f");
    assertThat(result).isEqualTo("saved /f (4 B, version 2)");
    assertThat(store.content("/f")).isEqualTo("new\n");
    assertThat(edited.get()).doesNotExist();
  }

  @Test
  void createsANewFile() throws Exception {
    assertThat(session(writing("fresh")).write("/new")).startsWith("saved /new");
    assertThat(store.content("/new")).isEqualTo("fresh");
  }

  @Test
  void unchangedMeansNoWrite() throws Exception {
    store.write("/f", new ByteArrayInputStream("same".getBytes()));
    assertThat(session((e, f) -> 0).write("/f")).isEqualTo("no change");
    assertThat(store.stat("/f").version()).isEqualTo(1);
    assertThat(session((e, f) -> 0).write("/absent")).contains("not created");
    assertThat(store.has("/absent")).isFalse();
    assertThat(edited.get()).doesNotExist();
  }

  @Test
  void aConcurrentChangeIsAConflictAndKeepsTheUsersText() throws Exception {
    store.write("/f", new ByteArrayInputStream("v1".getBytes()));
    EditorSession session = session((editor, file) -> {
      // Someone else saves while the editor is open.
      store.write("/f", new ByteArrayInputStream("theirs".getBytes()));
      Files.writeString(file, "mine");
      return 0;
    });
    assertThatThrownBy(() -> session.write("/f"))
        .isInstanceOf(OperationException.class)
        .hasMessageContaining("changed by someone else")
        .satisfies(e -> {
          Path kept = keptFile(e.getMessage());
          assertThat(kept).isEqualTo(edited.get());
          assertThat(Files.readString(kept)).isEqualTo("mine");
          Files.delete(kept);
        });
    assertThat(store.content("/f")).isEqualTo("theirs");
  }

  @Test
  void aFileCreatedMeanwhileIsAConflictToo() throws Exception {
    EditorSession session = session((editor, file) -> {
      store.write("/f", new ByteArrayInputStream("theirs".getBytes()));
      Files.writeString(file, "mine");
      return 0;
    });
    assertThatThrownBy(() -> session.write("/f"))
        .hasMessageContaining("changed by someone else")
        .satisfies(e -> Files.delete(keptFile(e.getMessage())));
    assertThat(store.content("/f")).isEqualTo("theirs");
  }

  @Test
  void aFailingEditorSavesNothingAndKeepsTheFile() throws Exception {
    store.write("/f", new ByteArrayInputStream("v1".getBytes()));
    EditorSession session = session((editor, file) -> {
      Files.writeString(file, "half done");
      return 3;
    });
    assertThatThrownBy(() -> session.write("/f"))
        .hasMessageContaining("exited with status 3")
        .satisfies(e -> {
          Path kept = keptFile(e.getMessage());
          assertThat(Files.readString(kept, StandardCharsets.UTF_8)).isEqualTo("half done");
          Files.delete(kept);
        });
    assertThat(store.content("/f")).isEqualTo("v1");
  }

  @Test
  void appendAddsWhatWasWritten() throws Exception {
    store.write("/f", new ByteArrayInputStream("a\n".getBytes()));
    assertThat(session(writing("b\n")).append("/f"))
        .isEqualTo("appended 2 B to /f (4 B, version 2)");
    assertThat(store.content("/f")).isEqualTo("a\nb\n");
    assertThat(session((e, f) -> 0).append("/f")).isEqualTo("nothing to append");
    assertThat(edited.get()).doesNotExist();
  }

  @Test
  void appendToAMissingFileFailsBeforeTheEditorOpens() {
    assertThatThrownBy(() -> session(writing("x")).append("/missing"))
        .hasMessageContaining("no such file");
    assertThat(edited.get()).isNull();
  }

  @Test
  void aDirectoryCannotBeEdited() throws Exception {
    store.mkdir("/d", false);
    assertThatThrownBy(() -> session(writing("x")).write("/d")).hasMessage("is a directory");
  }

  @Test
  void theRealLauncherRunsTheEditorThroughSh(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path file = Files.writeString(dir.resolve("it's a file.txt"), "");
    int exit = EditorSession.processLauncher(Map.of("WORD", "hi"), false)
        .edit("printf '%s' \"$WORD\" >", file);
    assertThat(exit).isZero();
    assertThat(Files.readString(file)).isEqualTo("hi");
  }
}
