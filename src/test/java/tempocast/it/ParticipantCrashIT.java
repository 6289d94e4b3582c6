package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tempocast.it.ProcessFixture.assertStrictlyIncreasingSeqs;
import static tempocast.it.ProcessFixture.seqs;
import static tempocast.it.ProcessFixture.texts;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * A participant killed with SIGKILL stays registered: after a restart with the same config
 * `register` is refused, `reconnect PORT` delivers what it missed, and its (appended) log never has
 * a seq twice, even for messages that were logged but perhaps not yet acknowledged when it died.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ParticipantCrashIT extends ItBase {

  @Test
  void killedParticipantRestartsAndCatchesUpWithoutDuplicates() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);
    int bobPort = bob.lastPort;

    List<String> want = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      String t = "before crash " + i;
      (i % 2 == 0 ? carol : alice).msend(t);
      want.add(t);
    }
    // kill bob the moment the last message is in his log: its ACK may or may not have reached the
    // coordinator, so the coordinator may send it again after the restart
    bob.awaitText("before crash 5");
    bob.kill();
    assertTrue(!bob.isAlive());

    for (int i = 1; i <= 4; i++) {
      String t = "while bob is dead " + i;
      (i % 2 == 0 ? carol : alice).msend(t);
      want.add(t);
    }

    Participant bob2 = fx.restart(bob);
    // still registered: the coordinator refuses a new registration
    bob2.expectError("register 0");
    assertEquals(bobPort, bob2.reconnect(bobPort), "reconnect on the old receiver port");
    bob2.awaitText("while bob is dead 4");

    alice.msend("barrier after bob is back");
    want.add("barrier after bob is back");
    for (Participant p : List.of(alice, bob2, carol)) {
      p.awaitText("barrier after bob is back");
      List<LogEntry> log = p.logEntries();
      assertEquals(want, texts(log), p.id + ": every message exactly once, in order");
      assertStrictlyIncreasingSeqs(log, p.id);
    }
    assertEquals(
        seqs(alice.logEntries()), seqs(bob2.logEntries()), "same seqs for bob as for alice");

    bob2.msend("bob after restart");
    alice.awaitText("bob after restart");
    bob2.awaitText("bob after restart");
    assertEquals(want.size() + 1, bob2.logEntries().size());
  }
}
