package tempocast.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/**
 * The {@link JournalStoreContract} on RocksDB (in {@code dir/contract}), and what only RocksDB has:
 * the one-group journal's conversion, damaged files, reopening.
 */
class RocksDbJournalStoreTest extends JournalStoreContract {
  @TempDir Path dir;

  @Override
  JournalStore open() {
    return RocksDbJournalStore.open(dir.resolve("contract"));
  }

  @Override
  JournalStore reopen(JournalStore closed) {
    return RocksDbJournalStore.open(((RocksDbJournalStore) closed).dir());
  }

  @Test
  void aReadBeforeLoadAfterAReopenDoesNotKnowTheLastSeq() {
    try (var store = RocksDbJournalStore.open(dir)) {
      store.append(List.of(msg("main", 1, 100), msg("main", 2, 200)), false);
      store.prune("main", 2, 1_000);
    }
    try (var store = RocksDbJournalStore.open(dir)) {
      // The last seq is read at load(): until then a read past what is stored claims less.
      assertEquals(0, store.read("main", 1, Long.MIN_VALUE, 10).upTo());
      store.load();
      assertEquals(2, store.read("main", 1, Long.MIN_VALUE, 10).upTo());
    }
  }

  @Test
  void anAppendBelowTheLastSeqLowersTheLastSeqOnDisk() {
    try (var store = RocksDbJournalStore.open(dir)) {
      store.append(List.of(msg("main", 5, 100)), false);
      store.append(List.of(msg("main", 3, 100)), false);
      assertEquals(5, store.read("main", 6, Long.MIN_VALUE, 10).upTo(), "in memory: the highest");
    }
    try (var store = RocksDbJournalStore.open(dir)) {
      assertEquals(3L, store.load().lastSeqByTarget().get("main"), "on disk: the latest written");
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
