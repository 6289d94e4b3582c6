package tempocast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class FailuresTest {
  static final ConnectException REFUSED = new ConnectException("Connection refused");

  @Test
  void unwrapStripsOnlyTheFutureWrappers() {
    var io = new IOException("link failed", REFUSED);
    assertSame(io, Failures.unwrap(new CompletionException(new ExecutionException(io))));
    assertSame(io, Failures.unwrap(io));
    var bare = new CompletionException("no cause", null);
    assertSame(bare, Failures.unwrap(bare));
  }

  @Test
  void rootMessageIsTheInnermostReason() {
    assertEquals(
        "Connection refused",
        Failures.rootMessage(new CompletionException(new IOException("x", REFUSED))));
    assertEquals(
        "IllegalStateException",
        Failures.rootMessage(new RuntimeException("outer", new IllegalStateException())));
  }

  @Test
  void firstMessageIsTheOutermostThatSaysSomething() {
    assertEquals("link failed", Failures.firstMessage(new IOException("link failed", REFUSED)));
    assertEquals(
        "Connection refused", Failures.firstMessage(new RuntimeException((String) null, REFUSED)));
    assertEquals(
        "IllegalStateException",
        Failures.firstMessage(new RuntimeException((String) null, new IllegalStateException())));
  }
}
