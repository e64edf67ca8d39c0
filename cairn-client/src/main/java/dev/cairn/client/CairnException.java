package dev.cairn.client;

import java.io.IOException;

/**
 * A failed Cairn operation. {@link #code()} says why; {@link #isRetryable()} says whether trying
 * again can help. The client has already retried retryable failures for as long as its failover
 * timeout allows before throwing one.
 */
public class CairnException extends IOException {
  private final ErrorCode code;

  public CairnException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public CairnException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  public boolean isRetryable() {
    return code.isRetryable();
  }
}
