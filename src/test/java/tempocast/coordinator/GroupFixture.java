package tempocast.coordinator;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import tempocast.journal.InMemoryJournalStore;
import tempocast.journal.JournalStore;
import tempocast.journal.MessageJournal;
import tempocast.journal.RocksDbJournalStore;
import tempocast.metrics.Metrics;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;

/**
 * A coordinator's directory, groups and sessions over a journal store (in memory, or RocksDB in a
 * directory for the tests of what a restart recovers), with fake receivers; commands go in typed,
 * as the command port sends them, and replies come back as the lines the port would write.
 */
final class GroupFixture {
  final ActorTestKit kit;
  final TestProbe<FakeReceivers.Sent> sent;
  final TestProbe<FakeReceivers.Sent> notices;
  final FakeReceivers receivers;
  final ActorRef<MessageJournal.Command> journal;
  final ActorRef<Directory.Command> directory;
  final JournalStore store;
  final Publishers publishers = new Publishers();

  /** What the directory gives its groups and sessions, for a test that spawns one itself. */
  final ParticipantSession.Context context;

  /** What {@link CoordinatorSettings#dataDir()} says over an in-memory store: nothing reads it. */
  static final Path NO_DATA_DIR = Path.of("in-memory-journal");

  /** A new coordinator over an empty in-memory journal. */
  GroupFixture(ActorTestKit kit, Duration td, Clock clock) {
    this(kit, new InMemoryJournalStore(), td, clock, 8, 1 << 20);
  }

  /** A new coordinator over an empty journal store, with this delivery window. */
  GroupFixture(
      ActorTestKit kit,
      JournalStore store,
      Duration td,
      Clock clock,
      int window,
      long windowBytes) {
    this(
        kit,
        store,
        JournalStore.Snapshot.EMPTY,
        td,
        clock,
        window,
        windowBytes,
        java.util.Set.of());
  }

  /** A new coordinator over an empty RocksDB journal in {@code dir}. */
  GroupFixture(ActorTestKit kit, Path dir, Duration td, Clock clock) {
    this(kit, RocksDbJournalStore.open(dir), td, clock, 8, 1 << 20);
  }

  /**
   * The coordinator restarted from the journal in {@code dir}, recovered as CoordinatorMain does
   * it. Stop the fixture that wrote the journal first.
   */
  static GroupFixture restartedFrom(ActorTestKit kit, Path dir, Duration td, Clock clock) {
    return restartedFrom(kit, dir, td, clock, java.util.Set.of());
  }

  /** As above, with nothing listening on {@code refused} ports from the start. */
  static GroupFixture restartedFrom(
      ActorTestKit kit, Path dir, Duration td, Clock clock, java.util.Set<Integer> refused) {
    return restartedFrom(kit, RocksDbJournalStore.open(dir), td, clock, refused);
  }

  /**
   * The coordinator restarted over {@code store} (an {@link InMemoryJournalStore} that the stopped
   * fixture used keeps its contents when closed), recovered as CoordinatorMain does it.
   */
  static GroupFixture restartedFrom(
      ActorTestKit kit,
      JournalStore store,
      Duration td,
      Clock clock,
      java.util.Set<Integer> refused) {
    return new GroupFixture(kit, store, store.load(), td, clock, 8, 1 << 20, refused);
  }

  private GroupFixture(
      ActorTestKit kit,
      JournalStore store,
      JournalStore.Snapshot recovered,
      Duration td,
      Clock clock,
      int window,
      long windowBytes,
      java.util.Set<Integer> refused) {
    this.kit = kit;
    this.store = store;
    this.sent = kit.createTestProbe();
    this.notices = kit.createTestProbe();
    this.receivers = new FakeReceivers(sent, notices);
    receivers.refused.addAll(refused); // before any session can try them
    CoordinatorSettings settings =
        new CoordinatorSettings(
            0,
            td,
            "127.0.0.1",
            store instanceof RocksDbJournalStore r ? r.dir() : NO_DATA_DIR,
            false,
            window,
            windowBytes,
            Duration.ofMinutes(1),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            Duration.ofSeconds(1),
            1000,
            Duration.ofMillis(10),
            0, // no HTTP port
            "",
            100,
            CoordinatorSettings.ROCKSDB,
            "",
            "",
            false,
            null);
    this.journal =
        kit.spawn(
            MessageJournal.create(
                new MessageJournal.Settings(td, Duration.ofSeconds(1), false, 1000),
                store,
                recovered,
                clock));
    this.context =
        new ParticipantSession.Context(
            settings, journal, receivers, clock, Metrics.disabled(), publishers);
    this.directory = kit.spawn(Directory.create(context, recovered));
  }

  /** Stops the coordinator and then the journal, which closes its store. */
  void stop() {
    kit.stop(directory);
    kit.stop(journal);
  }

  String call(ClientCommand command) {
    return call(command, null);
  }

  String call(ClientCommand command, String credential) {
    TestProbe<Reply> probe = kit.createTestProbe();
    directory.tell(new Directory.Handle(command, new Directory.Caller(credential), probe.ref()));
    return Replies.render(probe.receiveMessage(Duration.ofSeconds(10)));
  }

  String register(String member, int port) {
    return call(new ClientCommand.Register("main", member, "127.0.0.1", port));
  }

  String reconnect(String member, int port) {
    return call(new ClientCommand.Reconnect("main", member, "127.0.0.1", port));
  }

  String disconnect(String member) {
    return call(new ClientCommand.Disconnect("main", member));
  }

  String deregister(String member) {
    return call(new ClientCommand.Deregister("main", member));
  }

  String publish(String member, String msgId, String text) {
    return publishTo("main", member, msgId, text);
  }

  String publishTo(String group, String member, String msgId, String text) {
    return call(
        new ClientCommand.MSend(group, member, msgId, text.getBytes(StandardCharsets.UTF_8)));
  }

  String send(String member, String to, String text) {
    return call(new ClientCommand.Send(member, to, null, text.getBytes(StandardCharsets.UTF_8)));
  }

  /** The next delivery lines sent to {@code member}, skipping other members'. */
  String nextTo(String member) {
    while (true) {
      FakeReceivers.Sent s = sent.receiveMessage(Duration.ofSeconds(10));
      if (s.member().equals(member)) {
        return s.lines();
      }
    }
  }

  private static final Pattern MSG = Pattern.compile("MSG main \\d+ \\d+ \\S+ (.*)");

  /**
   * The texts in {@code member}'s next deliveries in group main, acknowledging them, until {@code
   * n} arrived.
   */
  List<String> receiveTexts(String member, int n) {
    List<String> texts = new ArrayList<>();
    while (texts.size() < n) {
      for (String line : nextTo(member).split("\n")) {
        Matcher m = MSG.matcher(line);
        assertTrue(m.matches(), line);
        texts.add(m.group(1));
        receivers.ack(member, Long.parseLong(line.split(" ")[2]));
      }
    }
    return texts;
  }
}
