package dev.cairn.client.internal;

import dev.cairn.client.CairnException;
import dev.cairn.client.ConflictException;
import dev.cairn.client.ErrorCode;
import dev.cairn.proto.Status;

/** Turns wire statuses into exceptions. */
public final class Errors {
  private Errors() {}

  /** Throws the exception a non-OK status stands for. */
  public static void check(Status status) throws CairnException {
    if (status.getCodeValue() != 0) {
      throw toException(status);
    }
  }

  public static CairnException toException(Status status) {
    ErrorCode code = toCode(status.getCode());
    String message = status.getMessage().isEmpty() ? code.name() : status.getMessage();
    return code == ErrorCode.CONFLICT
        ? new ConflictException(message, -1)
        : new CairnException(code, message);
  }

  public static ErrorCode toCode(dev.cairn.proto.ErrorCode code) {
    return switch (code) {
      case INVALID_ARGUMENT -> ErrorCode.INVALID_ARGUMENT;
      case NOT_FOUND -> ErrorCode.NOT_FOUND;
      case ALREADY_EXISTS -> ErrorCode.ALREADY_EXISTS;
      case NOT_A_DIRECTORY -> ErrorCode.NOT_A_DIRECTORY;
      case IS_A_DIRECTORY -> ErrorCode.IS_A_DIRECTORY;
      case DIRECTORY_NOT_EMPTY -> ErrorCode.DIRECTORY_NOT_EMPTY;
      case CONFLICT -> ErrorCode.CONFLICT;
      case UNAVAILABLE -> ErrorCode.UNAVAILABLE;
      case CORRUPT -> ErrorCode.CORRUPT;
      case NO_SPACE -> ErrorCode.NO_SPACE;
      case OUTCOME_UNKNOWN -> ErrorCode.OUTCOME_UNKNOWN;
      default -> ErrorCode.INTERNAL;
    };
  }

  /** True for failures that another try, perhaps on another node, may not meet. */
  public static boolean retryable(Status status) {
    return switch (status.getCode()) {
      case UNAVAILABLE, OUTCOME_UNKNOWN -> true;
      default -> false;
    };
  }
}
