package tempocast.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tempocast.protocol.StoredMessage;

/**
 * A journal whose store throws something other than a StoreException: the appends it held get
 * AppendFailed at once (not an ask timeout), and the same ActorRef stores later appends after the
 * supervisor has restarted it.
 */
class MessageJournalRestartTest {
  static final ActorTestKit kit = ActorTestKit.create();

  /** Well under the coordinator's 10 s ask timeout: a reply that comes only by timing out fails. */
  static final Duration REPLY_WITHIN = Duration.ofSeconds(3);

  ThrowingStore store;
  ActorRef<MessageJournal.Command> journal;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void stopJournal() {
    if (journal != null) {
      kit.stop(journal); // its PostStop closes the store
    }
  }

  /** An in-memory store that throws (or waits) where the test says, once. */
  static final class ThrowingStore implements JournalStore {
    final JournalStore real;
    volatile RuntimeException nextAppend;
    volatile RuntimeException nextPutParticipant;
    volatile CountDownLatch appending;
    volatile CountDownLatch release;

    ThrowingStore(JournalStore real) {
      this.real = real;
    }

    @Override
    public Snapshot load() {
      return real.load();
    }

    @Override
    public TargetState loadTarget(String target) {
      return real.loadTarget(target);
    }

    @Override
    public void append(List<StoredMessage> batch, boolean sync) {
      RuntimeException e =
          nextAppend; // for this call: one set while this call waits is for the next
      if (e != null) {
        nextAppend = null;
      }
      CountDownLatch hold = release;
      if (hold != null) {
        release = null;
        appending.countDown();
        try {
          hold.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
      if (e != null) {
        throw e;
      }
      real.append(batch, sync);
    }

    @Override
    public ReadResult read(String group, long from, long notBefore, int max, long maxBytes) {
      return real.read(group, from, notBefore, max, maxBytes);
    }

    @Override
    public long prune(String group, long maxSeq, long olderThan) {
      return real.prune(group, maxSeq, olderThan);
    }

    @Override
    public void putParticipant(ParticipantRecord record, boolean sync) {
      RuntimeException e = nextPutParticipant;
      if (e != null) {
        nextPutParticipant = null;
        throw e;
      }
      real.putParticipant(record, sync);
    }

    @Override
    public StoredMessage message(String target, long seq) {
      return real.message(target, seq);
    }

    @Override
    public void putGroup(GroupRecord group, boolean sync) {
      real.putGroup(group, sync);
    }

    @Override
    public void removeGroup(String name, boolean sync) {
      real.removeGroup(name, sync);
    }

    @Override
    public void removeParticipant(String id, boolean sync) {
      real.removeParticipant(id, sync);
    }

    @Override
    public void putMembership(MembershipRecord membership, boolean sync) {
      real.putMembership(membership, sync);
    }

    @Override
    public void endMembership(MembershipRecord membership, long endSeq, boolean sync) {
      real.endMembership(membership, endSeq, sync);
    }

    @Override
    public void putProgress(List<Progress> batch) {
      real.putProgress(batch);
    }

    @Override
    public void putExpiry(
        String target, String member, long afterSeq, long notBefore, boolean sync) {
      real.putExpiry(target, member, afterSeq, notBefore, sync);
    }

    @Override
    public long deliveredAt(String target, String member, long seq, long upTo) {
      return real.deliveredAt(target, member, seq, upTo);
    }

    @Override
    public boolean expiredByMarker(String target, String member, long seq, long timestamp) {
      return real.expiredByMarker(target, member, seq, timestamp);
    }

    @Override
    public void close() {
      real.close();
    }
  }

  ActorRef<MessageJournal.Command> journal() {
    store = new ThrowingStore(new InMemoryJournalStore());
    return journal =
        kit.spawn(
            MessageJournal.create(
                new MessageJournal.Settings(
                    Duration.ofSeconds(60), Duration.ofHours(1), false, 1000),
                store,
                JournalStore.Snapshot.EMPTY,
                Clock.systemUTC()));
  }

  static StoredMessage msg(long seq) {
    return new StoredMessage(
        "main",
        seq,
        System.currentTimeMillis(),
        "alice",
        null,
        ("m" + seq).getBytes(StandardCharsets.UTF_8));
  }

  static TestProbe<MessageJournal.AppendResult> append(
      ActorRef<MessageJournal.Command> journal, long seq) {
    TestProbe<MessageJournal.AppendResult> probe = kit.createTestProbe();
    journal.tell(new MessageJournal.Append(msg(seq), probe.ref()));
    return probe;
  }

  static List<Long> stored(ActorRef<MessageJournal.Command> journal) {
    TestProbe<JournalStore.ReadResult> probe = kit.createTestProbe();
    journal.tell(new MessageJournal.Read("main", 1, Long.MIN_VALUE, 100, probe.ref()));
    return probe.receiveMessage(REPLY_WITHIN).messages().stream().map(StoredMessage::seq).toList();
  }

  /** Appends message 1 and holds its write in the store until {@code release} is counted down. */
  TestProbe<MessageJournal.AppendResult> appendAndHold(
      ActorRef<MessageJournal.Command> journal, CountDownLatch release)
      throws InterruptedException {
    store.appending = new CountDownLatch(1);
    store.release = release;
    var first = append(journal, 1);
    assertTrue(store.appending.await(5, TimeUnit.SECONDS));
    return first;
  }

  /** The same ActorRef, restarted by its supervisor, stores message {@code seq}. */
  static void assertStoredAfterTheRestart(
      ActorRef<MessageJournal.Command> journal, long seq, List<Long> stored) {
    assertInstanceOf(
        MessageJournal.Appended.class, append(journal, seq).receiveMessage(REPLY_WITHIN));
    assertEquals(stored, stored(journal));
  }

  @Test
  void aBatchThatThrowsIsRefusedAndTheRestartedJournalStoresTheNextAppend() throws Exception {
    var journal = journal();
    // Hold the first write so that 2 and 3 wait in the mailbox and form the next batch, which
    // throws.
    CountDownLatch release = new CountDownLatch(1);
    var first = appendAndHold(journal, release);
    store.nextAppend = new IllegalStateException("injected: not a StoreException");
    var second = append(journal, 2);
    var third = append(journal, 3);
    release.countDown();

    assertInstanceOf(MessageJournal.Appended.class, first.receiveMessage(REPLY_WITHIN));
    for (var probe : List.of(second, third)) {
      var failed =
          assertInstanceOf(MessageJournal.AppendFailed.class, probe.receiveMessage(REPLY_WITHIN));
      assertTrue(failed.reason().contains("injected"), failed.reason());
    }

    assertStoredAfterTheRestart(journal, 4, List.of(1L, 4L));
  }

  @Test
  void appendsHeldWhenAnotherHandlerThrowsAreRefused() throws Exception {
    var journal = journal();
    CountDownLatch release = new CountDownLatch(1);
    var first = appendAndHold(journal, release);
    // Behind the held write: 2 joins the pending batch, then a member write throws before the
    // batch is flushed.
    var second = append(journal, 2);
    store.nextPutParticipant = new IllegalStateException("injected in putParticipant");
    TestProbe<MessageJournal.Saved> saved = kit.createTestProbe();
    journal.tell(
        new MessageJournal.SaveParticipant(
            new ParticipantRecord("bob", true, -1, "127.0.0.1", 1, null), saved.ref()));
    release.countDown();

    assertInstanceOf(MessageJournal.Appended.class, first.receiveMessage(REPLY_WITHIN));
    assertInstanceOf(MessageJournal.AppendFailed.class, second.receiveMessage(REPLY_WITHIN));
    assertTrue(saved.receiveMessage(REPLY_WITHIN).error().contains("injected in putParticipant"));

    assertStoredAfterTheRestart(journal, 3, List.of(1L, 3L));
  }
}
