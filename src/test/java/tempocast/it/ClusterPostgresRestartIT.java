package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.LoadSender.Target;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * The cluster's PostgreSQL stopped and started again under load, the nodes left alone: while it is
 * down every {@code msend} and {@code send} gets an ERROR or waits, none is acknowledged that is
 * then missing; once it is back the cluster serves again by itself, and what is sent then gets OK
 * and reaches every log owed it. The accounting is {@link LogChecker}'s, per group and inbox.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterPostgresRestartIT extends PostgresItBase {
  static final Duration REPLY_TIMEOUT = Duration.ofSeconds(90);

  /**
   * How long PostgreSQL stays down at least: past the journal's connection timeout (3 s), so that
   * writes wait for a connection and fail, besides those refused at once.
   */
  static final Duration OUTAGE = Duration.ofSeconds(5);

  /** A command waiting this long while PostgreSQL is down counts as waiting. */
  static final long WAITING_MILLIS = 10_000;

  /** How long the cluster may take to serve again once PostgreSQL is back. */
  static final Duration BACK_TIMEOUT = Duration.ofSeconds(60);

  @Test
  void postgresStoppedAndStartedAgainUnderLoadLosesNothingAndServingResumes() throws Exception {
    long start = System.nanoTime();
    pg.createDatabase("pg_restart");
    ClusterNodes nodes = new ClusterNodes(fx, pg, "pg_restart", "30", 2);
    int holder = nodes.startAll();
    int[] roleLines = nodes.roleLines();
    for (int i = 0; i < nodes.size(); i++) nodes.awaitAnswering(i);

    Participant p1 = fx.startParticipantAt("p1", nodes.addresses(0, 1), "notify-delivered = off");
    Participant p2 = fx.startParticipantAt("p2", nodes.addresses(1, 0), "notify-delivered = off");
    p1.register(0);
    p2.register(0);
    LogChecker main = new LogChecker("main");
    LogChecker inbox = new LogChecker("@p1");
    Target toMain = new Target("msend ", "main", main);
    Target toP1 = new Target("send p1 ", "@p1", inbox);
    LoadSender s1 = new LoadSender(p1, REPLY_TIMEOUT, toMain);
    LoadSender s2 = new LoadSender(p2, REPLY_TIMEOUT, toMain, toP1);
    List<LoadSender> senders = List.of(s1, s2);
    for (LoadSender s : senders) s.start();
    LoadSender.awaitProgress(senders, 20, ProcessFixture.DELIVERY_TIMEOUT, "at first");

    int[] oksBefore = okCounts(senders);
    long t0 = System.nanoTime();
    pg.stop(); // fast: every session is cut
    long stopMillis = millisSince(t0);
    int[] errorsBefore = errorCounts(senders);
    // Down for OUTAGE at least, and until each sender has had commands refused since, or one
    // waiting for a while.
    ProcessFixture.await(
        OUTAGE.plusSeconds(60),
        "every sender refused 3 times or waiting " + WAITING_MILLIS + " ms: " + senders,
        () -> {
          for (int i = 0; i < senders.size(); i++) {
            LoadSender s = senders.get(i);
            s.checkFailure();
            if (s.errors().size() < errorsBefore[i] + 3 && s.waitingMillis() < WAITING_MILLIS) {
              return false;
            }
          }
          return millisSince(t0) >= OUTAGE.toMillis();
        });
    long downMillis = millisSince(t0);
    int[] oksWhileDown = okCounts(senders);
    String whileDown = senders.toString();
    pg.startAgain();
    long t1 = System.nanoTime();
    LoadSender.awaitProgress(senders, 20, BACK_TIMEOUT, "after PostgreSQL is back");
    long backMillis = millisSince(t1);
    LoadSender.stopAll(senders);

    long lastMain = s1.sendUntilOk(toMain, "last ", 10);
    long lastInbox = s2.sendUntilOk(toP1, "last ", 10);
    for (Participant p : List.of(p1, p2)) awaitSeq(p, "main", lastMain);
    awaitSeq(p1, "@p1", lastInbox);
    main.log("p1", LoadSender.linesOf(p1, "main"), 1).log("p2", LoadSender.linesOf(p2, "main"), 1);
    inbox.log("p1", LoadSender.linesOf(p1, "@p1"), 1);
    LogChecker.Report rMain = main.check();
    LogChecker.Report rInbox = inbox.check();
    List<String> refused = new ArrayList<>();
    for (LoadSender s : senders) refused.addAll(s.errors());
    String summary =
        "CLUSTER postgres restart: stop took "
            + stopMillis
            + " ms, down "
            + downMillis
            + " ms (OKs meanwhile "
            + (oksWhileDown[0] - oksBefore[0])
            + "+"
            + (oksWhileDown[1] - oksBefore[1])
            + ", senders then "
            + whileDown
            + "), 20 OKs each "
            + backMillis
            + " ms after the start; "
            + senders
            + "; role lines on node"
            + (holder + 1)
            + " "
            + roleLines[holder]
            + " -> "
            + nodes.roleLines()[holder]
            + "; not OK e.g. "
            + refused.subList(0, Math.min(2, refused.size()))
            + "; main "
            + rMain.summary()
            + "; @p1 "
            + rInbox.summary()
            + "; "
            + millisSince(start) / 1000
            + " s";
    System.out.println(summary);
    for (LogChecker.Report r : List.of(rMain, rInbox)) {
      if (!r.clean()) fail("log check failed: " + summary + "\n" + r.details(20));
    }
    for (int i = 0; i < nodes.size(); i++) {
      assertTrue(nodes.node(i).proc.isAlive(), "node" + (i + 1) + " still running, not restarted");
    }
    // Neither member said it was leaving: both still online.
    try (RawLineSocket raw = RawLineSocket.connect(nodes.commandPort(0))) {
      raw.send("MEMBERS main");
      assertEquals("OK MEMBERS main 2 p1 online p2 online", raw.readLine(), "MEMBERS main");
    }
  }

  private static int[] errorCounts(List<LoadSender> senders) {
    int[] out = new int[senders.size()];
    for (int i = 0; i < out.length; i++) out[i] = senders.get(i).errors().size();
    return out;
  }

  private static int[] okCounts(List<LoadSender> senders) {
    int[] out = new int[senders.size()];
    for (int i = 0; i < out.length; i++) out[i] = senders.get(i).oks();
    return out;
  }

  private static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static void awaitSeq(Participant p, String space, long seq) {
    ProcessFixture.await(
        ProcessFixture.DELIVERY_TIMEOUT,
        p.id + "'s log reaching " + space + " #" + seq,
        () -> {
          List<LogEntry> log = p.logOf(space);
          return !log.isEmpty() && log.get(log.size() - 1).seq() >= seq;
        });
  }
}
