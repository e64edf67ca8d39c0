package dev.cairn.client;

/** Why a Cairn operation failed. Mirrors the wire's error codes. */
public enum ErrorCode {
  INVALID_ARGUMENT(false),
  NOT_FOUND(false),
  ALREADY_EXISTS(false),
  NOT_A_DIRECTORY(false),
  IS_A_DIRECTORY(false),
  DIRECTORY_NOT_EMPTY(false),
  CONFLICT(false),
  UNAVAILABLE(true),
  CORRUPT(true),
  NO_SPACE(false),
  INTERNAL(false),
  OUTCOME_UNKNOWN(true);

  private final boolean retryable;

  ErrorCode(boolean retryable) {
    this.retryable = retryable;
  }

  /** True when the same call may succeed if tried again, on this node or another. */
  public boolean isRetryable() {
    return retryable;
  }
}
