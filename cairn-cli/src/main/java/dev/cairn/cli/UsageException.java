package dev.cairn.cli;

/**
 * A command was typed wrongly: unknown name, wrong number of arguments, a bad quote. Nothing was
 * sent to the cluster. The one-shot commands exit with status 2 for it.
 */
final class UsageException extends Exception {
  UsageException(String message) {
    super(message);
  }
}
