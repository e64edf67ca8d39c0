package dev.cairn.meta;

import static dev.cairn.meta.NamespaceHarness.inline;
import static dev.cairn.meta.NamespaceHarness.ok;
import static dev.cairn.meta.NamespaceHarness.requestId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.proto.CommitMode;
import dev.cairn.proto.CommitRequest;
import dev.cairn.proto.ErrorCode;
import dev.cairn.proto.MetaCommand;
import dev.cairn.proto.MetaResult;
import dev.cairn.proto.MkdirRequest;
import dev.cairn.proto.RequestId;
import org.junit.jupiter.api.Test;

class ExactlyOnceTest {

  private NamespaceHarness h = new NamespaceHarness();

  private static MetaCommand.Builder append(String path, String text, RequestId id) {
    return MetaCommand.newBuilder()
        .setRequestId(id)
        .setCommit(
            CommitRequest.newBuilder()
                .setPath(path)
                .setMode(CommitMode.APPEND)
                .addExtents(inline(text)));
  }

  private static MetaCommand.Builder mkdir(String path, RequestId id) {
    return MetaCommand.newBuilder()
        .setRequestId(id)
        .setMkdir(MkdirRequest.newBuilder().setPath(path));
  }

  @Test
  void aRetriedAppendIsAppliedOnce() {
    ok(h.put("/log", "a"));
    MetaResult first = ok(h.apply(append("/log", "b", requestId("c1", 1))));
    byte[] afterFirst = h.snapshot();
    MetaResult retry = h.apply(append("/log", "b", requestId("c1", 1)));
    assertThat(retry).isEqualTo(first);
    assertThat(h.text("/log")).isEqualTo("ab");
    assertThat(h.snapshot()).isEqualTo(afterFirst);
    // The next request of the same client is new and applies.
    ok(h.apply(append("/log", "c", requestId("c1", 2))));
    assertThat(h.text("/log")).isEqualTo("abc");
  }

  @Test
  void theSameSeqFromAnotherClientIsANewRequest() {
    ok(h.put("/log", ""));
    ok(h.apply(append("/log", "x", requestId("c1", 1))));
    ok(h.apply(append("/log", "y", requestId("c2", 1))));
    assertThat(h.text("/log")).isEqualTo("xy");
  }

  @Test
  void aFailureIsRememberedToo() {
    MetaResult failed = h.apply(mkdir("/a/b", requestId("c1", 7)));
    assertThat(failed.getStatus().getCode()).isEqualTo(ErrorCode.NOT_FOUND);
    ok(h.mkdir("/a"));
    // The retry would succeed now, but it is the same request and gets the same answer.
    assertThat(h.apply(mkdir("/a/b", requestId("c1", 7)))).isEqualTo(failed);
    assertThat(h.exists("/a/b")).isFalse();
  }

  @Test
  void aRequestIdInsideTheRequestAlsoCounts() {
    ok(h.put("/log", ""));
    MetaCommand.Builder command =
        MetaCommand.newBuilder()
            .setCommit(
                CommitRequest.newBuilder()
                    .setPath("/log")
                    .setMode(CommitMode.APPEND)
                    .addExtents(inline("once"))
                    .setRequestId(requestId("inner", 1)));
    MetaResult first = ok(h.apply(command));
    assertThat(h.apply(command)).isEqualTo(first);
    assertThat(h.text("/log")).isEqualTo("once");
  }

  @Test
  void withoutAClientIdEveryCommandApplies() {
    ok(h.put("/log", ""));
    ok(h.apply(append("/log", "x", requestId("", 1))));
    ok(h.apply(append("/log", "x", requestId("", 1))));
    assertThat(h.text("/log")).isEqualTo("xx");
    assertThat(h.ns.rememberedClients()).isZero();
  }

  @Test
  void eachClientKeepsItsLastResults() {
    h = new NamespaceHarness(new MemoryNamespace(3, 1024, 4, 10));
    ok(h.put("/log", ""));
    for (int seq = 1; seq <= 5; seq++) {
      ok(h.apply(append("/log", Integer.toString(seq), requestId("c", seq))));
    }
    // Seq 2 is among the last four and is not applied again; seq 1 has left them, so it is.
    ok(h.apply(append("/log", "2", requestId("c", 2))));
    assertThat(h.text("/log")).isEqualTo("12345");
    ok(h.apply(append("/log", "1", requestId("c", 1))));
    assertThat(h.text("/log")).isEqualTo("123451");
  }

  @Test
  void theDefaultKeeps1024ResultsPerClient() {
    ok(h.put("/log", ""));
    for (int seq = 1; seq <= 1025; seq++) {
      ok(h.apply(mkdir("/d" + seq, requestId("c", seq))));
    }
    ok(h.delete("/d1"));
    ok(h.delete("/d2"));
    // Seq 2 is remembered, so its mkdir does not run again; seq 1 was forgotten, so it does.
    ok(h.apply(mkdir("/d2", requestId("c", 2))));
    assertThat(h.exists("/d2")).isFalse();
    ok(h.apply(mkdir("/d1", requestId("c", 1))));
    assertThat(h.exists("/d1")).isTrue();
  }

  @Test
  void theLeastRecentlyUsedClientIsEvicted() {
    h = new NamespaceHarness(new MemoryNamespace(3, 1024, 4, 3));
    ok(h.put("/log", ""));
    ok(h.apply(append("/log", "a", requestId("a", 1))));
    ok(h.apply(append("/log", "b", requestId("b", 1))));
    ok(h.apply(append("/log", "c", requestId("c", 1))));
    // A retry by a counts as use, so b is now the least recent client.
    ok(h.apply(append("/log", "a", requestId("a", 1))));
    ok(h.apply(append("/log", "d", requestId("d", 1))));
    assertThat(h.ns.rememberedClients()).isEqualTo(3);
    ok(h.apply(append("/log", "b", requestId("b", 1))));
    ok(h.apply(append("/log", "a", requestId("a", 1))));
    assertThat(h.text("/log")).isEqualTo("abcdb");
  }

  @Test
  void theDefaultKeeps10000Clients() {
    for (int client = 0; client <= 10_000; client++) {
      ok(
          h.apply(
              MetaCommand.newBuilder()
                  .setRequestId(requestId("client-" + client, 1))
                  .setSetReplicas(dev.cairn.proto.SetReplicas.getDefaultInstance())));
    }
    assertThat(h.ns.rememberedClients()).isEqualTo(10_000);
    // client-1 is still remembered; client-0 was the least recent and is gone.
    ok(h.apply(mkdir("/one", requestId("client-1", 1))));
    assertThat(h.exists("/one")).isFalse();
    ok(h.apply(mkdir("/zero", requestId("client-0", 1))));
    assertThat(h.exists("/zero")).isTrue();
  }

  @Test
  void theTableSurvivesASnapshot() throws Exception {
    ok(h.put("/log", "a"));
    MetaResult first = ok(h.apply(append("/log", "b", requestId("c1", 1))));
    NamespaceHarness restored = h.restored();
    assertThat(restored.apply(append("/log", "b", requestId("c1", 1)))).isEqualTo(first);
    assertThat(restored.text("/log")).isEqualTo("ab");
  }
}
