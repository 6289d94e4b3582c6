package tempocast.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RetentionTest {
  static final long TD = 10_000;

  @Test
  void offlineExactlyTdIsStillOwedEverything() {
    assertTrue(Retention.owedEverything(1_000, 11_000, TD));
    assertEquals(Retention.EVERYTHING, Retention.replayNotBefore(1_000, 11_000, TD));
  }

  @Test
  void offlineLongerThanTdIsOwedOnlyTheLastTd() {
    assertFalse(Retention.owedEverything(1_000, 11_001, TD));
    assertEquals(1_001, Retention.replayNotBefore(1_000, 11_001, TD));
  }

  @Test
  void onlineAndRecentlyOfflineParticipantsProtectTheBacklog() {
    ParticipantRecord online = new ParticipantRecord("a", true, -1, "h", 1, null);
    ParticipantRecord recent = new ParticipantRecord("b", false, 50_000, "h", 1, null);
    ParticipantRecord gone = new ParticipantRecord("c", false, 39_999, "h", 1, null);
    assertTrue(Retention.protectsBacklog(online, 60_000, TD));
    assertTrue(Retention.protectsBacklog(recent, 60_000, TD));
    assertFalse(Retention.protectsBacklog(gone, 50_000, TD));
  }

  @Test
  void aLostParticipantProtectsTheBacklogOnlyForTd() {
    // online by its own account, but its receiver unreachable since 40,000
    ParticipantRecord lost = new ParticipantRecord("d", true, 40_000, "h", 1, null);
    assertTrue(Retention.protectsBacklog(lost, 50_000, TD));
    assertFalse(Retention.protectsBacklog(lost, 50_001, TD));
  }

  @Test
  void aMessageExpiresForARecipientAwayLongerThanTdOnceItIsOlderThanTd() {
    assertFalse(Retention.expiredWhileAway(-1, 0, 50_000, TD)); // reachable
    assertFalse(Retention.expiredWhileAway(40_000, 39_000, 50_000, TD)); // away exactly td
    assertTrue(Retention.expiredWhileAway(40_000, 40_999, 51_000, TD));
    assertFalse(Retention.expiredWhileAway(40_000, 41_000, 51_000, TD)); // exactly td old
  }
}
