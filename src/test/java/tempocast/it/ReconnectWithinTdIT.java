package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Guarantee 3, first case (T_r - T_d <= td): a member that disconnects and comes back within td
 * gets everything it missed, in order, once; its receiver port is released while it is offline.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReconnectWithinTdIT extends ItBase {

  @Test
  void reconnectWithinTdDeliversEverythingMissedInOrder() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);
    int bobPort = bob.lastPort;

    alice.msend("before disconnect");
    bob.awaitText("before disconnect");

    bob.disconnect();
    // the receiver port must be free while offline: bind it ourselves, then give it back
    ProcessFixture.assertPortFree(bobPort, "after disconnect");

    List<String> missed = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      Participant sender = i % 2 == 0 ? alice : carol;
      String text = "missed " + i + " from " + sender.id;
      sender.msend(text);
      missed.add(text);
    }
    bob.assertNoStrayResult("while offline");
    assertEquals(1, bob.logLines().size(), "nothing is delivered to an offline member");

    assertEquals(bobPort, bob.reconnect(bobPort));
    List<LogEntry> got = bob.awaitLog(1 + missed.size());
    assertEquals(missed, texts(got.subList(1, got.size())), "missed messages, in order");

    // barrier from bob himself: afterwards no late duplicate of the replay can still be on its way
    bob.msend("bob is back");
    List<String> want = new ArrayList<>();
    want.add("before disconnect");
    want.addAll(missed);
    want.add("bob is back");
    for (Participant p : List.of(alice, bob, carol)) {
      List<LogEntry> log = p.awaitLog(want.size());
      assertEquals(want, texts(p.logEntries()), p.id + ": whole log, once each, in order");
      assertStrictlyIncreasingSeqs(log, p.id);
    }
    assertEquals(seqs(alice.logEntries()), seqs(bob.logEntries()), "same seqs for every member");
  }
}
