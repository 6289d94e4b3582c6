package tempocast.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tempocast.protocol.StoredMessage;

class RocksDbJournalStoreTest {
  @TempDir Path dir;

  static StoredMessage msg(String group, long seq, long ts) {
    return new StoredMessage(
        group, seq, ts, "alice", "id" + seq, ("m" + seq).getBytes(StandardCharsets.UTF_8));
  }

  static List<Long> seqs(JournalStore.ReadResult r) {
    return r.messages().stream().map(StoredMessage::seq).toList();
  }

  @Test
  void readsBackInSeqOrderPerGroup() {
    try (var store = RocksDbJournalStore.open(dir)) {
      store.append(List.of(msg("main", 1, 100), msg("other", 1, 100), msg("main", 2, 200)), false);
      store.append(List.of(msg("main", 3, 300)), true);
      var r = store.read("main", 2, Long.MIN_VALUE, 10);
      assertEquals(List.of(2L, 3L), seqs(r));
      assertEquals(3, r.upTo());
      StoredMessage m = r.messages().get(0);
      assertEquals("alice", m.sender());
      assertEquals("id2", m.msgId());
      assertEquals("m2", new String(m.text(), StandardCharsets.UTF_8));
      assertEquals(List.of(1L), seqs(store.read("other", 1, Long.MIN_VALUE, 10)));
    }
  }

  @Test
  void readHonoursNotBeforeAndMax() {
    try (var store = RocksDbJournalStore.open(dir)) {
      store.append(
          List.of(
              msg("main", 1, 100), msg("main", 2, 200), msg("main", 3, 300), msg("main", 4, 400)),
          false);
      var r = store.read("main", 1, 250, 10);
      assertEquals(List.of(3L, 4L), seqs(r));
      var limited = store.read("main", 1, Long.MIN_VALUE, 2);
      assertEquals(List.of(1L, 2L), seqs(limited));
      assertEquals(2, limited.upTo());
    }
  }

  @Test
  void pruneStopsAtTheFirstMessageThatMustStay() {
    try (var store = RocksDbJournalStore.open(dir)) {
      store.append(List.of(msg("main", 1, 100), msg("main", 2, 200), msg("main", 3, 300)), false);
      assertEquals(1, store.prune("main", 1, 1_000)); // seq 2 is still owed to someone
      assertEquals(1, store.prune("main", 10, 250)); // seq 3 is younger than td
      assertEquals(List.of(3L), seqs(store.read("main", 1, Long.MIN_VALUE, 10)));
    }
  }

  @Test
  void everythingSurvivesAReopen() {
    ParticipantRecord bob = new ParticipantRecord("bob", false, 150, "127.0.0.1", 7002, "ab12");
    MembershipRecord alice = new MembershipRecord("main", "alice", 0, 2);
    try (var store = RocksDbJournalStore.open(dir)) {
      store.append(List.of(msg("main", 1, 100), msg("main", 2, 200)), false);
      store.putGroup(new GroupRecord("main", 30_000), false);
      store.putParticipant(
          new ParticipantRecord("alice", true, -1, "127.0.0.1", 7001, null), false);
      store.putParticipant(bob, false);
      store.removeParticipant("alice", false);
      store.putMembership(alice, false);
      store.putMembership(new MembershipRecord("main", "bob", 1, 1), false);
      store.endMembership(alice, 2, false);
      store.putProgress(
          List.of(
              new JournalStore.Progress(
                  new MembershipRecord("main", "bob", 1, 2), new long[] {2}, new long[] {250})));
      store.putExpiry("main", "bob", 1, 300, false);
      store.putExpiry("main", "bob", 0, 50, false); // older than all that is left: pruned
      store.prune("main", 1, 1_000); // the last seq must be known even when messages are pruned
    }
    try (var store = RocksDbJournalStore.open(dir)) {
      var snap = store.load();
      assertEquals(2L, snap.lastSeqByTarget().get("main"));
      assertEquals(List.of(new GroupRecord("main", 30_000)), snap.groups());
      assertEquals(List.of(bob), snap.participants());
      assertEquals(List.of(new MembershipRecord("main", "bob", 1, 2)), snap.memberships());
      assertEquals(List.of(new EndedMembership("main", "alice", 0, 2)), snap.ended());
      assertEquals(
          List.of(2L), snap.recentByTarget().get("main").stream().map(StoredMessage::seq).toList());
      var r = store.read("main", 1, Long.MIN_VALUE, 10);
      assertEquals(List.of(2L), seqs(r));
      assertEquals(2, r.upTo());
      assertEquals(250, store.deliveredAt("main", "bob", 2, Long.MAX_VALUE));
      assertEquals(-1, store.deliveredAt("main", "bob", 3, Long.MAX_VALUE));
      assertEquals(-1, store.deliveredAt("main", "bob", 2, 1)); // not within the period asked
      assertTrue(store.expiredByMarker("main", "bob", 2, 299));
      assertFalse(store.expiredByMarker("main", "bob", 2, 300));
      assertFalse(store.expiredByMarker("main", "bob", 1, 0)); // at or before its cursor then
      assertEquals(200, store.message("main", 2).timestamp());
      assertNull(store.message("main", 1));
    }
  }

  @Test
  void aOneGroupJournalIsConvertedToParticipantsAndMemberships() throws Exception {
    try (var store = RocksDbJournalStore.open(dir)) {
      store.append(List.of(msg("main", 1, 100)), false);
    }
    // what the coordinator before groups wrote: U main 0x00 alice -> its member record
    try (org.rocksdb.Options o = new org.rocksdb.Options();
        org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(o, dir.toString())) {
      byte[] host = "127.0.0.1".getBytes(StandardCharsets.UTF_8);
      byte[] key = "Umain\0alice".getBytes(StandardCharsets.UTF_8);
      byte[] value =
          java.nio.ByteBuffer.allocate(8 + 1 + 8 + 8 + 4 + 2 + host.length + 2)
              .putLong(0)
              .put((byte) 0)
              .putLong(90)
              .putLong(1)
              .putInt(7001)
              .putShort((short) host.length)
              .put(host)
              .putShort((short) 0)
              .array();
      db.put(key, value);
    }
    try (var store = RocksDbJournalStore.open(dir)) {
      var snap = store.load();
      assertEquals(
          List.of(new ParticipantRecord("alice", false, 90, "127.0.0.1", 7001, null)),
          snap.participants());
      assertEquals(List.of(new MembershipRecord("main", "alice", 0, 1)), snap.memberships());
    }
    try (var store = RocksDbJournalStore.open(dir)) {
      assertEquals(1, store.load().participants().size(), "converted once, and kept");
    }
  }

  @Test
  void aDamagedStoreIsRefusedWithAMessage() throws Exception {
    try (var store = RocksDbJournalStore.open(dir)) {
      store.append(List.of(msg("main", 1, 100)), true);
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.filter(p -> p.getFileName().toString().startsWith("MANIFEST")).toList()) {
        Files.write(p, new byte[] {1, 2, 3});
      }
    }
    StoreException e = assertThrows(StoreException.class, () -> RocksDbJournalStore.open(dir));
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("move the directory aside"), e.getMessage());
  }

  /** 400 messages of about 1 KiB, one write each, as a coordinator under light load stores them. */
  static void appendBacklog(RocksDbJournalStore store) {
    Random random = new Random(7);
    for (long seq = 1; seq <= 400; seq++) {
      byte[] text = new byte[1024];
      for (int i = 0; i < text.length; i++) {
        text[i] = (byte) ('a' + random.nextInt(26));
      }
      store.append(List.of(new StoredMessage("main", seq, 100, "alice", "id" + seq, text)), false);
    }
  }

  static Path largest(Path dir, String suffix) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .max(Comparator.comparingLong(p -> p.toFile().length()))
          .orElseThrow();
    }
  }

  static void overwriteMiddle(Path file, int len) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      assertTrue(f.length() > 3L * len, file + ": " + f.length() + " bytes");
      byte[] noise = new byte[len];
      new Random(42).nextBytes(noise);
      f.seek(f.length() / 2 - len / 2);
      f.write(noise);
    }
  }

  static void assertRefusedAsDamaged(Path dir) {
    StoreException e = assertThrows(StoreException.class, () -> RocksDbJournalStore.open(dir));
    assertTrue(e.getMessage().contains("the journal in " + dir + " is damaged"), e.getMessage());
    assertTrue(e.getMessage().contains("move the directory aside"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void aWriteAheadLogCorruptedInTheMiddleIsRefused() throws Exception {
    try (var store = RocksDbJournalStore.open(dir)) {
      appendBacklog(store);
    } // closing does not flush: everything is still only in the write-ahead log
    overwriteMiddle(largest(dir, ".log"), 64 * 1024);
    assertRefusedAsDamaged(dir);
  }

  @Test
  void aWriteAheadLogCutInsideItsLastRecordOpensWithoutThatRecord() throws Exception {
    try (var store = RocksDbJournalStore.open(dir)) {
      appendBacklog(store);
      store.append(List.of(msg("main", 401, 100)), false);
    }
    Path wal = largest(dir, ".log");
    try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
      f.setLength(f.length() - 5); // inside the last record: the write of seq 401
    }
    try (var store = RocksDbJournalStore.open(dir)) {
      var r = store.read("main", 1, Long.MIN_VALUE, 1000);
      assertEquals(400, r.messages().size());
      assertEquals(400L, r.messages().get(399).seq());
      assertEquals(400L, store.load().lastSeqByTarget().get("main"));
    }
  }

  @Test
  void anSstFileCorruptedInTheMiddleIsRefusedAtOpen() throws Exception {
    try (var store = RocksDbJournalStore.open(dir)) {
      appendBacklog(store);
    }
    RocksDbJournalStore.open(dir).close(); // opening replays the log into a level-0 SST file
    overwriteMiddle(largest(dir, ".sst"), 64 * 1024);
    assertRefusedAsDamaged(dir);
  }

  @Test
  void aReadThatMeetsADamagedBlockStopsBeforeItAndDoesNotSkipIt() throws Exception {
    try (var store = RocksDbJournalStore.open(dir)) {
      appendBacklog(store);
    }
    RocksDbJournalStore.open(dir).close();
    try (var store = RocksDbJournalStore.open(dir)) {
      overwriteMiddle(largest(dir, ".sst"), 64 * 1024); // damaged after the check at open
      store.load(); // as the coordinator does: now the store knows the group's last seq
      var r = store.read("main", 1, Long.MIN_VALUE, 1000);
      long lastRead = r.messages().get(r.messages().size() - 1).seq();
      assertTrue(lastRead < 400, "stopped at the damage: " + lastRead);
      assertEquals(lastRead, r.upTo(), "not past what was read");
      StoreException e =
          assertThrows(
              StoreException.class, () -> store.read("main", lastRead + 1, Long.MIN_VALUE, 1000));
      assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }
  }
}
