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
    this(kit, dir, td, clock, 8, 1 << 20);
  }

  /** A new group over an empty journal in {@code dir}, with this delivery window. */
  GroupFixture(ActorTestKit kit, Path dir, Duration td, Clock clock, int window, long windowBytes) {
    this(
        kit,
        RocksDbJournalStore.open(dir),
        new JournalStore.Snapshot(Map.of(), List.of()),
        td,
        clock,
        window,
        windowBytes);
  }

  /**
   * The group "main" restarted from the journal in {@code dir}, recovered as CoordinatorMain and
   * Groups do it: the store's snapshot gives the journal its members and the group its last seq,
   * members and latest messages. Stop the fixture that wrote the journal first.
   */
  static GroupFixture restartedFrom(ActorTestKit kit, Path dir, Duration td, Clock clock) {
    RocksDbJournalStore store = RocksDbJournalStore.open(dir);
    return new GroupFixture(kit, store, store.load(), td, clock, 8, 1 << 20);
  }

  private GroupFixture(
      ActorTestKit kit,
      RocksDbJournalStore store,
      JournalStore.Snapshot recovered,
      Duration td,
      Clock clock,
      int window,
      long windowBytes) {
    this.kit = kit;
    this.sent = kit.createTestProbe();
    this.receivers = new FakeReceivers(sent);
    CoordinatorSettings settings =
        new CoordinatorSettings(
            0,
            td,
            "127.0.0.1",
            store.dir(),
            false,
            window,
            windowBytes,
            Duration.ofMinutes(1),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            Duration.ofSeconds(1),
            Duration.ofMillis(100),
            1000);
    this.journal =
        kit.spawn(
            MessageJournal.create(
                new MessageJournal.Settings(td, Duration.ofSeconds(1), false, 1000),
                store,
                recovered,
                clock));
    List<MemberRecord> members =
        recovered.members().stream().filter(r -> r.group().equals("main")).toList();
    this.group =
        kit.spawn(
            GroupManager.create(
                "main",
                recovered.lastSeqByGroup().getOrDefault("main", 0L),
                members,
                recovered.recentByGroup().getOrDefault("main", List.of()),
                settings,
                journal,
                receivers,
                clock));
  }

  /** Stops the group and then the journal, which closes its store. */
  void stop() {
    kit.stop(group);
    kit.stop(journal);
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
    return call(
        r -> new GroupManager.Publish(member, msgId, text.getBytes(StandardCharsets.UTF_8), r));
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
