package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/** A damaged data directory stops the coordinator with one line, rather than starting on lost data. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DamagedDataIT extends ItBase {

  @Test
  void aCorruptedJournalIsRefusedWithAMessage() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    alice.register(0);
    alice.msend("stored");
    c.kill();
    Path data;
    try (Stream<Path> dirs = Files.walk(fx.dir())) {
      data = dirs.filter(p -> p.getFileName().toString().equals("CURRENT")).findFirst().orElseThrow().getParent();
    }
    try (Stream<Path> files = Files.list(data)) {
      for (Path p : files.filter(p -> p.getFileName().toString().startsWith("MANIFEST")).toList()) {
        Files.write(p, new byte[] {0x13, 0x37, 0x00, 0x42});
      }
    }
    ProcessFixture.Proc again = fx.start("coordinator-again", "coordinator", c.cfg.toString());
    int status = again.awaitExit(Duration.ofSeconds(30));
    assertNotEquals(0, status, "the coordinator must not start on a damaged journal");
    List<String> lines = again.stderr().lines().filter(l -> !l.startsWith("Picked up ")).toList();
    assertEquals(1, lines.size(), "one line on stderr: " + lines);
    assertTrue(lines.get(0).contains(data.toString()) && lines.get(0).contains("move the directory aside"), lines.get(0));
    assertFalse(again.stderr().contains("\tat "), "no stack trace");
  }
}
