package tempocast.participant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tempocast.protocol.DeliveryCodec.Delivery;

class MessageLogTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  static Delivery d(long seq, String text) {
    return new Delivery("main", seq, 1_763_700_000_000L + seq, "alice", text);
  }

  MessageLog.Written write(Path file, List<Delivery> ds) {
    var log = kit.spawn(MessageLog.create(file));
    TestProbe<MessageLog.Written> probe = kit.createTestProbe();
    log.tell(new MessageLog.Write(ds, probe.ref()));
    MessageLog.Written w = probe.receiveMessage();
    kit.stop(log);
    return w;
  }

  @Test
  void writesEachSeqOnceAcrossRestarts() throws Exception {
    Path file = dir.resolve("sub/a.log");
    assertEquals(
        Map.of("main", 2L),
        write(file, List.of(d(1, "one"), d(2, " two\t"), d(1, "one"))).lastSeqByGroup());
    // A restarted participant is sent 2 again (its ACK was lost), then 3.
    assertEquals(
        Map.of("main", 3L), write(file, List.of(d(2, " two\t"), d(3, "three"))).lastSeqByGroup());
    assertEquals(
        List.of(
            "2025-11-21T04:40:00.001Z main #1 alice: one",
            "2025-11-21T04:40:00.002Z main #2 alice:  two\t",
            "2025-11-21T04:40:00.003Z main #3 alice: three"),
        Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  static Delivery dm(String inbox, long seq, String sender, String text) {
    return new Delivery(inbox, seq, 1_763_700_000_000L + seq, sender, text);
  }

  @Test
  void directMessagesAreLoggedUnderTheInboxAndEachOnceAcrossRestarts() throws Exception {
    Path file = dir.resolve("a.log");
    assertEquals(
        Map.of("main", 1L, "@alice", 2L),
        write(file, List.of(d(1, "one"), dm("@alice", 1, "bob", "hi"), dm("@alice", 2, "bob", "x")))
            .lastSeqByGroup());
    // Restarted: the inbox's floor is read back from the log like a group's.
    assertEquals(Map.of("@alice", 2L, "main", 1L), MessageLog.recover(file));
    assertEquals(
        Map.of("@alice", 3L, "main", 1L),
        write(
                file,
                List.of(dm("@alice", 2, "bob", "x"), d(1, "one"), dm("@alice", 3, "carol", "y")))
            .lastSeqByGroup());
    assertEquals(
        List.of(
            "2025-11-21T04:40:00.001Z main #1 alice: one",
            "2025-11-21T04:40:00.001Z @alice #1 bob: hi",
            "2025-11-21T04:40:00.002Z @alice #2 bob: x",
            "2025-11-21T04:40:00.003Z @alice #3 carol: y"),
        Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  @Test
  void aFloorSetAfterJoiningDoesNotGoBelowWhatArrivedBeforeTheReply() throws Exception {
    Path file = dir.resolve("a.log");
    var log = kit.spawn(MessageLog.create(file));
    TestProbe<MessageLog.Written> probe = kit.createTestProbe();
    Delivery g5 = new Delivery("g", 5, 1_763_700_000_005L, "bob", "first after join");
    log.tell(new MessageLog.Entering("g"));
    log.tell(new MessageLog.Write(List.of(g5), probe.ref()));
    probe.receiveMessage();
    log.tell(new MessageLog.SetFloor("g", 4)); // JOINED g alice 5, processed after the delivery
    log.tell(new MessageLog.Write(List.of(g5), probe.ref())); // sent again after a break
    assertEquals(Map.of("g", 5L), probe.receiveMessage().lastSeqByGroup());
    // a later join after leaving: the floor is the coordinator's NEXTSEQ - 1
    log.tell(new MessageLog.Entering("g"));
    log.tell(new MessageLog.SetFloor("g", 9));
    log.tell(new MessageLog.Write(List.of(g5), probe.ref()));
    assertEquals(Map.of("g", 9L), probe.receiveMessage().lastSeqByGroup());
    kit.stop(log);
    assertEquals(1, Files.readAllLines(file, StandardCharsets.UTF_8).size());
  }

  @Test
  void aLineCutShortByACrashIsDroppedAndWrittenAgain() throws Exception {
    Path file = dir.resolve("a.log");
    write(file, List.of(d(1, "one")));
    Files.writeString(
        file, "2025-11-21T04:40:00.002Z main #2 ali", java.nio.file.StandardOpenOption.APPEND);
    write(file, List.of(d(2, "two")));
    assertEquals(
        List.of(
            "2025-11-21T04:40:00.001Z main #1 alice: one",
            "2025-11-21T04:40:00.002Z main #2 alice: two"),
        Files.readAllLines(file, StandardCharsets.UTF_8));
  }
}
