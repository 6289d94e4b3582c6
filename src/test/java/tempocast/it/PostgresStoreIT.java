package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tempocast.it.ProcessFixture.LISTENING;
import static tempocast.it.ProcessFixture.seqs;
import static tempocast.it.ProcessFixture.texts;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/**
 * A coordinator with {@code store = jdbc:postgresql://...}: its journal is in PostgreSQL (a private
 * server), what it acknowledged survives a SIGKILL of the coordinator, and a store it cannot use
 * stops it with one line.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresStoreIT extends PostgresItBase {
  static final AtomicInteger databases = new AtomicInteger();

  /** Commands right after the restart may meet a participant whose old connection is dead. */
  private static final int ATTEMPTS = 10;

  static String freshDatabase() {
    String name = "it_" + databases.incrementAndGet();
    pg.createDatabase(name);
    return name;
  }

  @Test
  void acknowledgedMessagesSurviveCoordinatorSigkillOnPostgres() throws Exception {
    String db = freshDatabase();
    Coordinator c = fx.startCoordinator("30", "store = " + pg.jdbcUrl(db), "store-user = postgres");
    Matcher lm = LISTENING.matcher(c.listeningLine);
    assertTrue(lm.matches(), c.listeningLine);
    assertEquals("postgresql://127.0.0.1:" + pg.port() + "/" + db, lm.group(3));
    assertEquals("always", lm.group(4), "every write waits for PostgreSQL's commit");

    List<Participant> both = fx.startAndRegister(c, "alice", "bob");
    Participant alice = both.get(0);
    Participant bob = both.get(1);
    List<String> want = new ArrayList<>();
    List<Long> acked = new ArrayList<>();
    acked.add(alice.msend("m0 both online"));
    want.add("m0 both online");
    for (Participant p : both) p.awaitText("m0 both online");

    bob.disconnect(); // offline at the crash: he gets the rest from the journal, after it
    for (int i = 1; i <= 20; i++) {
      acked.add(alice.msend("m" + i + " acked before the crash"));
      want.add("m" + i + " acked before the crash");
    }
    c.kill();
    assertFalse(c.proc.isAlive());
    assertEquals(21, storedMessages(db), "every acknowledged message is in PostgreSQL");

    Coordinator c2 = fx.restart(c);
    bob.checkReconnected(bob.commandUntilOk("reconnect 0", ATTEMPTS), 0);
    long after = Participant.parseSent(alice.commandUntilOk("msend m21 after restart", ATTEMPTS));
    assertTrue(after > acked.get(acked.size() - 1), "seqs go on from the journal: " + after);
    acked.add(after);
    want.add("m21 after restart");

    for (Participant p : both) {
      p.awaitText("m21 after restart");
      assertEquals(
          want, texts(p.logEntries()), p.id + ": every acknowledged message once, in order");
      assertEquals(acked, seqs(p.logEntries()), p.id + ": logged seqs = acknowledged seqs");
    }
    assertFalse(
        Files.exists(fx.dir().resolve("coordinator-data-" + c.port)),
        "nothing written to the RocksDB data directory");
    assertTrue(c2.proc.isAlive());
  }

  @Test
  void aStoreThatCannotBeUsedStopsTheCoordinatorWithOneLine() {
    int closed = ProcessFixture.freePort();
    assertRefused(
        "jdbc:postgresql://127.0.0.1:" + closed + "/tempocast",
        "error: cannot reach PostgreSQL at 127.0.0.1:" + closed + ": ");
    assertRefused(
        pg.jdbcUrl("nosuch"),
        "error: PostgreSQL at 127.0.0.1:" + pg.port() + ": database \"nosuch\" does not exist");
  }

  @Test
  void aSecondCoordinatorOnTheSameDatabaseIsRefusedWithOneLine() throws Exception {
    String db = freshDatabase();
    Coordinator first =
        fx.startCoordinator("30", "store = " + pg.jdbcUrl(db), "store-user = postgres");
    assertRefused(
        pg.jdbcUrl(db),
        "error: another coordinator is using the journal in postgresql://127.0.0.1:"
            + pg.port()
            + "/"
            + db
            + ": stop it first, or give this coordinator a database of its own");
    assertTrue(first.proc.isAlive(), "the first goes on");
    first.kill(); // its session ends with the process, and with it the claim
    Coordinator taking = fx.restart(first);
    assertTrue(taking.proc.isAlive());
  }

  private void assertRefused(String url, String start) {
    int port = ProcessFixture.freePort();
    var cfg =
        fx.writeFile(
            "refused-" + port + ".cfg",
            port
                + "\n30\ndata-dir = "
                + tmp.resolve("data-" + port)
                + "\nstore = "
                + url
                + "\nstore-user = postgres\n");
    ProcessFixture.Proc p = fx.start("coordinator-refused", "coordinator", cfg.toString());
    assertEquals(1, p.awaitExit(Duration.ofSeconds(30)), "exit status");
    List<String> lines = p.stderr().lines().filter(l -> !l.startsWith("Picked up ")).toList();
    assertEquals(1, lines.size(), "one line on stderr: " + lines);
    assertTrue(lines.get(0).startsWith(start), lines.get(0));
  }

  private static long storedMessages(String db) throws Exception {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), "postgres", "");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM journal_messages")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
