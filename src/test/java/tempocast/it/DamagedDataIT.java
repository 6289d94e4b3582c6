package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tempocast.it.ProcessFixture.texts;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * A damaged data directory stops the coordinator with one line, rather than starting on lost data;
 * a write-ahead log cut inside its last record (what a crash leaves) is not damage.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DamagedDataIT extends ItBase {

  /** Enough acknowledged data (about 400 KiB) that 64 KiB in the middle of a file is the middle. */
  static final int MESSAGES = 400;

  @Test
  void aCorruptedJournalIsRefusedWithAMessage() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    alice.register(0);
    alice.msend("stored");
    c.kill();
    Path data;
    try (Stream<Path> dirs = Files.walk(fx.dir())) {
      data =
          dirs.filter(p -> p.getFileName().toString().equals("CURRENT"))
              .findFirst()
              .orElseThrow()
              .getParent();
    }
    try (Stream<Path> files = Files.list(data)) {
      for (Path p : files.filter(p -> p.getFileName().toString().startsWith("MANIFEST")).toList()) {
        Files.write(p, new byte[] {0x13, 0x37, 0x00, 0x42});
      }
    }
    assertRefused(c, data);
  }

  @Test
  void aWriteAheadLogCorruptedInTheMiddleIsRefused() throws Exception {
    Coordinator c = fx.startCoordinator("60");
    Participant bob = backlogForAnOfflineMember(c);
    c.kill();
    Path data = dataDir(c);
    Path wal = largest(data, ".log");
    overwriteMiddle(wal, 64 * 1024);
    assertRefused(c, data);
    assertTrue(bob.isAlive());
  }

  @Test
  void anSstFileCorruptedInTheMiddleIsRefused() throws Exception {
    Coordinator c = fx.startCoordinator("60");
    backlogForAnOfflineMember(c);
    c.kill();
    Path data = dataDir(c);
    // Opening replays the write-ahead log into a level-0 SST file (and starts a new log).
    fx.restart(c).kill();
    Path sst = largest(data, ".sst");
    assertTrue(
        Files.size(sst) > 256 * 1024, sst + " holds the backlog: " + Files.size(sst) + " bytes");
    overwriteMiddle(sst, 64 * 1024);
    assertRefused(c, data);
  }

  @Test
  void aWriteAheadLogCutInsideItsLastRecordStartsAndLosesOnlyThatRecord() throws Exception {
    Coordinator c = fx.startCoordinator("60");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    bob.disconnect();
    List<String> acked = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      String text = "m" + i + " " + "x".repeat(1000);
      alice.msend(text);
      acked.add(text);
    }
    String last = "last message, a batch of its own";
    alice.msend(last); // the previous msend had its OK: this one is written alone
    acked.add(last);
    c.kill();
    Path wal = largest(dataDir(c), ".log");
    // Cut in the middle of the last message's text, as a crash during that write leaves the log.
    // Whatever follows it (a cursor write for alice) is cut too, and owes bob nothing.
    byte[] bytes = Files.readAllBytes(wal);
    int at = lastIndexOf(bytes, last.getBytes(StandardCharsets.UTF_8));
    assertTrue(at > bytes.length / 2, "the last message is near the end of " + wal);
    try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
      f.setLength(at + last.length() / 2);
    }

    Coordinator c2 = fx.restart(c);
    bob.checkReconnected(bob.commandUntilOk("reconnect 0", 10), 0);
    List<String> want = acked.subList(0, acked.size() - 1);
    List<LogEntry> log = bob.awaitLog(want.size());
    assertEquals(
        want, texts(log), "bob: every acknowledged message but the cut one, once, in order");
    ProcessFixture.assertStrictlyIncreasingSeqs(log, "bob");
    // and nothing more arrives: the cut message is gone, not delivered late
    long next = Participant.parseSent(alice.commandUntilOk("msend after the restart", 10));
    List<LogEntry> after = bob.awaitText("after the restart");
    assertEquals(want.size() + 1, after.size(), "bob: " + after);
    assertTrue(next > log.get(log.size() - 1).seq());
    assertTrue(c2.proc.isAlive());
    assertFalse(c2.proc.stderr().contains(" ERROR "), c2.proc.stderr());
  }

  /** alice online, bob offline and owed {@link #MESSAGES} acknowledged messages of about 1 KiB. */
  private Participant backlogForAnOfflineMember(Coordinator c) {
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    bob.disconnect();
    Random random = new Random(7);
    for (int i = 0; i < MESSAGES; i++) {
      StringBuilder text = new StringBuilder("m" + i + " ");
      while (text.length() < 1024) {
        text.append((char) ('a' + random.nextInt(26)));
      }
      alice.msend(text.toString());
    }
    return bob;
  }

  /**
   * Starts the coordinator again on {@code data}, which must refuse: exit status, one line, no
   * trace.
   */
  private void assertRefused(Coordinator c, Path data) {
    ProcessFixture.Proc again = fx.start("coordinator-again", "coordinator", c.cfg.toString());
    int status = again.awaitExit(Duration.ofSeconds(30));
    assertNotEquals(0, status, "the coordinator must not start on a damaged journal");
    List<String> lines = again.stderr().lines().filter(l -> !l.startsWith("Picked up ")).toList();
    assertEquals(1, lines.size(), "one line on stderr: " + lines);
    assertTrue(
        lines.get(0).contains(data.toString()) && lines.get(0).contains("move the directory aside"),
        lines.get(0));
    assertFalse(again.stderr().contains("\tat "), "no stack trace");
  }

  private Path dataDir(Coordinator c) {
    Path data = fx.dir().resolve("coordinator-data-" + c.port);
    assertTrue(Files.isRegularFile(data.resolve("CURRENT")), data + " is a RocksDB directory");
    return data;
  }

  private static Path largest(Path dir, String suffix) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .max(Comparator.comparingLong(p -> p.toFile().length()))
          .orElseThrow(() -> new AssertionError("no *" + suffix + " file in " + dir));
    }
  }

  /** Overwrites {@code len} bytes in the middle of {@code file} with random bytes. */
  private static void overwriteMiddle(Path file, int len) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      assertTrue(f.length() > 3L * len, file + " is large enough: " + f.length() + " bytes");
      byte[] noise = new byte[len];
      new Random(42).nextBytes(noise);
      f.seek(f.length() / 2 - len / 2);
      f.write(noise);
    }
  }

  private static int lastIndexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = haystack.length - needle.length; i >= 0; i--) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
