package dev.cairn.meta;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.Status;

/**
 * A command or query that fails by the namespace's rules (a bad path, a conflict...). Thrown by the
 * checks of {@link NamespaceTree} before anything changes, and turned into a result by {@link
 * MemoryNamespace}; it never leaves this package. It has no stack trace, since it is an expected
 * outcome and not a bug.
 */
final class MetaFailure extends RuntimeException {

  private final ErrorCode code;

  MetaFailure(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  ErrorCode code() {
    return code;
  }

  Status status() {
    return Status.newBuilder().setCode(code).setMessage(getMessage()).build();
  }

  MetaResult toResult() {
    return MetaResult.newBuilder().setStatus(status()).build();
  }
}
