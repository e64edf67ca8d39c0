package dev.cairn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnException;
import dev.cairn.client.FileStatus;
import dev.cairn.client.internal.BlockWire;
import dev.cairn.client.internal.MetaWire;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.ListResponse;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.MutationResponse;
import dev.cairn.proto.PathRequest;
import dev.cairn.proto.RequestId;
import dev.cairn.proto.StatResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Namespace calls on the framed protocol of the data port ({@link MetaWire}), on real nodes: one
 * connection carrying call after call, and the calls of many threads at once, each answered under
 * its own number; leader hints from followers, a connection the node dropped, a node that never
 * answers, a method the node does not know, a closed client, and answers larger than a
 * block-protocol message.
 */
@Timeout(120)
class MetaWireTest {
  private static final int TIMEOUT_MS = 20_000;
  private static MiniCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = MiniCluster.builder().nodes(3).build().start();
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String leaderAddress() {
    return cluster.node(cluster.leaderId()).address();
  }

  private static MiniCluster.Node aFollower() {
    String leader = cluster.leaderId();
    return cluster.nodes().stream().filter(n -> !n.id().equals(leader)).findFirst().orElseThrow();
  }

  private static PathRequest path(String path) {
    return PathRequest.newBuilder().setPath(path).build();
  }

  @Test
  void oneConnectionCarriesCallAfterCallAndTheLeaderNamesNoOther() throws IOException {
    try (MetaWire wire = new MetaWire(TIMEOUT_MS)) {
      String leader = leaderAddress();
      MetaWire.Answer<MutationResponse> made = wire.call(leader, MetaWire.MKDIR,
          MkdirRequest.newBuilder().setPath("/wire-calls")
              .setRequestId(RequestId.newBuilder().setClientId("meta-wire-test").setSeq(1))
              .build(),
          MutationResponse.parser());
      MetaWire.Answer<StatResponse> stat =
          wire.call(leader, MetaWire.STAT, path("/wire-calls"), StatResponse.parser());
      MetaWire.Answer<StatResponse> missing =
          wire.call(leader, MetaWire.STAT, path("/wire-calls/none"), StatResponse.parser());

      assertThat(made.response().getStatus().getCode()).isEqualTo(ErrorCode.OK);
      assertThat(stat.response().getInfo().getDirectory()).isTrue();
      assertThat(missing.response().getStatus().getCode()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(stat.leaderHint()).isNull();
      assertThat(wire.connections(leader)).isEqualTo(1);
    }
  }

  @Test
  void threadsShareOneConnectionAndEachGetsItsOwnAnswer() throws Exception {
    int threads = 16;
    int callsEach = 20;
    String leader = leaderAddress();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (MetaWire wire = new MetaWire(TIMEOUT_MS)) {
      List<Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          for (int i = 0; i < callsEach; i++) {
            String dir = "/shared-" + thread + "-" + i;
            MetaWire.Answer<MutationResponse> made = wire.call(leader, MetaWire.MKDIR,
                MkdirRequest.newBuilder().setPath(dir)
                    .setRequestId(RequestId.newBuilder().setClientId("shared-" + thread)
                        .setSeq(i + 1))
                    .build(),
                MutationResponse.parser());
            assertThat(made.response().getInfo().getPath()).isEqualTo(dir);
            StatResponse stat =
                wire.call(leader, MetaWire.STAT, path(dir), StatResponse.parser()).response();
            assertThat(stat.getInfo().getPath()).isEqualTo(dir);
            StatResponse missing = wire.call(leader, MetaWire.STAT, path(dir + "/none"),
                StatResponse.parser()).response();
            assertThat(missing.getStatus().getCode()).isEqualTo(ErrorCode.NOT_FOUND);
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertThat(wire.connections(leader)).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aNodeAnswersCallsSentBeforeItsFirstAnswerEachUnderItsNumber() throws IOException {
    try (BlockWire.Connection c =
        BlockWire.Connection.open(leaderAddress(), BlockWire.META, TIMEOUT_MS)) {
      for (int number : new int[] {41, 42, 43}) {
        c.out.writeByte(MetaWire.STAT);
        c.out.writeInt(number);
        BlockWire.writeMessage(c.out, path(number == 42 ? "/no-such-dir" : "/"));
      }
      c.out.flush();
      java.util.Map<Integer, StatResponse> answers = new java.util.HashMap<>();
      for (int i = 0; i < 3; i++) {
        int number = c.in.readInt();
        answers.put(number,
            BlockWire.readMessage(c.in, StatResponse.parser(), MetaWire.MAX_MESSAGE_BYTES));
        assertThat(c.in.readUTF()).as("the leader hint of the leader").isEmpty();
      }
      assertThat(answers).containsOnlyKeys(41, 42, 43);
      assertThat(answers.get(41).getInfo().getDirectory()).isTrue();
      assertThat(answers.get(42).getStatus().getCode()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(answers.get(43).getInfo().getDirectory()).isTrue();
    }
  }

  @Test
  void callsToANodeThatNeverAnswersAllTimeOutAndTheConnectionIsDropped() throws Exception {
    // A peer that takes connections on a data port and never answers: a hung node.
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50,
        java.net.InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + (silent.getLocalPort() - 2); // data port = client + 2
      List<java.net.Socket> accepted = java.util.Collections.synchronizedList(
          new java.util.ArrayList<>());
      Thread acceptor = Thread.ofVirtual().start(() -> {
        try {
          while (true) {
            accepted.add(silent.accept());
          }
        } catch (IOException closed) {
          // the test is over
        }
      });
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try (MetaWire wire = new MetaWire(1_000)) {
        List<Future<Throwable>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
          calls.add(pool.submit(() -> {
            try {
              wire.call(address, MetaWire.STAT, path("/"), StatResponse.parser());
              return null;
            } catch (IOException e) {
              return e;
            }
          }));
        }
        for (Future<Throwable> call : calls) {
          assertThat(call.get(30, TimeUnit.SECONDS))
              .isInstanceOf(java.net.SocketTimeoutException.class);
        }
        assertThat(wire.connections(address)).isZero();
      } finally {
        pool.shutdownNow();
        silent.close();
        acceptor.join();
        accepted.forEach(s -> {
          try {
            s.close();
          } catch (IOException e) {
            // closing anyway
          }
        });
      }
    }
  }

  @Test
  void aFollowerAnswersAndNamesTheLeaderAndAClientMovesThere() throws IOException {
    MiniCluster.Node follower = aFollower();
    try (MetaWire wire = new MetaWire(TIMEOUT_MS)) {
      MetaWire.Answer<StatResponse> root =
          wire.call(follower.address(), MetaWire.STAT, path("/"), StatResponse.parser());
      assertThat(root.response().getStatus().getCode()).isEqualTo(ErrorCode.OK);
      assertThat(root.leaderHint()).isEqualTo(leaderAddress());
    }
    try (CairnClient client = CairnClient.builder().addresses(follower.address()).build()) {
      client.stat("/");
      assertThat(client.currentAddress()).isEqualTo(leaderAddress());
    }
  }

  @Test
  void aConnectionTheNodeDroppedIsReplacedWithinTheCall() throws IOException {
    MiniCluster.Node follower = aFollower();
    try (MetaWire wire = new MetaWire(TIMEOUT_MS)) {
      wire.call(follower.address(), MetaWire.STAT, path("/"), StatResponse.parser());
      assertThat(wire.connections(follower.address())).isEqualTo(1);

      // The restart closes the idle connection from the node's side.
      cluster.restart(follower.id());
      MetaWire.Answer<StatResponse> again =
          wire.call(follower.address(), MetaWire.STAT, path("/"), StatResponse.parser());

      assertThat(again.response().getStatus().getCode()).isEqualTo(ErrorCode.OK);
      assertThat(wire.connections(follower.address())).isEqualTo(1);
    }
  }

  @Test
  void aNodeStopsWithoutWaitingOutAClientsIdleConnection() throws IOException {
    MiniCluster.Node follower = aFollower();
    try (MetaWire wire = new MetaWire(TIMEOUT_MS)) {
      wire.call(follower.address(), MetaWire.STAT, path("/"), StatResponse.parser());
      assertThat(wire.connections(follower.address())).isEqualTo(1);

      long started = System.nanoTime();
      cluster.stop(follower.id());
      Duration stopping = Duration.ofNanos(System.nanoTime() - started);
      cluster.restart(follower.id());

      // The node gives operations under way 5 s to finish; a connection between calls is not one.
      assertThat(stopping).isLessThan(Duration.ofMillis(4_500));
    }
  }

  @Test
  void anUnknownMethodEndsThatConnectionAndTheNodeGoesOnServing() throws IOException {
    String leader = leaderAddress();
    try (BlockWire.Connection c = BlockWire.Connection.open(leader, BlockWire.META, TIMEOUT_MS)) {
      c.out.writeByte(99);
      c.out.flush();
      int next;
      try {
        next = c.in.read();
      } catch (IOException reset) {
        next = -1;
      }
      assertThat(next).as("the node's answer to an unknown method").isEqualTo(-1);
    }
    try (MetaWire wire = new MetaWire(TIMEOUT_MS)) {
      assertThat(wire.call(leader, MetaWire.STAT, path("/"), StatResponse.parser())
          .response().getStatus().getCode()).isEqualTo(ErrorCode.OK);
    }
  }

  @Test
  void aClosedClientRefusesCallsAtOnce() throws IOException {
    CairnClient client = cluster.clientBuilder().failoverTimeout(Duration.ofSeconds(60)).build();
    client.stat("/");
    client.close();
    long started = System.nanoTime();
    assertThatThrownBy(() -> client.stat("/"))
        .isInstanceOfSatisfying(CairnException.class,
            e -> assertThat(e.code()).isEqualTo(dev.cairn.client.ErrorCode.UNAVAILABLE))
        .hasMessageContaining("closed");
    // Not after the failover timeout's minute of retries.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void aListingLargerThanABlockProtocolMessageArrivesWhole() throws Exception {
    // 4,800 entries whose paths are about 230 bytes: well over the 1 MiB a message of the block
    // protocol may have, under the 32 MiB of a namespace answer.
    CairnClient client = cluster.newClient();
    String dir = "/wide";
    client.mkdir(dir, false);
    String stem = "d".repeat(220);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<FileStatus>> made = new java.util.ArrayList<>();
      for (int i = 0; i < 4_800; i++) {
        String name = dir + "/" + stem + String.format("%05d", i);
        made.add(pool.submit(() -> client.mkdir(name, false)));
      }
      for (Future<FileStatus> f : made) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    try (MetaWire wire = new MetaWire(TIMEOUT_MS)) {
      ListResponse listing =
          wire.call(leaderAddress(), MetaWire.LIST, path(dir), ListResponse.parser()).response();
      assertThat(listing.getSerializedSize()).isGreaterThan(1 << 20);
    }
    List<FileStatus> entries = client.list(dir);
    assertThat(entries).hasSize(4_800);
    assertThat(entries.get(4_799).path()).isEqualTo(dir + "/" + stem + "04799");
  }
}
