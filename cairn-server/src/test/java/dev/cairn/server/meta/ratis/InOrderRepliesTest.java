package dev.cairn.server.meta.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ratis.proto.RaftProtos.RaftRpcReplyProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class InOrderRepliesTest {
  @Test
  void repliesLeaveInTheOrderOfTheirRequestsWhateverOrderTheyAreReadyIn() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InOrderReplies replies = new InOrderReplies(out, () -> { });
    List<CompletableFuture<RaftRpcReplyProto>> futures = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      CompletableFuture<RaftRpcReplyProto> f = new CompletableFuture<>();
      futures.add(f);
      replies.add(f);
    }

    futures.get(2).complete(reply(2));
    futures.get(1).complete(reply(1));
    assertThat(out.size()).as("nothing leaves before the first request's reply").isZero();

    futures.get(0).complete(reply(0));
    assertThat(callIds(out.toByteArray())).containsExactly(0L, 1L, 2L);

    CompletableFuture<RaftRpcReplyProto> ready = CompletableFuture.completedFuture(reply(3));
    replies.add(ready);
    assertThat(callIds(out.toByteArray())).containsExactly(0L, 1L, 2L, 3L);
  }

  @Test
  void aFailedWriteClosesTheConnectionOnce() {
    AtomicInteger closes = new AtomicInteger();
    OutputStream broken = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("connection reset");
      }
    };
    InOrderReplies replies = new InOrderReplies(broken, closes::incrementAndGet);

    replies.add(CompletableFuture.completedFuture(reply(0)));

    assertThat(closes).hasValue(1);
  }

  private static RaftRpcReplyProto reply(long callId) {
    return RaftRpcReplyProto.newBuilder().setCallId(callId).setSuccess(true).build();
  }

  private static List<Long> callIds(byte[] written) throws IOException {
    RaftFrames.Reader in = new RaftFrames.Reader(new ByteArrayInputStream(written));
    List<Long> ids = new ArrayList<>();
    for (RaftRpcReplyProto r; (r = in.next(RaftRpcReplyProto.parser())) != null; ) {
      ids.add(r.getCallId());
    }
    return ids;
  }
}
