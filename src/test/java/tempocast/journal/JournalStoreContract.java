package tempocast.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tempocast.protocol.StoredMessage;

/**
 * What every {@link JournalStore} does, whatever keeps it: run by {@link RocksDbJournalStoreTest}
 * and {@link InMemoryJournalStoreTest}, so that the in-memory store the actor tests use behaves as
 * the one in production.
 */
abstract class JournalStoreContract {
  JournalStore store;

  /** A new, empty store. */
  abstract JournalStore open();

  /** The store as a restarted coordinator finds it, once {@code closed} is closed. */
  abstract JournalStore reopen(JournalStore closed);

  @BeforeEach
  void openStore() {
    store = open();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** Closes the store and opens it again, as a coordinator restart does. */
  void restart() {
    store.close();
    store = reopen(store);
  }

  static StoredMessage msg(String group, long seq, long ts) {
    return new StoredMessage(
        group, seq, ts, "alice", "id" + seq, ("m" + seq).getBytes(StandardCharsets.UTF_8));
  }

  static List<Long> seqs(JournalStore.ReadResult r) {
    return r.messages().stream().map(StoredMessage::seq).toList();
  }

  static List<Long> seqs(List<StoredMessage> ms) {
    return ms.stream().map(StoredMessage::seq).toList();
  }

  @Test
  void readsBackInSeqOrderPerGroup() {
    store.append(List.of(msg("main", 1, 100), msg("other", 1, 100), msg("main", 2, 200)), false);
    store.append(List.of(msg("main", 3, 300)), true);
    var r = store.read("main", 2, Long.MIN_VALUE, 10);
    assertEquals(List.of(2L, 3L), seqs(r));
    assertEquals(3, r.upTo());
    StoredMessage m = r.messages().get(0);
    assertEquals("main", m.group());
    assertEquals(200, m.timestamp());
    assertEquals("alice", m.sender());
    assertEquals("id2", m.msgId());
    assertEquals("m2", new String(m.text(), StandardCharsets.UTF_8));
    assertEquals(List.of(1L), seqs(store.read("other", 1, Long.MIN_VALUE, 10)));
  }

  @Test
  void readHonoursNotBeforeAndMax() {
    store.append(
        List.of(msg("main", 1, 100), msg("main", 2, 200), msg("main", 3, 300), msg("main", 4, 400)),
        false);
    var r = store.read("main", 1, 250, 10);
    assertEquals(List.of(3L, 4L), seqs(r));
    assertEquals(4, r.upTo());
    var limited = store.read("main", 1, Long.MIN_VALUE, 2);
    assertEquals(List.of(1L, 2L), seqs(limited));
    assertEquals(2, limited.upTo());
  }

  @Test
  void aReadThatEndsOnMaxDoesNotClaimWhatComesAfter() {
    store.append(List.of(msg("main", 1, 100), msg("main", 2, 200)), false);
    var exact = store.read("main", 1, Long.MIN_VALUE, 2);
    assertEquals(List.of(1L, 2L), seqs(exact));
    assertEquals(2, exact.upTo(), "stopped by max: not known to be the end");
    assertEquals(0, store.read("main", 1, Long.MIN_VALUE, 0).upTo(), "max 0 reads nothing");
  }

  @Test
  void messagesBeforeNotBeforeArePassedButNotReturned() {
    store.append(List.of(msg("main", 1, 100), msg("main", 2, 200), msg("main", 3, 300)), false);
    var r = store.read("main", 1, 1_000, 1);
    assertEquals(List.of(), seqs(r));
    assertEquals(3, r.upTo(), "passed over every message, too old to count towards max");
    var fromPastTheEnd = store.read("main", 9, Long.MIN_VALUE, 10);
    assertEquals(List.of(), seqs(fromPastTheEnd));
    assertEquals(8, fromPastTheEnd.upTo());
    var unknown = store.read("nosuch", 1, Long.MIN_VALUE, 10);
    assertEquals(List.of(), seqs(unknown));
    assertEquals(0, unknown.upTo());
  }

  @Test
  void readStopsOnceTheBytesReachMaxBytesReturningAtLeastOne() {
    store.append(
        List.of(msg("main", 1, 100), msg("main", 2, 200), msg("main", 3, 300), msg("main", 4, 400)),
        false); // two bytes of text each
    var one = store.read("main", 1, Long.MIN_VALUE, 10, 1);
    assertEquals(List.of(1L), seqs(one));
    assertEquals(1, one.upTo());
    var two = store.read("main", 1, Long.MIN_VALUE, 10, 4);
    assertEquals(List.of(1L, 2L), seqs(two));
    assertEquals(2, two.upTo());
    var rest = store.read("main", 3, Long.MIN_VALUE, 10, 5);
    assertEquals(List.of(3L, 4L), seqs(rest));
    assertEquals(4, rest.upTo());
  }

  @Test
  void theLastSeqIsKnownWhenTheLastMessagesArePruned() {
    store.append(List.of(msg("main", 1, 100), msg("main", 2, 200)), false);
    assertEquals(2, store.prune("main", 2, 1_000));
    var r = store.read("main", 1, Long.MIN_VALUE, 10);
    assertEquals(List.of(), seqs(r));
    assertEquals(2, r.upTo());
    assertEquals(2L, store.load().lastSeqByTarget().get("main"));
  }

  @Test
  void messageFindsOneBySeq() {
    store.append(List.of(msg("main", 1, 100), msg("main", 2, 200)), false);
    assertEquals(200, store.message("main", 2).timestamp());
    assertNull(store.message("main", 3));
    assertNull(store.message("other", 1));
  }

  @Test
  void aMessageWithoutAnIdReadsBackWithout() {
    store.append(
        List.of(
            new StoredMessage("main", 1, 100, "bob", null, new byte[0]),
            new StoredMessage("main", 2, 100, "bob", "", new byte[] {'x'})),
        false);
    var r = store.read("main", 1, Long.MIN_VALUE, 10).messages();
    assertNull(r.get(0).msgId());
    assertEquals(0, r.get(0).text().length);
    assertNull(r.get(1).msgId(), "an empty ID is none");
  }

  @Test
  void theStoreKeepsItsOwnCopyOfTheText() {
    byte[] text = "abc".getBytes(StandardCharsets.UTF_8);
    store.append(List.of(new StoredMessage("main", 1, 100, "bob", null, text)), false);
    text[0] = 'X';
    store.read("main", 1, Long.MIN_VALUE, 10).messages().get(0).text()[1] = 'Y';
    assertEquals("abc", new String(store.message("main", 1).text(), StandardCharsets.UTF_8));
  }

  @Test
  void pruneStopsAtTheFirstMessageThatMustStay() {
    store.append(List.of(msg("main", 1, 100), msg("main", 2, 200), msg("main", 3, 300)), false);
    assertEquals(1, store.prune("main", 1, 1_000)); // seq 2 is still owed to someone
    assertEquals(1, store.prune("main", 10, 250)); // seq 3 is younger than td
    assertEquals(0, store.prune("main", 10, 300)); // not older than td: exactly td old stays
    assertEquals(0, store.prune("nosuch", 10, 1_000));
    assertEquals(List.of(3L), seqs(store.read("main", 1, Long.MIN_VALUE, 10)));
  }

  @Test
  void pruneDropsTheDeliveryRecordsOnlyThePrunedMessagesNeeded() {
    store.append(
        List.of(msg("main", 1, 100), msg("main", 2, 200), msg("main", 3, 300), msg("main", 4, 400)),
        false);
    MembershipRecord bob = new MembershipRecord("main", "bob", 0, 3);
    store.putProgress(
        List.of(new JournalStore.Progress(bob, new long[] {1, 2, 3}, new long[] {110, 210, 310})));
    store.endMembership(new MembershipRecord("main", "carol", 0, 1), 1, false);
    store.endMembership(new MembershipRecord("main", "dave", 0, 3), 3, false);
    store.putExpiry("main", "erin", 0, 150, false);
    store.putExpiry("main", "frank", 1, 350, false);
    assertEquals(110, store.deliveredAt("main", "bob", 1, 2));
    assertTrue(store.expiredByMarker("main", "erin", 3, 120));

    assertEquals(2, store.prune("main", 2, 1_000));

    assertEquals(310, store.deliveredAt("main", "bob", 1, 3), "acks of 1 and 2 are gone");
    assertEquals(-1, store.deliveredAt("main", "bob", 1, 2));
    assertEquals(
        List.of(new EndedMembership("main", "dave", 0, 3)),
        store.loadTarget("main").ended(),
        "carol ended at 1, pruned");
    assertFalse(
        store.expiredByMarker("main", "erin", 3, 120), "older than all that is left: pruned");
    assertTrue(store.expiredByMarker("main", "frank", 3, 340), "still covers seq 3 (ts 300)");

    assertEquals(2, store.prune("main", 4, 1_000)); // nothing left: every marker goes
    assertFalse(store.expiredByMarker("main", "frank", 3, 340));
    assertEquals(List.of(), store.loadTarget("main").ended());
    assertEquals(List.of(bob), store.load().memberships());
  }

  @Test
  void deliveredAtIsTheTimeOfTheFirstAcknowledgementAtOrAfterTheSeq() {
    MembershipRecord bob = new MembershipRecord("main", "bob", 0, 5);
    store.putProgress(
        List.of(new JournalStore.Progress(bob, new long[] {2, 5}, new long[] {200, 500})));
    assertEquals(200, store.deliveredAt("main", "bob", 1, 10));
    assertEquals(200, store.deliveredAt("main", "bob", 2, 2));
    assertEquals(500, store.deliveredAt("main", "bob", 3, 5));
    assertEquals(-1, store.deliveredAt("main", "bob", 3, 4));
    assertEquals(-1, store.deliveredAt("main", "bob", 6, Long.MAX_VALUE));
    assertEquals(-1, store.deliveredAt("main", "carol", 1, Long.MAX_VALUE));
    assertEquals(-1, store.deliveredAt("other", "bob", 1, Long.MAX_VALUE));
    assertEquals(List.of(bob), store.load().memberships(), "progress writes the membership");
  }

  @Test
  void aMarkerCoversOlderMessagesAfterItsSeqOnly() {
    store.putExpiry("main", "bob", 3, 1_000, false);
    store.putExpiry("main", "bob", 6, 2_000, false);
    assertFalse(store.expiredByMarker("main", "bob", 3, 0), "at its seq: not after it");
    assertTrue(store.expiredByMarker("main", "bob", 4, 999));
    assertFalse(store.expiredByMarker("main", "bob", 4, 1_000), "notBefore itself is in time");
    assertFalse(store.expiredByMarker("main", "bob", 4, 1_500));
    assertTrue(store.expiredByMarker("main", "bob", 7, 1_500), "the second marker");
    assertFalse(store.expiredByMarker("main", "carol", 7, 0));
    store.putExpiry("main", "bob", 6, 1_200, false); // the same afterSeq: replaced
    assertFalse(store.expiredByMarker("main", "bob", 7, 1_500));
  }

  @Test
  void membershipsEndAndAreKeptAsHistory() {
    MembershipRecord alice = new MembershipRecord("main", "alice", 0, 2);
    store.putMembership(alice, false);
    store.putMembership(new MembershipRecord("main", "bob", 1, 1), false);
    store.putMembership(alice.withCursor(3), false); // replaces
    store.endMembership(new MembershipRecord("main", "bob", 1, 1), 4, false);
    var snap = store.load();
    assertEquals(List.of(alice.withCursor(3)), snap.memberships());
    assertEquals(
        List.of(new EndedMembership("main", "bob", 1, 4)), store.loadTarget("main").ended());
  }

  @Test
  void removingAGroupKeepsOnlyItsLastSeq() {
    store.append(List.of(msg("team", 1, 100), msg("team", 2, 200), msg("main", 1, 100)), false);
    store.putGroup(new GroupRecord("team", 5_000), false);
    store.putGroup(new GroupRecord("main", 30_000), false);
    store.putMembership(new MembershipRecord("team", "alice", 0, 1), false);
    store.putMembership(new MembershipRecord("main", "alice", 0, 1), false);
    store.endMembership(new MembershipRecord("team", "bob", 0, 1), 1, false);
    store.putProgress(
        List.of(
            new JournalStore.Progress(
                new MembershipRecord("team", "alice", 0, 1), new long[] {1}, new long[] {150})));
    store.putExpiry("team", "alice", 0, 150, false);

    store.removeGroup("team", true);

    var snap = store.load();
    assertEquals(List.of(new GroupRecord("main", 30_000)), snap.groups());
    assertEquals(List.of(new MembershipRecord("main", "alice", 0, 1)), snap.memberships());
    assertEquals(List.of(), store.loadTarget("team").ended());
    assertEquals(2L, snap.lastSeqByTarget().get("team"));
    assertEquals(JournalStore.TargetState.empty(2), store.loadTarget("team"));
    assertNull(store.message("team", 1));
    var r = store.read("team", 1, Long.MIN_VALUE, 10);
    assertEquals(List.of(), seqs(r));
    assertEquals(2, r.upTo());
    assertEquals(-1, store.deliveredAt("team", "alice", 1, Long.MAX_VALUE));
    assertFalse(store.expiredByMarker("team", "alice", 1, 0));
    assertEquals(List.of(1L), seqs(store.read("main", 1, Long.MIN_VALUE, 10)));
  }

  @Test
  void participantsArePutReplacedAndRemoved() {
    store.putParticipant(new ParticipantRecord("bob", true, -1, "127.0.0.1", 7002, "ab12"), false);
    store.putParticipant(new ParticipantRecord("bob", false, 9, "::1", 7003, null), false);
    store.putParticipant(new ParticipantRecord("carol", true, -1, "h", 1, ""), false);
    store.putParticipant(new ParticipantRecord("alice", true, -1, "h", 1, null), false);
    store.removeParticipant("alice", false);
    store.removeParticipant("nobody", false);
    assertEquals(
        List.of(
            new ParticipantRecord("bob", false, 9, "::1", 7003, null),
            new ParticipantRecord("carol", true, -1, "h", 1, null)),
        store.load().participants(),
        "an empty secret hash is none");
  }

  @Test
  void loadListsRecordsInKeyOrder() {
    // UTF-8 byte order, not String order: U+FF21 (EF BC A1) before U+1F600 (F0 9F 98 80)
    for (String g : List.of("\uD83D\uDE00", "\uFF21")) {
      store.putGroup(new GroupRecord(g, 1), false);
    }
    for (String g : List.of("zeta", "alpha", "Beta", "é", "a")) {
      store.putGroup(new GroupRecord(g, 1), false);
      store.putMembership(new MembershipRecord(g, "m", 0, 0), false);
      store.putMembership(new MembershipRecord("main", g, 0, 0), false);
    }
    store.endMembership(new MembershipRecord("main", "x", 5, 0), 6, false);
    store.endMembership(new MembershipRecord("main", "x", 2, 0), 3, false);
    var snap = store.load();
    assertEquals(
        List.of("Beta", "a", "alpha", "zeta", "é", "\uFF21", "\uD83D\uDE00"),
        snap.groups().stream().map(GroupRecord::name).toList());
    assertEquals(
        List.of(
            "Beta/m",
            "a/m",
            "alpha/m",
            "main/Beta",
            "main/a",
            "main/alpha",
            "main/zeta",
            "main/é",
            "zeta/m",
            "é/m"),
        snap.memberships().stream().map(m -> m.target() + "/" + m.member()).toList());
    assertEquals(
        List.of(2L, 5L),
        store.loadTarget("main").ended().stream().map(EndedMembership::joinSeq).toList());
  }

  @Test
  void aTargetLoadsItsRecentMessagesAndOnlyItsOwnMemberships() {
    store.append(List.of(msg("main", 1, 100), msg("@bob", 1, 100), msg("main", 2, 200)), false);
    store.putMembership(new MembershipRecord("main", "alice", 0, 2), false);
    store.putMembership(new MembershipRecord("mainly", "alice", 0, 0), false);
    store.putMembership(new MembershipRecord("@bob", "bob", 0, 1), false);
    store.endMembership(new MembershipRecord("main", "carol", 0, 1), 2, false);
    store.endMembership(new MembershipRecord("mainly", "carol", 0, 0), 0, false);
    var snap = store.load();
    assertEquals(2L, snap.lastSeqByTarget().get("main"));
    assertEquals(1L, snap.lastSeqByTarget().get("@bob"));
    var main = store.loadTarget("main");
    assertEquals(2L, main.lastSeq());
    assertEquals(List.of(1L, 2L), seqs(main.recent()));
    assertEquals("id2", main.recent().get(1).msgId());
    assertEquals(List.of(new MembershipRecord("main", "alice", 0, 2)), main.memberships());
    assertEquals(List.of(new EndedMembership("main", "carol", 0, 2)), main.ended());
    assertEquals(List.of(1L), seqs(store.loadTarget("@bob").recent()));
    assertEquals(JournalStore.TargetState.empty(0), store.loadTarget("nothing"));
  }

  @Test
  void anEmptyStoreLoadsEmpty() {
    assertEquals(JournalStore.Snapshot.EMPTY, store.load());
  }

  @Test
  void everythingSurvivesAReopen() {
    ParticipantRecord bob = new ParticipantRecord("bob", false, 150, "127.0.0.1", 7002, "ab12");
    MembershipRecord alice = new MembershipRecord("main", "alice", 0, 2);
    store.append(List.of(msg("main", 1, 100), msg("main", 2, 200)), false);
    store.putGroup(new GroupRecord("main", 30_000), false);
    store.putParticipant(new ParticipantRecord("alice", true, -1, "127.0.0.1", 7001, null), false);
    store.putParticipant(bob, false);
    store.removeParticipant("alice", false);
    store.putMembership(alice, false);
    store.putMembership(new MembershipRecord("main", "bob", 1, 1), false);
    store.endMembership(alice, 2, false);
    store.putProgress(
        List.of(
            new JournalStore.Progress(
                new MembershipRecord("main", "bob", 1, 2), new long[] {2}, new long[] {250})));
    store.putExpiry("main", "bob", 1, 300, false);
    store.putExpiry("main", "bob", 0, 50, false); // older than all that is left: pruned
    store.prune("main", 1, 1_000); // the last seq must be known even when messages are pruned

    restart();

    var snap = store.load();
    assertEquals(2L, snap.lastSeqByTarget().get("main"));
    assertEquals(List.of(new GroupRecord("main", 30_000)), snap.groups());
    assertEquals(List.of(bob), snap.participants());
    assertEquals(List.of(new MembershipRecord("main", "bob", 1, 2)), snap.memberships());
    assertEquals(
        List.of(new EndedMembership("main", "alice", 0, 2)), store.loadTarget("main").ended());
    assertEquals(List.of(2L), seqs(store.loadTarget("main").recent()));
    var r = store.read("main", 1, Long.MIN_VALUE, 10);
    assertEquals(List.of(2L), seqs(r));
    assertEquals(2, r.upTo());
    assertEquals(250, store.deliveredAt("main", "bob", 2, Long.MAX_VALUE));
    assertEquals(-1, store.deliveredAt("main", "bob", 3, Long.MAX_VALUE));
    assertEquals(-1, store.deliveredAt("main", "bob", 2, 1)); // not within the period asked
    assertTrue(store.expiredByMarker("main", "bob", 2, 299));
    assertFalse(store.expiredByMarker("main", "bob", 2, 300));
    assertFalse(store.expiredByMarker("main", "bob", 1, 0)); // at or before its cursor then
    assertEquals(200, store.message("main", 2).timestamp());
    assertNull(store.message("main", 1));
  }
}
