package tempocast.participant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The delivery connection as the receiver runs it: what reaches the log, the console, the ACKs. */
class ReceiverTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** Feeds {@code lines} (one chunk, as if they arrived together) and returns what went back. */
  String run(Path file, boolean notifyDelivered, List<String> notices, String... lines)
      throws Exception {
    var log = kit.spawn(MessageLog.create(file));
    try {
      List<ByteString> out =
          Source.single(ByteString.fromString(String.join("\n", lines) + "\n"))
              .via(
                  Receiver.deliveryFlow(
                      kit.system(),
                      "alice",
                      log,
                      Duration.ofSeconds(3),
                      notifyDelivered,
                      n -> notices.add(n)))
              .runWith(Sink.seq(), kit.system())
              .toCompletableFuture()
              .get(5, TimeUnit.SECONDS);
      StringBuilder b = new StringBuilder();
      out.forEach(x -> b.append(x.utf8String()));
      return b.toString();
    } finally {
      kit.stop(log);
    }
  }

  @Test
  void directMessagesAreLoggedUnderTheInboxAndAckedPerTarget() throws Exception {
    Path file = dir.resolve("alice.log");
    List<String> notices = Collections.synchronizedList(new ArrayList<>());
    String acks =
        run(
            file,
            true,
            notices,
            "HELLO alice",
            "MSG main 1 1763719200123 bob hello, group",
            "MSG @alice 1 1763719200124 bob hi  alice",
            "MSG @alice 2 1763719200125 carol second",
            "MSG team 7 1763719200126 bob in team");
    assertEquals(
        List.of(
            "2025-11-21T10:00:00.123Z main #1 bob: hello, group",
            "2025-11-21T10:00:00.124Z @alice #1 bob: hi  alice",
            "2025-11-21T10:00:00.125Z @alice #2 carol: second",
            "2025-11-21T10:00:00.126Z team #7 bob: in team"),
        Files.readAllLines(file, StandardCharsets.UTF_8));
    // How the lines split into log writes depends on timing; what holds is that each group's and
    // inbox's ACKs only go up and end at its last sequence number.
    Map<String, List<Long>> acked = new TreeMap<>();
    acks.lines()
        .map(l -> l.split(" "))
        .forEach(
            f -> acked.computeIfAbsent(f[1], k -> new ArrayList<>()).add(Long.parseLong(f[2])));
    assertEquals(Map.of("@alice", 2L, "main", 1L, "team", 7L), lastOf(acked));
    acked.forEach(
        (target, seqs) ->
            assertEquals(seqs.stream().sorted().distinct().toList(), seqs, "cumulative ACKs"));
    assertEquals(List.of(), notices);
  }

  private static Map<String, Long> lastOf(Map<String, List<Long>> acked) {
    Map<String, Long> last = new TreeMap<>();
    acked.forEach((target, seqs) -> last.put(target, seqs.get(seqs.size() - 1)));
    return last;
  }

  @Test
  void eventsAndDeliveredNoticesGoToTheConsoleNeverToTheLogAndAreNotAcked() throws Exception {
    Path file = dir.resolve("alice.log");
    List<String> notices = Collections.synchronizedList(new ArrayList<>());
    String acks =
        run(
            file,
            true,
            notices,
            "HELLO alice",
            "EVENT team bob joined",
            "MSG team 1 1763719200123 bob hi",
            "EVENT team bob offline",
            "EVENT main carol online",
            "EVENT team carol left",
            "DELIVERED team 1",
            "DELIVERED @bob 3",
            "PING");
    assertEquals(
        List.of(
            "team: bob joined",
            "team: bob offline",
            "main: carol online",
            "team: carol left",
            "delivered team #1",
            "delivered @bob #3"),
        notices);
    assertEquals(
        List.of("2025-11-21T10:00:00.123Z team #1 bob: hi"),
        Files.readAllLines(file, StandardCharsets.UTF_8));
    assertEquals(List.of("ACK team 1", "PONG"), acks.lines().toList());
  }

  @Test
  void notifyDeliveredOffSilencesDeliveredNoticesButNotEvents() throws Exception {
    Path file = dir.resolve("alice.log");
    List<String> notices = Collections.synchronizedList(new ArrayList<>());
    String acks =
        run(file, false, notices, "HELLO alice", "DELIVERED main 4", "EVENT main bob left");
    assertEquals(List.of("main: bob left"), notices);
    assertEquals("", acks);
    assertEquals(false, Files.exists(file) && Files.size(file) > 0, "nothing in the log");
  }

  @Test
  void olderHelloFormIsAccepted() throws Exception {
    Path file = dir.resolve("alice.log");
    run(file, true, new ArrayList<>(), "HELLO main alice", "MSG main 1 1763719200123 bob x");
    assertEquals(1, Files.readAllLines(file, StandardCharsets.UTF_8).size());
  }

  @Test
  void aHelloForAnotherMemberClosesTheConnectionUnread() throws Exception {
    Path file = dir.resolve("alice.log");
    List<String> notices = new ArrayList<>();
    for (String hello : List.of("HELLO bob", "MSG main 1 1763719200123 bob x", "HELLO")) {
      ExecutionException e =
          assertThrows(
              ExecutionException.class,
              () -> run(file, true, notices, hello, "MSG main 1 1763719200123 bob x"));
      assertInstanceOf(Receiver.ForeignHello.class, e.getCause(), hello);
    }
    assertEquals(List.of(), notices);
    assertEquals(false, Files.exists(file) && Files.size(file) > 0, "nothing in the log");
  }
}
