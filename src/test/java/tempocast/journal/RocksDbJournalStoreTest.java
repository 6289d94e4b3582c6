package tempocast.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tempocast.protocol.StoredMessage;

class RocksDbJournalStoreTest {
  @TempDir Path dir;

  static StoredMessage msg(String group, long seq, long ts) {
    return new StoredMessage(group, seq, ts, "alice", "id" + seq, ("m" + seq).getBytes(StandardCharsets.UTF_8));
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
      store.append(List.of(msg("main", 1, 100), msg("main", 2, 200), msg("main", 3, 300), msg("main", 4, 400)), false);
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
    try (var store = RocksDbJournalStore.open(dir)) {
      store.append(List.of(msg("main", 1, 100), msg("main", 2, 200)), false);
      store.putMember(new MemberRecord("main", "alice", 0, true, -1, 2, "127.0.0.1", 7001), false);
      store.putMember(new MemberRecord("main", "bob", 1, false, 150, 1, "127.0.0.1", 7002, "ab12"), false);
      store.removeMember("main", "alice", false);
      store.prune("main", 1, 1_000); // the last seq must be known even when messages are pruned
    }
    try (var store = RocksDbJournalStore.open(dir)) {
      var snap = store.load();
      assertEquals(2L, snap.lastSeqByGroup().get("main"));
      assertEquals(List.of(new MemberRecord("main", "bob", 1, false, 150, 1, "127.0.0.1", 7002, "ab12")), snap.members());
      assertEquals(List.of(2L), snap.recentByGroup().get("main").stream().map(StoredMessage::seq).toList());
      var r = store.read("main", 1, Long.MIN_VALUE, 10);
      assertEquals(List.of(2L), seqs(r));
      assertEquals(2, r.upTo());
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
}
