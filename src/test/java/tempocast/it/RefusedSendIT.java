package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tempocast.it.ProcessFixture.texts;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/** Guarantee 7: msend while not registered or while disconnected prints ERROR and sends nothing. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RefusedSendIT extends ItBase {

  @Test
  void msendWhileNotRegisteredOrOfflineIsRefusedAndSendsNothing() {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    Participant bob = fx.startParticipant("bob", c.port);
    Participant carol = fx.startParticipant("carol", c.port);
    alice.register(0);
    carol.register(0);

    // bob never registered
    bob.expectError("msend from unregistered bob");
    long s1 = alice.msend("first real message");
    assertEquals(1, s1, "the refused msend must not have been stored (seqs start at 1)");
    for (Participant p : List.of(alice, carol)) {
      p.awaitText("first real message");
      assertEquals(List.of("first real message"), texts(p.logEntries()), p.id);
    }

    // alice disconnected
    alice.disconnect();
    alice.expectError("msend from offline alice");
    alice.expectError("msend from offline alice, again");
    long s2 = carol.msend("carol while alice offline");
    assertEquals(s1 + 1, s2, "refused messages must not have been stored");
    alice.reconnect(0);
    long s3 = carol.msend("carol after alice is back");
    assertEquals(s2 + 1, s3);

    List<String> want =
        List.of("first real message", "carol while alice offline", "carol after alice is back");
    for (Participant p : List.of(alice, carol)) {
      p.awaitText("carol after alice is back");
      List<LogEntry> log = p.logEntries();
      assertEquals(want, texts(log), p.id + ": no refused message in the log");
    }
    assertTrue(
        bob.logLines().isEmpty(), "bob (never registered) has no log lines: " + bob.logLines());

    // bob registers now: the refused message from before must not show up for him either
    bob.register(0);
    bob.msend("bob registered");
    bob.awaitText("bob registered");
    assertEquals(List.of("bob registered"), texts(bob.logEntries()));
  }
}
