package dev.cairn.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The shell's commands: names, aliases, usage and how many arguments of which kind each takes.
 * Parsing a line against this table catches usage errors before anything reaches the cluster, and
 * tab completion reads the argument kinds from it.
 */
enum Verb {
  HELP("help", "", "show this help", 0, 0, "", ""),
  LIST("list", "[DIR]", "list a directory: type, size, version, modified, name", 0, 1, "", "R",
      "ls"),
  CD("cd", "[DIR]", "change the current directory (default /)", 0, 1, "", "R"),
  PWD("pwd", "", "print the current directory", 0, 0, "", ""),
  CREATE("create", "FILE", "create an empty file", 1, 1, "", "R"),
  READ("read", "FILE", "print a file", 1, 1, "", "R", "cat"),
  WRITE("write", "FILE", "edit a file in $VISUAL or $EDITOR and save it as a new version",
      1, 1, "", "R", "edit"),
  APPEND("append", "FILE", "write text in $VISUAL or $EDITOR and add it to the end of a file",
      1, 1, "", "R"),
  DELETE("delete", "[-r] PATH...",
      "delete files or empty directories; -r also directories with everything in them",
      1, Integer.MAX_VALUE, "r", "R", "rm"),
  MKDIR("mkdir", "[-p] DIR...", "create directories; -p also missing parents, no error if they exist",
      1, Integer.MAX_VALUE, "p", "R"),
  MV("mv", "SRC DST", "move or rename; into DST if DST is a directory", 2, 2, "", "RR", "move"),
  STAT("stat", "PATH", "show the details of a file or directory", 1, 1, "", "R"),
  PUT("put", "LOCAL [REMOTE]", "upload a local file (into REMOTE if it is a directory)",
      1, 2, "", "LR"),
  GET("get", "REMOTE [LOCAL]", "download a file (into LOCAL if it is a directory)", 1, 2, "", "RL"),
  STATUS("status", "", "every node and the cluster's health", 0, 0, "", ""),
  EXIT("exit", "", "leave the shell", 0, 0, "", "", "quit");

  /** What an argument names, for completion. */
  enum ArgKind {
    REMOTE,
    LOCAL,
    NONE
  }

  /** A parsed line: the command, the single-letter flags given, and the other words in order. */
  record Invocation(Verb verb, Set<Character> flags, List<String> args) {
    boolean flag(char letter) {
      return flags.contains(letter);
    }
  }

  private final String name;
  private final String argsUsage;
  private final String summary;
  private final int minArgs;
  private final int maxArgs;
  private final String flags;
  private final String argKinds;
  private final List<String> aliases;

  Verb(String name, String argsUsage, String summary, int minArgs, int maxArgs, String flags,
      String argKinds, String... aliases) {
    this.name = name;
    this.argsUsage = argsUsage;
    this.summary = summary;
    this.minArgs = minArgs;
    this.maxArgs = maxArgs;
    this.flags = flags;
    this.argKinds = argKinds;
    this.aliases = List.of(aliases);
  }

  String commandName() {
    return name;
  }

  List<String> aliases() {
    return aliases;
  }

  String usage() {
    return argsUsage.isEmpty() ? name : name + " " + argsUsage;
  }

  /** The kind of the argument at {@code index} (0 = first after the command); the last repeats. */
  ArgKind argKind(int index) {
    if (argKinds.isEmpty() || index < 0 || index >= maxArgs) {
      return ArgKind.NONE;
    }
    char kind = argKinds.charAt(Math.min(index, argKinds.length() - 1));
    return kind == 'L' ? ArgKind.LOCAL : ArgKind.REMOTE;
  }

  /** The command called {@code word} (by name or alias, any case), or null. */
  static Verb lookup(String word) {
    String lower = word.toLowerCase(Locale.ROOT);
    for (Verb verb : values()) {
      if (verb.name.equals(lower) || verb.aliases.contains(lower)) {
        return verb;
      }
    }
    return null;
  }

  /** Every name and alias, for completion. */
  static List<String> allNames() {
    List<String> names = new ArrayList<>();
    for (Verb verb : values()) {
      names.add(verb.name);
      names.addAll(verb.aliases);
    }
    return names;
  }

  /**
   * Parses the words of one line. Words starting with '-' before a "--" are flags; every flag must
   * be one the command knows ("-r", or combined as in "-rp" where both apply).
   */
  static Invocation parse(List<String> words) throws UsageException {
    if (words.isEmpty()) {
      throw new UsageException("empty command");
    }
    Verb verb = lookup(words.get(0));
    if (verb == null) {
      throw new UsageException("unknown command '" + words.get(0) + "' (type help for a list)");
    }
    Set<Character> given = new HashSet<>();
    List<String> args = new ArrayList<>();
    boolean flagsDone = false;
    for (String word : words.subList(1, words.size())) {
      if (!flagsDone && word.equals("--")) {
        flagsDone = true;
      } else if (!flagsDone && word.length() > 1 && word.startsWith("-")) {
        for (char letter : word.substring(1).toCharArray()) {
          if (verb.flags.indexOf(letter) < 0) {
            throw new UsageException(
                "unknown option -" + letter + " for " + verb.name + "; usage: " + verb.usage());
          }
          given.add(letter);
        }
      } else {
        args.add(word);
      }
    }
    if (args.size() < verb.minArgs || args.size() > verb.maxArgs) {
      throw new UsageException("usage: " + verb.usage());
    }
    return new Invocation(verb, Set.copyOf(given), List.copyOf(args));
  }

  /** The help text: one line per command. */
  static String help() {
    TextTable table = new TextTable(false, false);
    for (Verb verb : values()) {
      String summary = verb.summary;
      if (!verb.aliases.isEmpty()) {
        summary += " (also: " + String.join(", ", verb.aliases) + ")";
      }
      table.row(verb.usage(), summary);
    }
    return "Commands (paths are relative to the current directory; quote names with spaces):\n"
        + table.render().lines().map(line -> "  " + line).reduce("", (a, b) -> a + b + "\n");
  }
}
