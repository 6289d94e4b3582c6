package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static tempocast.it.ProcessFixture.assertStrictlyIncreasingSeqs;
import static tempocast.it.ProcessFixture.texts;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * Guarantee 4: deregister + register = a new entrant. Messages sent while deregistered never arrive
 * (not even with a large td); only messages sent after the new registration do.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReregisterIT extends ItBase {

  @Test
  void reregisteredMemberOnlyGetsMessagesAfterTheNewRegistration() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    int bobPort = bob.lastPort;

    alice.msend("m1 while bob registered");
    bob.awaitText("m1 while bob registered");

    bob.deregister();
    ProcessFixture.assertPortFree(bobPort, "after deregister");
    bob.expectError("msend not registered any more");
    alice.msend("m2 while bob deregistered");
    alice.msend("m3 while bob deregistered");
    alice.awaitText("m3 while bob deregistered");

    bob.register(0);
    alice.msend("m4 after re-register");
    bob.msend("m5 from bob");

    List<String> bobWants =
        List.of("m1 while bob registered", "m4 after re-register", "m5 from bob");
    bob.awaitText("m5 from bob");
    List<LogEntry> bobLog = bob.logEntries();
    assertEquals(bobWants, texts(bobLog), "bob: nothing from while he was deregistered");
    assertStrictlyIncreasingSeqs(bobLog, "bob");

    alice.awaitText("m5 from bob");
    List<LogEntry> aliceLog = alice.logEntries();
    assertEquals(
        List.of(
            "m1 while bob registered",
            "m2 while bob deregistered",
            "m3 while bob deregistered",
            "m4 after re-register",
            "m5 from bob"),
        texts(aliceLog));
    assertEquals(aliceLog.get(3).seq(), bobLog.get(1).seq(), "same seq for m4 everywhere");

    // a disconnect/reconnect cycle after re-registering must not bring back m2/m3 either
    bob.disconnect();
    bob.reconnect(0);
    alice.msend("m6 barrier");
    bob.awaitText("m6 barrier");
    assertEquals(
        List.of("m1 while bob registered", "m4 after re-register", "m5 from bob", "m6 barrier"),
        texts(bob.logEntries()));
  }
}
