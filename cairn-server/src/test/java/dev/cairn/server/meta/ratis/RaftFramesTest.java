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
    ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());

    assertThat(RaftRpcReplyProto.parseFrom(RaftFrames.read(in))).isEqualTo(first);
    assertThat(RaftRpcReplyProto.parseFrom(RaftFrames.read(in))).isEqualTo(second);
    assertThat(RaftFrames.read(in)).isNull();
  }

  @Test
  void aFrameCutShortIsAnError() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RaftRpcReplyProto.newBuilder().setCallId(7).setRequestorId(
        org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFromUtf8("n1"))
        .build().writeDelimitedTo(out);
    byte[] cut = Arrays.copyOf(out.toByteArray(), out.size() - 1);

    assertThatThrownBy(() -> RaftFrames.read(new ByteArrayInputStream(cut)))
        .isInstanceOf(EOFException.class);
  }

  @Test
  void aFrameOverTheLimitIsRefusedBeforeItIsRead() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream header = CodedOutputStream.newInstance(out);
    header.writeUInt32NoTag(RaftFrames.MAX_FRAME_BYTES + 1);
    header.flush();

    assertThatThrownBy(() -> RaftFrames.read(new ByteArrayInputStream(out.toByteArray())))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("the limit is");
  }
}
