package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tempocast.it.ProcessFixture.seqs;
import static tempocast.it.ProcessFixture.texts;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * Guarantee 6: an acknowledged msend survives SIGKILL of the coordinator; after a restart with the
 * same config an offline member still gets it, and members that were online at the crash receive
 * again without typing anything (the coordinator reconnects to their receivers).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CoordinatorCrashIT extends ItBase {

  /**
   * Commands right after the restart may meet a participant whose old coordinator connection is
   * dead.
   */
  private static final int ATTEMPTS = 10;

  @Test
  void acknowledgedMessagesSurviveCoordinatorSigkill() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> all = fx.startAndRegister(c, "alice", "bob", "carol", "dave");
    Participant alice = all.get(0);
    Participant bob = all.get(1);
    Participant carol = all.get(2);
    Participant dave = all.get(3);

    alice.msend("m0 everyone online");
    for (Participant p : all) p.awaitText("m0 everyone online");

    // carol and dave are offline at the crash; alice and bob online
    carol.disconnect();
    dave.disconnect();
    long s1 = alice.msend("m1 acked before crash");
    long s2 = bob.msend("m2 acked before crash");
    long s3 = alice.msend("m3 acked before crash");
    assertTrue(s1 < s2 && s2 < s3, "seqs grow: " + s1 + " " + s2 + " " + s3);

    c.kill(); // SIGKILL right after the OKs
    assertTrue(!c.proc.isAlive());
    Coordinator c2 = fx.restart(c);

    // carol reconnects right after the restart, before anything new is sent
    carol.checkReconnected(carol.commandUntilOk("reconnect 0", ATTEMPTS), 0);
    // a message sent after the restart: alice and bob (online at the crash) must get it without
    // typing
    long s4 = Participant.parseSent(alice.commandUntilOk("msend m4 after restart", ATTEMPTS));
    assertTrue(s4 > s3, "seq keeps growing across the restart: " + s4 + " after " + s3);
    // dave reconnects only after that
    dave.checkReconnected(dave.commandUntilOk("reconnect 0", ATTEMPTS), 0);

    List<String> want =
        List.of(
            "m0 everyone online",
            "m1 acked before crash",
            "m2 acked before crash",
            "m3 acked before crash",
            "m4 after restart");
    for (Participant p : all) p.awaitText("m4 after restart");
    assertAll(
        all.stream()
            .map(
                p ->
                    (Executable)
                        () -> {
                          List<LogEntry> log = p.logEntries();
                          String role =
                              p == alice || p == bob
                                  ? "online at the crash, typed nothing since"
                                  : p == carol
                                      ? "offline at the crash, reconnected before any new message"
                                      : "offline at the crash, reconnected after a new message";
                          assertEquals(
                              want,
                              texts(log),
                              p.id
                                  + " ("
                                  + role
                                  + "): every acknowledged message exactly once, in order");
                          assertEquals(
                              List.of(s1, s2, s3, s4),
                              seqs(log).subList(1, 5),
                              p.id + ": logged seqs = acknowledged seqs");
                        }));

    // and bob can send again too
    Participant.parseSent(bob.commandUntilOk("msend m5 bob after restart", ATTEMPTS));
    for (Participant p : all) {
      p.awaitText("m5 bob after restart");
      assertEquals(want.size() + 1, p.logEntries().size(), p.id + ": " + p.logEntries());
    }
    assertTrue(c2.proc.isAlive());
  }
}
