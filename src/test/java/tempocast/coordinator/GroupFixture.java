package tempocast.coordinator;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import tempocast.journal.JournalStore;
import tempocast.journal.MemberRecord;
import tempocast.protocol.StoredMessage;
import tempocast.journal.MessageJournal;
import tempocast.journal.RocksDbJournalStore;

/** A group manager over a real RocksDB journal, with fake receivers. */
final class GroupFixture {
  final ActorTestKit kit;
  final TestProbe<FakeReceivers.Sent> sent;
  final FakeReceivers receivers;
  final ActorRef<MessageJournal.Command> journal;
  final ActorRef<GroupManager.Command> group;

  GroupFixture(ActorTestKit kit, Path dir, Duration td, Clock clock) {
    this(kit, dir, td, clock, 0, List.of(), List.of(), 8, 1 << 20);
  }

  GroupFixture(
      ActorTestKit kit, Path dir, Duration td, Clock clock, long lastSeq, List<MemberRecord> members, List<StoredMessage> recent) {
    this(kit, dir, td, clock, lastSeq, members, recent, 8, 1 << 20);
  }

  /** A group recovered from a journal: its last seq, its members and its latest messages. */
  GroupFixture(
      ActorTestKit kit,
      Path dir,
      Duration td,
      Clock clock,
      long lastSeq,
      List<MemberRecord> members,
      List<StoredMessage> recent,
      int window,
      long windowBytes) {
    this.kit = kit;
    this.sent = kit.createTestProbe();
    this.receivers = new FakeReceivers(sent);
    CoordinatorSettings settings =
        new CoordinatorSettings(
            0, td, "127.0.0.1", dir, false, window, windowBytes, Duration.ofMinutes(1), Duration.ofSeconds(1),
            Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(1),
            Duration.ofMillis(100), 1000);
    RocksDbJournalStore store = RocksDbJournalStore.open(dir);
    this.journal =
        kit.spawn(
            MessageJournal.create(
                new MessageJournal.Settings(td, Duration.ofSeconds(1), false, 1000),
                store,
                new JournalStore.Snapshot(Map.of(), List.of()),
                clock));
    this.group =
        kit.spawn(GroupManager.create("main", lastSeq, members, recent, settings, journal, receivers, clock));
  }

  String call(java.util.function.Function<ActorRef<String>, GroupManager.Command> cmd) {
    TestProbe<String> probe = kit.createTestProbe();
    group.tell(cmd.apply(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  String register(String member, int port) {
    return call(r -> new GroupManager.Register(member, "127.0.0.1", port, r));
  }

  String reconnect(String member, int port) {
    return call(r -> new GroupManager.Reconnect(member, "127.0.0.1", port, r));
  }

  String disconnect(String member) {
    return call(r -> new GroupManager.Disconnect(member, r));
  }

  String deregister(String member) {
    return call(r -> new GroupManager.Deregister(member, r));
  }

  String publish(String member, String msgId, String text) {
    return call(r -> new GroupManager.Publish(member, msgId, text.getBytes(StandardCharsets.UTF_8), r));
  }

  /** The next delivery lines sent to {@code member}, skipping other members' and acking them. */
  String nextTo(String member) {
    while (true) {
      FakeReceivers.Sent s = sent.receiveMessage(Duration.ofSeconds(10));
      if (s.member().equals(member)) {
        return s.lines();
      }
    }
  }
}
