package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cairn.client.CairnClient;
import dev.cairn.client.internal.BlockWire;
import dev.cairn.client.internal.MetaWire;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.MutationResponse;
import dev.cairn.proto.RequestId;
import dev.cairn.server.rpc.BlockDataServer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that sends namespace calls and stops reading their answers cannot stop the cluster's
 * commits: the answers to mutations are written by the thread that applies the Raft log, and once
 * a write of them has waited past the answer timeout ({@link BlockDataServer#ANSWER_TIMEOUT_KEY},
 * here 1.5 s instead of 5) the node closes that client's connection, and that thread goes on.
 */
@Timeout(180)
@ExtendWith(TestSeed.Extension.class)
class MetaAnswerTimeoutTest {
  private static final long ANSWER_TIMEOUT_MS = 1_500;
  // Answers of about 4 KB each (a mkdir answers with the path it made): 16 MB in all, more than
  // the socket buffers of both sides hold (Linux lets a send buffer grow to 4 MB unless told
  // otherwise), so the node's writes of them must block. Fewer than the calls a connection may
  // have under way (4,096), which the node could read before it answers any.
  private static final int CALLS = 4_000;
  private static final int DEPTH = 15;

  private static MiniCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = SystemProperties.setWhile(
        BlockDataServer.ANSWER_TIMEOUT_KEY, Long.toString(ANSWER_TIMEOUT_MS),
        () -> MiniCluster.builder().nodes(1).build().start());
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aClientThatReadsNoAnswersIsCutOffAndOtherClientsCommitMeanwhile(TestSeed seed)
      throws Exception {
    byte[] content = SeededContent.bytes(seed.value(), 1000);
    String parent = deepParent();
    try (CairnClient client = cluster.newClient();
        Socket socket = new Socket()) {
      client.mkdir(parent, true);
      // A small receive buffer, set before connecting so that it is the window offered.
      socket.setReceiveBufferSize(4096);
      socket.connect(BlockWire.dataSocketAddress(cluster.node(1).address()), 10_000);
      socket.setSoTimeout(60_000);
      DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
      out.writeInt(BlockWire.MAGIC);
      out.writeByte(BlockWire.META);
      // The calls go out on a thread of their own: once the node stops reading them too, this
      // side's writes block until the node closes the connection.
      CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
        try {
          for (int i = 0; i < CALLS; i++) {
            out.writeByte(MetaWire.MKDIR);
            out.writeInt(i);
            BlockWire.writeMessage(out, MkdirRequest.newBuilder()
                .setPath(parent + "/" + leaf(i))
                .setRequestId(RequestId.newBuilder().setClientId("silent").setSeq(i + 1))
                .build());
          }
          out.flush();
        } catch (IOException e) {
          // The node closed the connection: what this test waits for.
        }
      });

      await("the calls are sent, or the node has closed their connection")
          .atMost(Duration.ofSeconds(120)).until(sending::isDone);
      // Commits of others go on: the thread that applies the log is not held by the silent one.
      client.write("/after-the-silent-client", content);
      assertThat(client.readAllBytes("/after-the-silent-client")).isEqualTo(content);

      // The silent client's connection was closed before all its answers reached it.
      DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      int answers = 0;
      boolean ended = false;
      try {
        while (answers < CALLS) {
          in.readInt();
          MutationResponse answer = BlockWire.readMessage(in, MutationResponse.parser());
          in.readUTF();
          assertThat(answer.getStatus().getCode()).isEqualTo(ErrorCode.OK);
          answers++;
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the node neither answered nor closed the connection", e);
      } catch (IOException e) {
        ended = true; // end of stream, or reset by the node
      }
      assertThat(ended).as("the node closed the connection").isTrue();
      assertThat(answers).as("answers read before the end").isLessThan(CALLS);
    }
  }

  /** A directory path of {@value #DEPTH} names of 250 bytes: about 3,800 bytes. */
  private static String deepParent() {
    StringBuilder path = new StringBuilder();
    for (int level = 0; level < DEPTH; level++) {
      path.append('/').append(Character.toString('a' + level).repeat(250));
    }
    return path.toString();
  }

  private static String leaf(int i) {
    return "d" + i + "-" + "x".repeat(200);
  }
}
