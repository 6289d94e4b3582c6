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
