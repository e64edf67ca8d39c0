package dev.cairn.server.meta.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import org.apache.ratis.proto.RaftProtos.RaftRpcReplyProto;
import org.apache.ratis.thirdparty.com.google.protobuf.CodedOutputStream;
import org.junit.jupiter.api.Test;

class RaftFramesTest {
  @Test
  void readsWhatWriteDelimitedToWroteThenNullAtTheEnd() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RaftRpcReplyProto first = RaftRpcReplyProto.newBuilder().setCallId(7).build();
    RaftRpcReplyProto second = RaftRpcReplyProto.newBuilder().setCallId(300).build();
    first.writeDelimitedTo(out);
    second.writeDelimitedTo(out);
    RaftFrames.Reader in = new RaftFrames.Reader(new ByteArrayInputStream(out.toByteArray()));

    assertThat(in.next(RaftRpcReplyProto.parser())).isEqualTo(first);
    assertThat(in.next(RaftRpcReplyProto.parser())).isEqualTo(second);
    assertThat(in.next(RaftRpcReplyProto.parser())).isNull();
  }

  @Test
  void aFrameOverTheLimitIsRefusedBeforeItIsRead() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream header = CodedOutputStream.newInstance(out);
    header.writeUInt32NoTag(RaftFrames.MAX_FRAME_BYTES + 1);
    header.flush();

    assertThatThrownBy(() -> new RaftFrames.Reader(new ByteArrayInputStream(out.toByteArray()))
            .next(RaftRpcReplyProto.parser()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("the limit is");
  }

  @Test
  void aReaderParsesFramesIntoItsOwnBufferAndWhatItParsedStaysAsItWas() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RaftRpcReplyProto first = reply(7, 'a', 1000);
    RaftRpcReplyProto second = reply(8, 'b', 1000);
    RaftRpcReplyProto larger = reply(9, 'c', 200_000);
    RaftRpcReplyProto huge = reply(10, 'd', RaftFrames.Reader.REUSED_BYTES + 1);
    for (RaftRpcReplyProto m : new RaftRpcReplyProto[] {first, second, larger, huge, second}) {
      m.writeDelimitedTo(out);
    }
    RaftFrames.Reader reader = new RaftFrames.Reader(new ByteArrayInputStream(out.toByteArray()));

    RaftRpcReplyProto firstRead = reader.next(RaftRpcReplyProto.parser());
    RaftRpcReplyProto secondRead = reader.next(RaftRpcReplyProto.parser());
    RaftRpcReplyProto largerRead = reader.next(RaftRpcReplyProto.parser());
    RaftRpcReplyProto hugeRead = reader.next(RaftRpcReplyProto.parser());
    RaftRpcReplyProto lastRead = reader.next(RaftRpcReplyProto.parser());

    // The frames after the first were read into the buffer it was parsed from: a message that
    // kept a view of it would now hold their bytes.
    assertThat(firstRead).isEqualTo(first);
    assertThat(secondRead).isEqualTo(second);
    assertThat(largerRead).isEqualTo(larger);
    assertThat(hugeRead).isEqualTo(huge);
    assertThat(lastRead).isEqualTo(second);
    assertThat(reader.next(RaftRpcReplyProto.parser())).isNull();
  }

  @Test
  void aFrameCutShortIsAnError() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    reply(7, 'a', 100).writeDelimitedTo(out);
    byte[] cut = Arrays.copyOf(out.toByteArray(), out.size() - 1);

    assertThatThrownBy(() -> new RaftFrames.Reader(new ByteArrayInputStream(cut))
            .next(RaftRpcReplyProto.parser()))
        .isInstanceOf(EOFException.class);
  }

  private static RaftRpcReplyProto reply(long callId, char fill, int bytes) {
    byte[] id = new byte[bytes];
    Arrays.fill(id, (byte) fill);
    return RaftRpcReplyProto.newBuilder().setCallId(callId)
        .setRequestorId(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(id))
        .build();
  }
}
