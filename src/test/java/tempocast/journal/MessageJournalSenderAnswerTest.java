package tempocast.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tempocast.protocol.Reply;
import tempocast.protocol.StoredMessage;

/**
 * The journal answers a message's sender itself once the message is stored, after telling its
 * group, and tells it when it could not be stored.
 */
class MessageJournalSenderAnswerTest {
  static final ActorTestKit kit = ActorTestKit.create();
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** A store whose appends fail while {@code failing} is set, as a full disk makes them. */
  static final class FailingStore extends InMemoryJournalStore {
    volatile boolean failing;

    @Override
    public void append(List<StoredMessage> batch, boolean sync) {
      if (failing) {
        throw new StoreException("No space left on device", null);
      }
      super.append(batch, sync);
    }
  }

  ActorRef<MessageJournal.Command> journal(JournalStore store) {
    return kit.spawn(
        MessageJournal.create(
            new MessageJournal.Settings(Duration.ofSeconds(10), Duration.ofSeconds(1), false, 1000),
            store,
            JournalStore.Snapshot.EMPTY,
            clock));
  }

  static StoredMessage msg(long seq) {
    return new StoredMessage(
        "main", seq, 1000 + seq, "alice", "id" + seq, "x".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theSenderIsToldSentOnceStoredAndTheGroupHearsFirst() {
    InMemoryJournalStore store = new InMemoryJournalStore();
    var journal = journal(store);
    TestProbe<Object> both = kit.createTestProbe();
    ActorRef<MessageJournal.AppendResult> group = both.ref().narrow();
    ActorRef<Reply> sender = both.ref().narrow();
    journal.tell(new MessageJournal.Append(msg(1), group, sender::tell));
    assertInstanceOf(MessageJournal.Appended.class, both.receiveMessage());
    assertEquals(new Reply.Sent("main", 1), both.receiveMessage());
    TestProbe<JournalStore.ReadResult> read = kit.createTestProbe();
    journal.tell(new MessageJournal.Read("main", 1, Long.MIN_VALUE, 10, read.ref()));
    assertEquals(1, read.receiveMessage().messages().size(), "stored before the answer");
  }

  @Test
  void aSenderWhoseMessageCouldNotBeStoredIsToldSoAndNothingElse() {
    FailingStore store = new FailingStore();
    store.failing = true;
    var journal = journal(store);
    TestProbe<MessageJournal.AppendResult> group = kit.createTestProbe();
    TestProbe<Reply> sender = kit.createTestProbe();
    journal.tell(new MessageJournal.Append(msg(1), group.ref(), sender.ref()::tell));
    assertInstanceOf(MessageJournal.AppendFailed.class, group.receiveMessage());
    Reply.Error e = assertInstanceOf(Reply.Error.class, sender.receiveMessage());
    assertEquals(Reply.ErrorCode.STORAGE, e.code());
    assertTrue(e.explanation().startsWith("the message was not stored: "), e.explanation());
    sender.expectNoMessage(Duration.ofMillis(200));
  }
}
