package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/**
 * An msend whose coordinator went away before answering is sent again by the participant, with the
 * same message ID, until the coordinator is back: one OK for the user, one line in every log.
 * Meanwhile the console says what is going on, and the receivers notice the lost connection.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MsendRetryIT extends ItBase {

  @Test
  void anUnansweredMsendIsRetriedUntilTheCoordinatorIsBackAndStoredOnce() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    alice.msend("before the crash");
    bob.awaitText("before the crash");

    c.kill();
    awaitNotice(bob, "coordinator connection lost");
    String cmd = "msend sent while the coordinator is down";
    alice.proc.writeLine(cmd);
    awaitNotice(alice, "coordinator unreachable");
    Coordinator c2 = fx.restart(c);

    String ok = alice.nextResult(Duration.ofSeconds(60), cmd);
    assertTrue(ok.startsWith("OK sent #"), ok);
    awaitNotice(bob, "coordinator connection restored");
    for (Participant p : List.of(alice, bob)) {
      p.awaitText("sent while the coordinator is down");
      assertEquals(
          List.of("before the crash", "sent while the coordinator is down"),
          ProcessFixture.texts(p.logEntries()),
          p.id + ": the retried message exactly once");
    }
    assertTrue(c2.proc.isAlive());
  }

  /** A console line that is not a command result (those start with OK or ERROR). */
  private static void awaitNotice(Participant p, String prefix) {
    ProcessFixture.await(
        Duration.ofSeconds(15),
        p.id + "'s notice '" + prefix + "...'",
        () -> p.proc.stdoutLines().stream().anyMatch(l -> l.startsWith(prefix)));
  }
}
