package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static tempocast.it.ProcessFixture.texts;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/**
 * `quit` prints `OK bye`, exits 0 and leaves the member registered (treated as disconnected): after
 * a restart, `reconnect` delivers what was sent meanwhile. EOF on stdin quits the same way without
 * printing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class QuitIT extends ItBase {

  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(15);

  @Test
  void quitKeepsRegistrationAndReconnectCatchesUp() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    int bobPort = bob.lastPort;
    alice.msend("before quit");
    bob.awaitText("before quit");

    assertEquals("OK bye", bob.command("quit"));
    assertEquals(0, bob.proc.awaitExit(EXIT_TIMEOUT), "exit status after quit");
    ProcessFixture.assertPortFree(bobPort, "after quit");

    alice.msend("while bob is away 1");
    alice.msend("while bob is away 2");

    Participant bob2 = fx.restart(bob);
    bob2.reconnect(0); // only possible if quit left bob registered
    bob2.awaitText("while bob is away 2");
    alice.msend("barrier");
    bob2.awaitText("barrier");
    assertEquals(
        List.of("before quit", "while bob is away 1", "while bob is away 2", "barrier"),
        texts(bob2.logEntries()),
        "appended log, once each");
  }

  @Test
  void eofOnStdinQuitsWithoutPrinting() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    alice.msend("before eof");
    bob.awaitText("before eof");

    bob.proc.closeStdin();
    assertEquals(0, bob.proc.awaitExit(EXIT_TIMEOUT), "exit status after EOF on stdin");
    for (String l : bob.proc.stdoutLines()) {
      assertFalse(l.startsWith("OK bye"), "EOF = quit *without printing*, got: " + l);
    }

    alice.msend("after bob's eof");
    Participant bob2 = fx.restart(bob);
    bob2.expectError("register 0"); // still registered
    bob2.reconnect(0);
    bob2.awaitText("after bob's eof");
    assertEquals(List.of("before eof", "after bob's eof"), texts(bob2.logEntries()));
  }
}
