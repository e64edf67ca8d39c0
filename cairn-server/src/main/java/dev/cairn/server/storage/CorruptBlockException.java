package dev.cairn.server.storage;

import java.io.IOException;

/** A stored block failed its checksum or its layout is damaged. */
public final class CorruptBlockException extends IOException {
  private final long blockId;

  public CorruptBlockException(long blockId, String message) {
    super("block " + Long.toUnsignedString(blockId, 16) + ": " + message);
    this.blockId = blockId;
  }

  public long blockId() {
    return blockId;
  }
}
