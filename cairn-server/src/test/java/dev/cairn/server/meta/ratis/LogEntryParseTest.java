package dev.cairn.server.meta.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.Extent;
import dev.cairn.proto.MetaCommand;
import java.io.IOException;
import java.util.Arrays;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;

class LogEntryParseTest {
  private static final MetaCommand COMMAND = MetaCommand.newBuilder()
      .setCommit(CommitRequest.newBuilder()
          .setPath("/small")
          .setMode(CommitMode.CREATE_NEW)
          .addExtents(Extent.newBuilder()
              .setData(com.google.protobuf.ByteString.copyFromUtf8("four KiB, or so"))))
      .build();

  @Test
  void aCommandIsParsedWhereTheEntrysBytesLie() throws IOException {
    byte[] bytes = COMMAND.toByteArray();
    // The entry's bytes as a slice of a larger array, as a log entry's may be.
    byte[] larger = new byte[bytes.length + 10];
    System.arraycopy(bytes, 0, larger, 3, bytes.length);
    ByteString logData = UnsafeByteOperations.unsafeWrap(larger, 3, bytes.length);

    MetaCommand parsed = NamespaceStateMachine.parseCommand(logData);

    assertThat(parsed).isEqualTo(COMMAND);
    // The file's bytes are a view of the entry, not a copy: the namespace copies what it keeps.
    Arrays.fill(larger, (byte) 'x');
    assertThat(parsed.getCommit().getExtents(0).getData().toStringUtf8())
        .isEqualTo("x".repeat("four KiB, or so".length()));
  }

  @Test
  void anEntryInPiecesIsParsedToo() throws IOException {
    byte[] bytes = COMMAND.toByteArray();
    ByteString pieces = ByteString.copyFrom(bytes, 0, 7)
        .concat(ByteString.copyFrom(bytes, 7, bytes.length - 7));

    assertThat(NamespaceStateMachine.parseCommand(pieces)).isEqualTo(COMMAND);
    assertThat(NamespaceStateMachine.parseCommand(ByteString.EMPTY))
        .isEqualTo(MetaCommand.getDefaultInstance());
  }
}
