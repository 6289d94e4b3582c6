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
  void onlineAndRecentlyOfflineMembersProtectTheBacklog() {
    MemberRecord online = new MemberRecord("main", "a", 0, true, -1, 5, "h", 1);
    MemberRecord recent = new MemberRecord("main", "b", 0, false, 50_000, 5, "h", 1);
    MemberRecord gone = new MemberRecord("main", "c", 0, false, 39_999, 5, "h", 1);
    assertTrue(Retention.protectsBacklog(online, 60_000, TD));
    assertTrue(Retention.protectsBacklog(recent, 60_000, TD));
    assertFalse(Retention.protectsBacklog(gone, 50_000, TD));
  }

  @Test
  void aLostMemberProtectsTheBacklogOnlyForTd() {
    // online by its own account, but its receiver unreachable since 40,000
    MemberRecord lost = new MemberRecord("main", "d", 0, true, 40_000, 5, "h", 1);
    assertTrue(Retention.protectsBacklog(lost, 50_000, TD));
    assertFalse(Retention.protectsBacklog(lost, 50_001, TD));
  }
}
