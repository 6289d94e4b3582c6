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

/**
 * Guarantee 3, second case (T_r - T_d > td): only the missed messages with timestamp >= T_r - td
 * are delivered; older ones are not.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReconnectPastTdIT extends ItBase {

  private static final long TD_MILLIS = 2000;

  @Test
  void reconnectAfterTdGetsOnlyMessagesYoungerThanTd() {
    Coordinator c = fx.startCoordinator("2");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);

    alice.msend("seen by both");
    bob.awaitText("seen by both");

    bob.disconnect();
    long disconnectedAt = System.currentTimeMillis(); // T_d <= this
    alice.msend("A: too old when bob is back");
    long aAckedAt = System.currentTimeMillis(); // TS(A) <= this

    // Real time must pass here: the td rule is about wall-clock age on the coordinator. Wait until
    // A is older than td (which also puts the disconnect more than td in the past), plus a margin.
    long waitUntil = Math.max(aAckedAt, disconnectedAt) + TD_MILLIS + 400;
    ProcessFixture.sleepQuietly(Math.max(0, waitUntil - System.currentTimeMillis()));

    alice.msend("B: fresh when bob is back");
    long reconnectStart = System.currentTimeMillis(); // T_r >= this
    assertTrue(
        reconnectStart - disconnectedAt > TD_MILLIS, "test set-up: more than td since disconnect");
    bob.reconnect(0);
    long reconnectDone = System.currentTimeMillis();

    // barrier sent while bob is online: the replay (if any) comes before it
    alice.msend("C: live");
    bob.awaitText("C: live");
    List<LogEntry> log = bob.logEntries();
    assertEquals(
        List.of("seen by both", "B: fresh when bob is back", "C: live"),
        texts(log),
        "bob gets B (younger than td at reconnect) but not A (older than td)");

    for (LogEntry e : log.subList(1, 3)) {
      long ts = e.ts().toEpochMilli();
      assertTrue(
          ts >= reconnectStart - TD_MILLIS,
          "delivered after a long absence but older than T_r - td: "
              + e
              + " (T_r >= "
              + reconnectStart
              + ")");
      assertTrue(ts <= System.currentTimeMillis(), "timestamp in the future: " + e);
    }
    assertTrue(
        log.get(1).ts().toEpochMilli() <= reconnectDone,
        "B was stamped before the reconnect finished");
    assertTrue(log.get(1).seq() < log.get(2).seq());

    List<LogEntry> aliceLog = alice.awaitLog(4);
    assertEquals(
        List.of(
            "seen by both", "A: too old when bob is back", "B: fresh when bob is back", "C: live"),
        texts(aliceLog),
        "alice (online all along) has everything");
    assertEquals(aliceLog.get(2).seq(), log.get(1).seq(), "same seq for B everywhere");
  }
}
