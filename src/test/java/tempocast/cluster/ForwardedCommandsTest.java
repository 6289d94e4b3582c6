package tempocast.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tempocast.coordinator.CommandRoute;
import tempocast.coordinator.CoordinatorConfigFile;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.CommandCodec;

/**
 * What a node's command port does with a command while the coordinator role is away (its holder
 * died and the next one is loading): a command that may run twice is sent again, unchanged, until
 * one is answered; any other is sent once and answered with an error to retry. Each carries its
 * connection's number and oldest unanswered one. Time moved by hand.
 */
class ForwardedCommandsTest {
  static final ActorTestKit kit = ActorTestKit.create(ManualTime.config());
  static final ManualTime time = ManualTime.get(kit.system());
  static final Duration TRY = Duration.ofSeconds(5);
  static final String TIMEOUT =
      "ERROR internal the coordinator did not answer in time; the outcome is unknown, retry"
          + " with the same MSGID\n";

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  ForwardedCommands route(TestProbe<CoordinatorRole.Command> role, Duration retryFor)
      throws Exception {
    Path file = dir.resolve("node.conf");
    Files.writeString(file, "5999\n5\n");
    CoordinatorSettings settings = CoordinatorConfigFile.load(file);
    return new ForwardedCommands(kit.system(), role.getRef(), settings, TRY, retryFor);
  }

  static CompletableFuture<String> send(
      CommandRoute.Stream connection, String line, String credential) throws Exception {
    ClientCommand command = CommandCodec.parse(line);
    return connection
        .route(command, ByteString.fromString(line), credential)
        .thenApply(ByteString::utf8String)
        .toCompletableFuture();
  }

  /** The answer to {@code f}, as the role gives it. */
  static void answer(CoordinatorRole.Forward f, String line) {
    f.replyTo()
        .tell(new CoordinatorRole.Answer(f.origin(), f.n(), line.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void anMsendWithItsIdIsSentAgainUnchangedUntilAnswered() throws Exception {
    TestProbe<CoordinatorRole.Command> role = kit.createTestProbe();
    String line = "MSEND main alice m-1 hello";
    CompletableFuture<String> reply =
        send(route(role, Duration.ofSeconds(60)).open(), line, "secret");
    CoordinatorRole.Forward first = role.expectMessageClass(CoordinatorRole.Forward.class);
    assertEquals("secret", first.credential());
    time.timePasses(TRY); // the holder died with it: no answer
    CoordinatorRole.Forward second = role.expectMessageClass(CoordinatorRole.Forward.class);
    assertArrayEquals(first.line(), second.line());
    assertEquals(List.of(first.origin(), 1L), List.of(second.origin(), second.n()));
    assertEquals("secret", second.credential());
    answer(second, "OK SENT main 7\n");
    assertEquals("OK SENT main 7\n", reply.get(10, TimeUnit.SECONDS));
    time.timePasses(TRY.multipliedBy(2));
    role.expectNoMessage(Duration.ZERO); // answered: not sent again
  }

  @Test
  void aCommandThatMustNotRunTwiceIsSentOnce() throws Exception {
    TestProbe<CoordinatorRole.Command> role = kit.createTestProbe();
    CompletableFuture<String> reply =
        send(
            route(role, Duration.ofSeconds(60)).open(), "REGISTER main alice 127.0.0.1 4000", null);
    CoordinatorRole.Forward f = role.expectMessageClass(CoordinatorRole.Forward.class);
    time.timePasses(TRY);
    role.expectNoMessage(Duration.ZERO);
    assertFalse(reply.isDone());
    time.timePasses(Duration.ofSeconds(8)); // 13 s in all: ask-timeout plus connect-timeout
    assertEquals(TIMEOUT, reply.get(10, TimeUnit.SECONDS));
    assertEquals(
        new CoordinatorRole.GivenUp(f.origin(), 1),
        role.expectMessageClass(CoordinatorRole.GivenUp.class)); // and not sent again
    role.expectNoMessage(Duration.ZERO);
  }

  @Test
  void anMsendGivesUpOnceItsRetryTimeIsOver() throws Exception {
    TestProbe<CoordinatorRole.Command> role = kit.createTestProbe();
    CompletableFuture<String> reply =
        send(route(role, Duration.ZERO).open(), "MSEND main alice m-2 hello", null);
    role.expectMessageClass(CoordinatorRole.Forward.class);
    time.timePasses(TRY);
    assertEquals(TIMEOUT, reply.get(10, TimeUnit.SECONDS));
    role.expectMessageClass(CoordinatorRole.GivenUp.class);
    role.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aConnectionsCommandsCarryTheirNumberAndItsOldestUnanswered() throws Exception {
    TestProbe<CoordinatorRole.Command> role = kit.createTestProbe();
    ForwardedCommands route = route(role, Duration.ofSeconds(60));
    CommandRoute.Stream connection = route.open();
    CompletableFuture<String> first = send(connection, "MSEND main alice m-1 one", null);
    CompletableFuture<String> second = send(connection, "MSEND main alice m-2 two", null);
    CoordinatorRole.Forward f1 = role.expectMessageClass(CoordinatorRole.Forward.class);
    CoordinatorRole.Forward f2 = role.expectMessageClass(CoordinatorRole.Forward.class);
    assertEquals(f1.origin(), f2.origin());
    assertEquals(List.of(1L, 1L, 2L, 1L), List.of(f1.n(), f1.oldest(), f2.n(), f2.oldest()));
    answer(f1, "OK SENT main 1\n");
    assertEquals("OK SENT main 1\n", first.get(10, TimeUnit.SECONDS));
    time.timePasses(TRY); // the second is sent again: its oldest unanswered is now itself
    CoordinatorRole.Forward again = role.expectMessageClass(CoordinatorRole.Forward.class);
    assertEquals(List.of(2L, 2L), List.of(again.n(), again.oldest()));
    answer(again, "OK SENT main 2\n");
    assertEquals("OK SENT main 2\n", second.get(10, TimeUnit.SECONDS));
    send(route.open(), "GROUPS", null);
    CoordinatorRole.Forward other = role.expectMessageClass(CoordinatorRole.Forward.class);
    assertNotEquals(f1.origin(), other.origin());
    assertEquals(1L, other.n());
  }

  @Test
  void aClosedConnectionIsReported() throws Exception {
    TestProbe<CoordinatorRole.Command> role = kit.createTestProbe();
    CommandRoute.Stream connection = route(role, Duration.ofSeconds(60)).open();
    send(connection, "GROUPS", null);
    CoordinatorRole.Forward f = role.expectMessageClass(CoordinatorRole.Forward.class);
    connection.closed();
    assertEquals(
        new CoordinatorRole.Closed(f.origin()),
        role.expectMessageClass(CoordinatorRole.Closed.class));
  }
}
