package dev.cairn.client;

/**
 * A conditional write found the file at another version than the one the caller read: someone
 * else changed it in between. Nothing was written.
 */
public final class ConflictException extends CairnException {
  private final long expectedVersion;

  public ConflictException(String message, long expectedVersion) {
    super(ErrorCode.CONFLICT, message);
    this.expectedVersion = expectedVersion;
  }

  /** The version the caller expected to replace. */
  public long expectedVersion() {
    return expectedVersion;
  }
}
