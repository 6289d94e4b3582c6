package tempocast.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.Reply;

/**
 * A participant that registers while others publish receives every message from its join on,
 * without a gap. The group delivers to a new member as soon as it is one, and that can reach the
 * member's session before the session has heard that its join succeeded (the answer takes one hop
 * more); those deliveries must wait for it, not be dropped.
 */
class JoinWhilePublishingTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void aMemberWhoJoinsDuringAStreamOfMessagesGetsEveryOneFromItsJoinOn() {
    for (int round = 0; round < 5; round++) {
      GroupFixture g = new GroupFixture(kit, Duration.ofSeconds(30), Clock.systemUTC());
      try {
        assertEquals("OK REGISTERED main alice 1", g.register("alice", 1));
        // alice's messages go out without waiting for each answer, for as long as bob's
        // registration takes and a while after
        TestProbe<Reply> answers = kit.createTestProbe();
        java.util.concurrent.CompletableFuture<Reply> registered =
            org.apache.pekko.actor.typed.javadsl.AskPattern.<Directory.Command, Reply>ask(
                    g.directory,
                    r ->
                        new Directory.Handle(
                            new ClientCommand.Register("main", "bob", "127.0.0.1", 2),
                            new Directory.Caller(null),
                            r),
                    Duration.ofSeconds(10),
                    kit.system().scheduler())
                .toCompletableFuture();
        int sent = 0;
        int after = 0;
        while (after < 100) {
          g.directory.tell(
              new Directory.Handle(
                  new ClientCommand.MSend(
                      "main", "alice", null, ("m" + sent).getBytes(StandardCharsets.UTF_8)),
                  new Directory.Caller(null),
                  answers.ref()));
          sent++;
          if (registered.isDone()) {
            after++;
          } else if (sent % 10 == 0) {
            answers.receiveSeveralMessages(10, Duration.ofSeconds(10)); // keep pace with the group
          }
        }
        long firstOwed = ((Reply.Registered) registered.join()).nextSeq();
        final int messages = sent;
        assertTrue(firstOwed > 0, "bob registered");
        List<Long> got = new ArrayList<>();
        while (got.isEmpty() || got.get(got.size() - 1) < messages) {
          String lines;
          try {
            lines = g.nextTo("bob");
          } catch (AssertionError e) {
            throw new AssertionError("round " + round + " from " + firstOwed + " got " + got, e);
          }
          for (String line : lines.split("\n")) {
            long seq = Long.parseLong(line.split(" ")[2]);
            got.add(seq);
            g.receivers.ack("bob", seq);
          }
        }
        List<Long> owed = new ArrayList<>();
        for (long s = firstOwed; s <= messages; s++) {
          owed.add(s);
        }
        assertEquals(owed, got, "round " + round);
      } finally {
        g.stop();
      }
    }
  }
}
