package tempocast.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tempocast.Failures;
import tempocast.metrics.Metrics;

/** The delivery connections' event loop against real receiver sockets. */
class DeliveryLoopTest {
  static final ActorTestKit kit = ActorTestKit.create();

  final CoordinatorSettings settings =
      CoordinatorSettings.fromConfig(
          0,
          Duration.ofSeconds(60),
          ConfigFactory.parseString(
                  "tempocast.coordinator { heartbeat-interval = 200ms, heartbeat-timeout = 1s,"
                      + " delivery-window-bytes = 64 KiB }")
              .withFallback(ConfigFactory.load()));

  DeliveryLoop loop;
  ServerSocket receiver;
  TestProbe<ParticipantSession.Command> events;

  @BeforeEach
  void start() throws Exception {
    loop = new DeliveryLoop(settings);
    receiver = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    events = kit.createTestProbe();
  }

  @AfterEach
  void stop() throws Exception {
    loop.close();
    receiver.close();
  }

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private DeliveryLink connect(int linkId, boolean awaitAnswer) throws Exception {
    return loop.connect(
            "127.0.0.1", receiver.getLocalPort(), "ann", linkId, awaitAnswer, events.ref(), null)
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
  }

  private static BufferedReader reader(Socket s) throws Exception {
    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
  }

  private static void say(Socket s, String lines) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write(lines.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  @Test
  void helloComesFirstThenTheLinesInOrderAndAcksReachTheSessionCumulatively() throws Exception {
    DeliveryLink link = connect(7, false);
    try (Socket s = receiver.accept()) {
      BufferedReader in = reader(s);
      link.send(ByteString.fromString("MSG main 1 1 bob a\nMSG main 2 1 bob b\n"));
      link.send(ByteString.fromString("MSG team 1 1 bob c\n"));
      assertEquals("HELLO ann", in.readLine());
      assertEquals("MSG main 1 1 bob a", in.readLine());
      assertEquals("MSG main 2 1 bob b", in.readLine());
      assertEquals("MSG team 1 1 bob c", in.readLine());
      say(s, "ACK main 1\nACK main 2\nPONG\nACK team 1\n");
      java.util.Map<String, Long> acked = new java.util.TreeMap<>();
      while (acked.size() < 2 || acked.get("main") < 2) {
        ParticipantSession.LinkAcked a =
            events.expectMessageClass(ParticipantSession.LinkAcked.class);
        assertEquals(7, a.linkId());
        acked.merge(a.target(), a.seq(), Math::max);
      }
      assertEquals(java.util.Map.of("main", 2L, "team", 1L), acked);
      s.close();
      ParticipantSession.LinkClosed closed =
          events.expectMessageClass(ParticipantSession.LinkClosed.class);
      assertEquals(7, closed.linkId());
      assertEquals("its receiver closed the connection", closed.reason());
    }
  }

  /** A session's side of the link as the loop sees it: what it was told, on which thread. */
  static final class RecordingListener implements DeliveryLink.Listener {
    final java.util.concurrent.BlockingQueue<String> heard =
        new java.util.concurrent.LinkedBlockingQueue<>();
    final java.util.concurrent.CountDownLatch swept = new java.util.concurrent.CountDownLatch(1);
    volatile boolean offLoop;

    @Override
    public boolean acked(int linkId, String target, long seq) {
      offLoop |= !Thread.currentThread().getName().equals("tempocast-delivery-loop");
      heard.add(linkId + " " + target + " " + seq);
      return true; // has cursor moves for the sweep
    }

    @Override
    public void sweepProgress(ProgressSweep sweep) {
      offLoop |= !Thread.currentThread().getName().equals("tempocast-delivery-loop");
      swept.countDown();
    }
  }

  @Test
  void withAListenerAcksGoToItOnTheLoopAndItsCursorsAreSweptWithinTheProgressInterval()
      throws Exception {
    RecordingListener listener = new RecordingListener();
    DeliveryLink link =
        loop.connect("127.0.0.1", receiver.getLocalPort(), "ann", 3, false, events.ref(), listener)
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    try (Socket s = receiver.accept()) {
      BufferedReader in = reader(s);
      link.send(ByteString.fromString("MSG main 1 1 bob a\nMSG main 2 1 bob b\n"));
      assertEquals("HELLO ann", in.readLine());
      assertEquals("MSG main 1 1 bob a", in.readLine());
      assertEquals("MSG main 2 1 bob b", in.readLine());
      say(s, "ACK main 1\nACK main 2\n");
      long highest = 0;
      while (highest < 2) {
        String h = listener.heard.poll(5, TimeUnit.SECONDS);
        assertTrue(h != null && h.startsWith("3 main "), "heard " + h);
        highest = Long.parseLong(h.substring("3 main ".length()));
      }
      assertTrue(
          listener.swept.await(
              settings.progressInterval().toMillis() + 2000, TimeUnit.MILLISECONDS),
          "the progress sweep never came");
      assertFalse(listener.offLoop, "the listener was called off the delivery loop's thread");
      // Acknowledgements went to the listener, not as messages.
      events.expectNoMessage(Duration.ofMillis(100));
    }
  }

  @Test
  void aRetryIsUpOnlyOnceTheReceiverItselfAnswers() throws Exception {
    CompletableFuture<DeliveryLink> up =
        loop.connect("127.0.0.1", receiver.getLocalPort(), "ann", 1, true, events.ref(), null)
            .toCompletableFuture();
    try (Socket s = receiver.accept()) {
      BufferedReader in = reader(s);
      assertEquals("HELLO ann", in.readLine());
      assertEquals("PING", in.readLine());
      // The kernel accepted the connection, but the receiver has not spoken.
      assertFalse(up.isDone());
      say(s, "PONG\n");
      assertTrue(up.get(5, TimeUnit.SECONDS) != null);
    }
  }

  @Test
  void aReceiverThatSaysNothingIsPingedThenDroppedAfterTheHeartbeatTimeout() throws Exception {
    Metrics metrics = Metrics.prometheus(10);
    loop.close();
    loop = new DeliveryLoop(settings, metrics);
    connect(3, false);
    try (Socket s = receiver.accept()) {
      BufferedReader in = reader(s);
      assertEquals("HELLO ann", in.readLine());
      assertEquals("PING", in.readLine()); // after heartbeat-interval of quiet
      ParticipantSession.LinkClosed closed =
          events.expectMessageClass(ParticipantSession.LinkClosed.class, Duration.ofSeconds(5));
      assertEquals(3, closed.linkId());
      assertEquals("its receiver said nothing for 1 s (heartbeat-timeout)", closed.reason());
      assertTrue(
          metrics.scrape().contains("\ntempocast_heartbeat_timeouts_total 1.0\n"),
          "counted as a heartbeat timeout");
    } finally {
      metrics.close();
    }
  }

  @Test
  void aRefusedConnectionFailsWithTheReasonInWords() throws Exception {
    int port = receiver.getLocalPort();
    receiver.close();
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class,
            () ->
                loop.connect("127.0.0.1", port, "ann", 1, false, events.ref(), null)
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS));
    assertEquals("Connection refused", Failures.firstMessage(Failures.unwrap(e)));
  }

  @Test
  void aReceiverThatStopsReadingCostsBoundedMemoryAndIsDropped() throws Exception {
    DeliveryLink link = connect(5, false);
    try (Socket s = receiver.accept()) {
      // Never read: the kernel's buffers fill, then the loop's, then the link is dropped.
      ByteString chunk = ByteString.fromString("x".repeat(64 * 1024 - 1) + "\n");
      long bound = settings.deliveryWindowBytes() + DeliveryLoop.NOTICE_ROOM_BYTES;
      for (long sent = 0; sent < 4 * bound + (64L << 20); sent += chunk.length()) {
        link.send(chunk);
      }
      ParticipantSession.LinkClosed closed =
          events.expectMessageClass(ParticipantSession.LinkClosed.class, Duration.ofSeconds(5));
      assertEquals(
          "the connection to its receiver broke (its receiver does not read what it is sent)",
          closed.reason());
    }
  }
}
