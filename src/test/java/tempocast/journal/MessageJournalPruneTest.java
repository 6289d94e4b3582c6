package tempocast.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tempocast.protocol.StoredMessage;

/** The td rule for pruning, driven by ManualTime and a hand-moved clock. */
class MessageJournalPruneTest {
  static final ActorTestKit kit = ActorTestKit.create(ManualTime.config());
  final ManualTime time = ManualTime.get(kit.system());
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  static final Duration TD = Duration.ofSeconds(10);

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  void advance(Duration d) {
    clock.advance(d);
    time.timePasses(d);
  }

  /** A journal whose "main" has one member, or none. */
  ActorRef<MessageJournal.Command> journal(List<ParticipantRecord> members) {
    JournalStore store = new InMemoryJournalStore();
    return kit.spawn(
        MessageJournal.create(
            new MessageJournal.Settings(TD, Duration.ofSeconds(1), false, 1000),
            store,
            new JournalStore.Snapshot(
                List.of(),
                Map.of(),
                members,
                members.stream().map(p -> new MembershipRecord("main", p.id(), 0, 0)).toList()),
            clock));
  }

  long seq = 0;

  void append(ActorRef<MessageJournal.Command> journal) {
    TestProbe<MessageJournal.AppendResult> probe = kit.createTestProbe();
    StoredMessage m =
        new StoredMessage(
            "main", ++seq, clock.millis(), "alice", null, "x".getBytes(StandardCharsets.UTF_8));
    journal.tell(new MessageJournal.Append(m, probe.ref()));
    assertInstanceOf(MessageJournal.Appended.class, probe.receiveMessage());
  }

  List<Long> stored(ActorRef<MessageJournal.Command> journal) {
    TestProbe<JournalStore.ReadResult> probe = kit.createTestProbe();
    journal.tell(new MessageJournal.Read("main", 1, Long.MIN_VALUE, 100, probe.ref()));
    return probe.receiveMessage().messages().stream().map(StoredMessage::seq).toList();
  }

  @Test
  void messagesOlderThanTdArePrunedWhenNobodyIsOwedThem() {
    var journal = journal(List.of());
    append(journal);
    advance(Duration.ofSeconds(6));
    append(journal);
    advance(Duration.ofSeconds(4)); // m1 is exactly td old: kept
    assertEquals(List.of(1L, 2L), stored(journal));
    advance(Duration.ofSeconds(1)); // m1 is 11 s old, m2 5 s
    assertEquals(List.of(2L), stored(journal));
  }

  @Test
  void anOnlineMembersCursorKeepsWhatItHasNotAcknowledged() {
    long start = clock.millis();
    var journal = journal(List.of(new ParticipantRecord("slow", true, -1, "h", 1, null)));
    append(journal);
    append(journal);
    advance(Duration.ofSeconds(15));
    assertEquals(List.of(1L, 2L), stored(journal));
    journal.tell(
        new MessageJournal.SaveProgress(
            List.of(
                new JournalStore.Progress(
                    new MembershipRecord("main", "slow", 0, 1), new long[] {1}, new long[] {0}))));
    advance(Duration.ofSeconds(1));
    assertEquals(List.of(2L), stored(journal));
    assertEquals(start + 16_000, clock.millis());
  }

  @Test
  void aMemberOfflineLongerThanTdNoLongerHoldsTheBacklog() {
    long start = clock.millis();
    var journal = journal(List.of(new ParticipantRecord("away", false, start, "h", 1, null)));
    append(journal);
    advance(Duration.ofSeconds(10)); // offline exactly td: still protects
    assertEquals(List.of(1L), stored(journal));
    advance(Duration.ofSeconds(2));
    assertEquals(List.of(), stored(journal));
  }
}
