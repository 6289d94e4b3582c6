package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;
import tempocast.journal.PostgresServer;

/**
 * Participants with several coordinator addresses (line 3 of their configuration) go over to the
 * next one by themselves: here a standby started on the same data directory after the first
 * coordinator was killed. Nobody types anything to switch; an msend in flight across the switch is
 * stored once; the receivers take the standby's deliveries.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CoordinatorFailoverIT extends ItBase {

  /** Long enough for an msend to wait out the standby's start (it is retried meanwhile). */
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);

  @Test
  void aStandbyOnTheSameDataTakesOverAndTheParticipantsGoOnByThemselves() throws Exception {
    int p1 = ProcessFixture.freePort();
    int p2 = otherPort(p1);
    Path data = fx.dir().resolve("shared-data");
    Coordinator a = fx.startCoordinatorOn(p1, data, "30");
    // the standby, on the same data, started once the first is dead
    failOver(a, p2, () -> fx.startCoordinatorOn(p2, data, "30").proc);
  }

  /**
   * The same on a PostgreSQL store, with the standby running beforehand ({@code standby = on}): it
   * waits without listening while the first holds the database, and starts serving by itself the
   * moment the first dies, its session and claim ending with it.
   */
  @Test
  void aRunningStandbyOnThePostgresStoreTakesOverByItself() throws Exception {
    try (PostgresServer pg = PostgresServer.start()) {
      pg.createDatabase("ha");
      String[] store = {"store = " + pg.jdbcUrl("ha"), "store-user = postgres"};
      int p1 = ProcessFixture.freePort();
      int p2 = otherPort(p1);
      Coordinator a = fx.startCoordinatorOn(p1, fx.dir().resolve("a-data"), "30", store);
      Path standbyCfg =
          fx.writeFile(
              "standby-" + p2 + ".cfg",
              p2
                  + "\n30\ndata-dir = "
                  + fx.dir().resolve("b-data")
                  + "\n"
                  + String.join("\n", store)
                  + "\nstandby = on\n");
      ProcessFixture.Proc standby =
          fx.start("coordinator-standby", "coordinator", standbyCfg.toString());
      standby.nextLine(
          ProcessFixture.STARTUP_TIMEOUT, l -> l.startsWith("standby: "), "the standby's line");
      failOver(
          a,
          p2,
          () -> {
            standby.nextLine(
                ProcessFixture.STARTUP_TIMEOUT,
                l -> l.contains("listening on"),
                "the standby's 'listening on' line");
            return standby;
          });
    }
  }

  private static int otherPort(int p1) {
    int p2 = ProcessFixture.freePort();
    while (p2 == p1) p2 = ProcessFixture.freePort();
    return p2;
  }

  /**
   * alice and bob, with both addresses, register at {@code a}; alice sends in a loop; {@code a} is
   * killed after 20 OKs and {@code takeOver} brings the coordinator on {@code p2}; alice's msends
   * go on by themselves, bob's next commands too, and both logs hold every acknowledged message
   * once.
   */
  private void failOver(Coordinator a, int p2, Callable<ProcessFixture.Proc> takeOver)
      throws Exception {
    int p1 = a.port;
    // the two spellings of a list: comma-separated 'IP PORT', space-separated 'IP:PORT'
    Participant alice =
        fx.startParticipantAt(
            "alice", "127.0.0.1 " + p1 + ", 127.0.0.1 " + p2, "secret = alice-s3cret");
    Participant bob = fx.startParticipantAt("bob", "127.0.0.1:" + p1 + " 127.0.0.1:" + p2);
    alice.register(0);
    bob.register(0);

    LogChecker checker = new LogChecker();
    AtomicInteger acked = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    List<String> refused = new CopyOnWriteArrayList<>();
    Thread sender =
        new Thread(
            () -> {
              for (int i = 1; !stop.get(); i++) {
                String text = "m" + i + " from alice";
                String cmd = "msend " + text;
                alice.proc.writeLine(cmd);
                String r = alice.nextResult(SEND_TIMEOUT, cmd);
                if (r.startsWith("OK")) {
                  checker.acked("alice", text, Participant.parseSent(r, "main"));
                  acked.incrementAndGet();
                } else {
                  checker.unacked("alice", text);
                  refused.add(cmd + " -> " + r);
                }
              }
            },
            "alice-sender");
    sender.setDaemon(true);
    sender.start();

    ProcessFixture.await(
        ProcessFixture.DELIVERY_TIMEOUT, "20 acknowledged msends", () -> acked.get() >= 20);
    a.kill(); // SIGKILL, mid-stream
    int atKill = acked.get();
    ProcessFixture.Proc b = takeOver.call();
    ProcessFixture.await(
        SEND_TIMEOUT,
        "20 more acknowledged msends after the failover",
        () -> acked.get() >= atKill + 20);
    stop.set(true);
    sender.join(SEND_TIMEOUT.toMillis());
    assertTrue(!sender.isAlive(), "the sender's last msend was answered");
    assertEquals(List.of(), refused, "every msend got its OK, across the failover too");
    assertTrue(
        alice.proc.stdoutLines().stream().anyMatch(l -> l.startsWith("coordinator unreachable (")),
        "the msend that met the dead coordinator was sent again: " + alice.noticesSince(0));

    // bob typed nothing since; his first command (not an msend, so not one that is sent again)
    // goes to the standby by itself, without an ERROR
    bob.groups();
    String bobText = "bob after the failover";
    checker.acked("bob", bobText, bob.msend(bobText));

    for (Participant p : List.of(alice, bob)) {
      p.awaitText(bobText);
      p.awaitNotice("coordinator 127.0.0.1:" + p1 + " unreachable, now using 127.0.0.1:" + p2);
    }
    checker.log("alice", alice.logLines(), 1).log("bob", bob.logLines(), 1);
    LogChecker.Report report = checker.check();
    assertTrue(report.clean(), report.summary() + "\n" + report.details(20));
    assertEquals(
        acked.get() + 1, alice.logLines().size(), "alice: every acknowledged message once");
    assertEquals(acked.get() + 1, bob.logLines().size(), "bob: every acknowledged message once");
    assertTrue(b.isAlive());
  }

  @Test
  void aParticipantWhoseFirstCoordinatorIsDeadFromTheStartUsesTheSecond() {
    Coordinator c = fx.startCoordinator("30");
    int dead = ProcessFixture.freePort(); // bound a moment ago, nobody listens there now
    Participant alice =
        fx.startParticipantAt("alice", "127.0.0.1:" + dead + ",127.0.0.1:" + c.port);
    alice.register(0);
    alice.msend("hello from the second address");
    alice.awaitText("hello from the second address");
    alice.awaitNotice(
        "coordinator 127.0.0.1:" + dead + " unreachable, now using 127.0.0.1:" + c.port);
  }
}
