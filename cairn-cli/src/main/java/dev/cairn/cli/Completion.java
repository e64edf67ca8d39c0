package dev.cairn.cli;

import dev.cairn.client.CairnException;
import dev.cairn.client.FileStatus;
import java.util.List;
import java.util.function.Supplier;
import org.jline.builtins.Completers;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/**
 * Tab completion for the interactive shell: command names first, then remote paths (listing the
 * directory being typed through the client) or local paths, as {@link Verb} says for each
 * argument. A cluster that does not answer simply yields no candidates.
 */
final class Completion implements Completer {
  private final FileStore store;
  private final Supplier<String> cwd;
  private final Completer localFiles = new Completers.FileNameCompleter();

  Completion(FileStore store, Supplier<String> cwd) {
    this.store = store;
    this.cwd = cwd;
  }

  @Override
  public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
    if (line.wordIndex() == 0) {
      for (String name : Verb.allNames()) {
        candidates.add(new Candidate(name));
      }
      return;
    }
    Verb verb = Verb.lookup(line.words().get(0));
    if (verb == null) {
      return;
    }
    int argIndex = 0;
    for (String word : line.words().subList(1, line.wordIndex())) {
      if (!word.startsWith("-")) {
        argIndex++;
      }
    }
    switch (verb.argKind(argIndex)) {
      case REMOTE -> remotePaths(line.word().substring(0, line.wordCursor()), candidates);
      case LOCAL -> localFiles.complete(reader, line, candidates);
      case NONE -> {}
    }
  }

  /** Candidates for a partly typed remote path: entries of its directory matching the rest. */
  void remotePaths(String typed, List<Candidate> candidates) {
    int slash = typed.lastIndexOf('/');
    String dirPart = typed.substring(0, slash + 1);
    String prefix = typed.substring(slash + 1);
    String dir = RemotePaths.resolve(cwd.get(), dirPart);
    List<FileStatus> entries;
    try {
      entries = store.list(dir);
    } catch (CairnException | RuntimeException e) {
      return;
    }
    for (FileStatus entry : entries) {
      if (entry.name().startsWith(prefix)) {
        String display = entry.directory() ? entry.name() + "/" : entry.name();
        // A directory is not complete: the user goes on typing inside it, so no space follows.
        candidates.add(new Candidate(dirPart + display, display, null, null, null, null,
            !entry.directory()));
      }
    }
  }
}
