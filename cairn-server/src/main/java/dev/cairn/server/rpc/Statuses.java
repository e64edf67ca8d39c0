package dev.cairn.server.rpc;

import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.Status;

/** Builds wire statuses. */
public final class Statuses {
  private Statuses() {}

  public static final Status OK = Status.newBuilder().setCode(ErrorCode.OK).build();

  public static Status of(ErrorCode code, String message) {
    return Status.newBuilder().setCode(code).setMessage(message).build();
  }
}
