package tempocast.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A membership that ended stays ended, whatever cursor moves were still waiting to be written. */
class MessageJournalMembershipEndTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** Holds the journal inside its first membership write until the test lets it go on. */
  static final class HeldStore extends InMemoryJournalStore {
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean held;

    @Override
    public void putMembership(MembershipRecord m, boolean sync) {
      if (!held) {
        held = true;
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      super.putMembership(m, sync);
    }
  }

  @Test
  void cursorMovesQueuedBeforeTheEndDoNotBringTheMembershipBack() {
    HeldStore store = new HeldStore();
    var journal =
        kit.spawn(
            MessageJournal.create(
                new MessageJournal.Settings(
                    Duration.ofSeconds(60), Duration.ofHours(1), false, 1000),
                store,
                JournalStore.Snapshot.EMPTY,
                Clock.systemUTC()));
    TestProbe<MessageJournal.Saved> saved = kit.createTestProbe();
    MembershipRecord joined = new MembershipRecord("team", "bob", 0, 0);
    journal.tell(new MessageJournal.SaveMembership(joined, saved.ref()));
    // While the journal is held in that write, a cursor move and the end queue up behind it, in
    // that order: the move's group commit then comes after the end.
    journal.tell(
        new MessageJournal.SaveProgress(
            List.of(
                new JournalStore.Progress(
                    joined.withCursor(3), new long[] {3}, new long[] {1_000}))));
    journal.tell(new MessageJournal.EndMembership(joined.withCursor(3), 3, saved.ref()));
    store.release.countDown();
    assertNull(saved.receiveMessage().error());
    assertNull(saved.receiveMessage().error());
    // A read queues behind whatever the journal sent itself meanwhile (the group commit).
    TestProbe<JournalStore.ReadResult> read = kit.createTestProbe();
    journal.tell(new MessageJournal.Read("team", 1, Long.MIN_VALUE, 10, read.ref()));
    read.receiveMessage();
    assertEquals(
        List.of(),
        store.load().memberships().stream().filter(m -> m.member().equals("bob")).toList(),
        "bob left team: no current membership after a restart");
  }
}
