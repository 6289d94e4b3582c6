package tempocast.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.protocol.StoredMessage;

/**
 * The {@link JournalStoreContract} on a private PostgreSQL (a fresh database per test), and what
 * only PostgreSQL has: migrations, several stores on one database, per-target loads, a server that
 * went away.
 */
@Timeout(60)
class PostgresJournalStoreTest extends JournalStoreContract {
  static PostgresServer server;
  static final AtomicInteger databases = new AtomicInteger();

  /** The database of the store under test, so that reopen finds it. */
  String url;

  @BeforeAll
  static void startServer() {
    server = PostgresServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  static String freshDatabase() {
    String name = "t_" + databases.incrementAndGet();
    server.createDatabase(name);
    return server.jdbcUrl(name);
  }

  static PostgresJournalStore openOn(String url) {
    return PostgresJournalStore.open(url, "postgres", null);
  }

  @Override
  JournalStore open() {
    url = freshDatabase();
    return openOn(url);
  }

  @Override
  JournalStore reopen(JournalStore closed) {
    return openOn(url);
  }

  static String databaseOf(String url) {
    String path = url.substring(url.lastIndexOf('/') + 1);
    int query = path.indexOf('?');
    return query < 0 ? path : path.substring(0, query);
  }

  String taken() {
    return "another coordinator is using the journal in postgresql://127.0.0.1:"
        + server.port()
        + "/"
        + databaseOf(url)
        + ": stop it first, or give this coordinator a database of its own";
  }

  @Test
  void aClaimedDatabaseIsRefusedToASecondCoordinatorUntilTheFirstLetsGo() {
    ((PostgresJournalStore) store).claim();
    PostgresJournalStore second = openOn(url);
    try {
      assertEquals(taken(), assertThrows(StoreException.class, second::claim).getMessage());
      store.close();
      second.claim();
      second.append(List.of(msg("main", 1, 100)), true);
      assertEquals(List.of(1L), seqs(second.read("main", 1, Long.MIN_VALUE, 10)));
    } finally {
      second.close();
      store = openOn(url); // for closeStore
    }
  }

  @Test
  void nothingIsWrittenWithoutTheClaimOnceItsSessionIsGone() {
    PostgresJournalStore first = (PostgresJournalStore) store;
    first.claim();
    first.append(List.of(msg("main", 1, 100)), true);
    // The server ends the first coordinator's sessions (as a restart does); a second one claims.
    server.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
            + databaseOf(url)
            + "' AND pid <> pg_backend_pid()");
    PostgresJournalStore second = openOn(url);
    try {
      second.claim();
      assertThrows(
          StoreException.class, () -> first.append(List.of(msg("main", 2, 200)), true), "broken");
      assertEquals(
          taken(),
          assertThrows(StoreException.class, () -> first.append(List.of(msg("main", 2, 200)), true))
              .getMessage(),
          "the claim is taken again before a write, and it is the second's now");
      assertEquals(List.of(1L), seqs(second.read("main", 1, Long.MIN_VALUE, 10)));
      second.close();
      first.append(List.of(msg("main", 2, 200)), true);
      assertEquals(List.of(1L, 2L), seqs(first.read("main", 1, Long.MIN_VALUE, 10)));
    } finally {
      second.close();
    }
  }

  @Test
  void migratingAgainIsANoOp() throws Exception {
    store.append(List.of(msg("main", 1, 100)), true);
    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      PostgresJournalStore.migrate(c);
      PostgresJournalStore.migrate(c);
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT version FROM schema_version ORDER BY version")) {
        List<Integer> versions = new ArrayList<>();
        while (rs.next()) {
          versions.add(rs.getInt(1));
        }
        assertEquals(List.of(1), versions);
      }
    }
    restart();
    assertEquals(List.of(1L), seqs(store.read("main", 1, Long.MIN_VALUE, 10)));
  }

  @Test
  void aSchemaNewerThanThisCoordinatorKnowsIsRefused() throws Exception {
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO schema_version (version) VALUES (99)");
    }
    StoreException e = assertThrows(StoreException.class, () -> openOn(url));
    assertEquals(
        "the journal in PostgreSQL has schema version 99, this coordinator knows versions up to 1"
            + " (a newer tempocast wrote it)",
        e.getMessage());
  }

  @Test
  void storesOpenedTogetherOnANewDatabaseBothWork() throws Exception {
    String shared = freshDatabase();
    int n = 4;
    CyclicBarrier together = new CyclicBarrier(n);
    List<CompletableFuture<PostgresJournalStore>> opening = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      opening.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  together.await();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
                return openOn(shared);
              }));
    }
    List<PostgresJournalStore> stores = new ArrayList<>();
    for (var f : opening) {
      stores.add(f.get());
    }
    try {
      for (int i = 0; i < n; i++) {
        stores.get(i).append(List.of(msg("g" + i, 1, 100), msg("g" + i, 2, 200)), true);
      }
      for (PostgresJournalStore s : stores) {
        var snap = s.load();
        assertEquals(n, snap.lastSeqByTarget().size(), "every store sees every other's writes");
        for (int i = 0; i < n; i++) {
          assertEquals(List.of(1L, 2L), seqs(s.loadTarget("g" + i).recent()));
        }
      }
    } finally {
      stores.forEach(PostgresJournalStore::close);
    }
  }

  @Test
  void aSeqStoredTwiceIsRefusedAndTheFirstMessageStays() {
    store.append(List.of(msg("main", 1, 100)), true);
    PostgresJournalStore other = openOn(url);
    try {
      StoredMessage clash = new StoredMessage("main", 1, 999, "bob", "x", new byte[] {'b'});
      StoreException e =
          assertThrows(StoreException.class, () -> other.append(List.of(clash), true));
      assertEquals(
          "cannot write the journal: PostgreSQL at 127.0.0.1:"
              + server.port()
              + " failed: duplicate key value violates unique constraint \"journal_messages_pkey\"",
          e.getMessage(),
          "the server's reason, not the statement with the message's text");
      assertEquals("alice", store.message("main", 1).sender());
    } finally {
      other.close();
    }
  }

  @Test
  void theLastSeqNeverGoesBack() {
    store.append(List.of(msg("main", 5, 100)), true);
    store.append(List.of(msg("main", 3, 100)), true);
    assertEquals(5L, store.load().lastSeqByTarget().get("main"));
  }

  @Test
  void progressOfOneMemberTwiceInABatchKeepsTheLatest() {
    MembershipRecord bob = new MembershipRecord("main", "bob", 0, 2);
    store.putProgress(
        List.of(
            new JournalStore.Progress(bob, new long[] {1, 2}, new long[] {100, 200}),
            new JournalStore.Progress(
                bob.withCursor(3), new long[] {2, 3}, new long[] {250, 300})));
    assertEquals(List.of(bob.withCursor(3)), store.load().memberships());
    assertEquals(100, store.deliveredAt("main", "bob", 1, 1));
    assertEquals(250, store.deliveredAt("main", "bob", 2, 2));
    assertEquals(300, store.deliveredAt("main", "bob", 3, 3));
  }

  @Test
  void aTargetLoadsOnlyItsLatestMessages() {
    int total = PostgresJournalStore.RECENT_ON_LOAD + 10;
    for (int from = 1; from <= total; from += 4096) {
      List<StoredMessage> batch = new ArrayList<>();
      for (int seq = from; seq < from + 4096 && seq <= total; seq++) {
        batch.add(msg("main", seq, 100));
      }
      store.append(batch, false);
    }
    var recent = store.loadTarget("main").recent();
    assertEquals(PostgresJournalStore.RECENT_ON_LOAD, recent.size());
    assertEquals(11L, recent.get(0).seq());
    assertEquals((long) total, recent.get(recent.size() - 1).seq());
  }

  @Test
  void aServerThatCannotBeReachedIsOneClearLine() {
    try (PostgresServer own = PostgresServer.start()) {
      PostgresJournalStore s =
          PostgresJournalStore.open(
              new PostgresJournalStore.Settings(
                  own.jdbcUrl(), "postgres", null, Duration.ofMillis(500)));
      try {
        s.append(List.of(msg("main", 1, 100)), true);
        own.stop();
        String where = "127.0.0.1:" + own.port();
        StoreException write =
            assertThrows(StoreException.class, () -> s.append(List.of(msg("main", 2, 200)), true));
        assertOneLine(
            write, "cannot write the journal: cannot reach PostgreSQL at " + where + ": ");
        StoreException opening = assertThrows(StoreException.class, () -> openOn(own.jdbcUrl()));
        assertOneLine(opening, "cannot reach PostgreSQL at " + where + ": ");
      } finally {
        s.close();
      }
    }
  }

  @Test
  void aMissingDatabaseAndABadUrlAreOneClearLine() {
    String where = "127.0.0.1:" + server.port();
    StoreException missing =
        assertThrows(StoreException.class, () -> openOn(server.jdbcUrl("nosuch")));
    assertOneLine(missing, "PostgreSQL at " + where + ": database \"nosuch\" does not exist");
    StoreException bad = assertThrows(StoreException.class, () -> openOn("postgres://h/db"));
    assertOneLine(bad, "not a PostgreSQL JDBC URL: 'postgres://h/db'");
  }

  @Test
  void aDatabaseThatCannotHoldEveryNameIsRefused() {
    server.sql(
        "CREATE DATABASE latin ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
    StoreException e = assertThrows(StoreException.class, () -> openOn(server.jdbcUrl("latin")));
    assertOneLine(e, "the PostgreSQL database latin is in encoding LATIN1; the journal needs UTF8");
  }

  static void assertOneLine(StoreException e, String start) {
    String m = e.getMessage();
    assertTrue(m.startsWith(start), m);
    assertFalse(m.contains("\n"), m);
    assertFalse(m.contains("Exception"), m);
    assertFalse(m.contains("\tat "), m);
  }
}
