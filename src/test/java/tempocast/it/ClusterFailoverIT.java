package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.LoadSender.Target;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * A cluster of three nodes keeps every promise while its nodes are killed one at a time under load:
 * four participants, each with all three nodes on line 3 in its own order (so they talk to
 * different nodes), three of them sending, to two groups and to an inbox. Each node in turn gets
 * SIGKILL (one that does not hold the coordinator role, then the holder twice: the role moves to an
 * original node, then to a restarted one) and is started again with its file once the role has
 * moved, until it answers through its command port. Then the accounting ({@link LogChecker}, per
 * group and inbox): every acknowledged message exactly once in every log owed it, one order per
 * group and inbox, each sender's messages in its send order. A node's death is not a member's
 * disconnection: with td 2 s, well below the seconds a failover takes, the members still get
 * everything; and every {@code msend}/{@code send} is acknowledged, being sent again with its ID
 * while the role moves.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterFailoverIT extends PostgresItBase {
  /** A command waits out a failover: sent again by the node and by the participant (60 s). */
  static final Duration REPLY_TIMEOUT = Duration.ofSeconds(90);

  /** OKs every sender gets before the first kill and between a node's return and the next. */
  static final int PROGRESS = 20;

  @Test
  void killingEachNodeInTurnUnderLoadLosesAndRepeatsNothing() throws Exception {
    long start = System.nanoTime();
    pg.createDatabase("failover");
    ClusterNodes nodes = new ClusterNodes(fx, pg, "failover", "2", 3);
    int holder = nodes.startAll();
    for (int i = 0; i < nodes.size(); i++) nodes.awaitAnswering(i);

    String quiet = "notify-delivered = off";
    Participant p1 = fx.startParticipantAt("p1", nodes.addresses(0, 1, 2), quiet);
    Participant p2 = fx.startParticipantAt("p2", nodes.addresses(1, 2, 0), quiet);
    Participant p3 = fx.startParticipantAt("p3", nodes.addresses(2, 0, 1), quiet);
    Participant p4 = fx.startParticipantAt("p4", nodes.addresses(0, 2, 1), quiet);
    List<Participant> all = List.of(p1, p2, p3, p4);
    for (Participant p : all) p.register(0);
    p2.create("team", null, "2");
    p2.use("team");
    p3.join("team");
    p4.join("team");

    // Who is owed what: main everyone, team p2 p3 p4, the inbox @p4 p4 alone.
    LogChecker main = new LogChecker("main");
    LogChecker team = new LogChecker("team");
    LogChecker inbox = new LogChecker("@p4");
    Target toMain = new Target("msend ", "main", main);
    Target toTeam = new Target("msend ", "team", team);
    Target toP4 = new Target("send p4 ", "@p4", inbox);
    Map<Target, List<Participant>> owed = new LinkedHashMap<>();
    owed.put(toMain, all);
    owed.put(toTeam, List.of(p2, p3, p4));
    owed.put(toP4, List.of(p4));
    LoadSender s1 = new LoadSender(p1, REPLY_TIMEOUT, toMain);
    LoadSender s2 = new LoadSender(p2, REPLY_TIMEOUT, toTeam);
    LoadSender s3 = new LoadSender(p3, REPLY_TIMEOUT, toMain, toP4);
    List<LoadSender> senders = List.of(s1, s2, s3);
    for (LoadSender s : senders) s.start();
    LoadSender.awaitProgress(senders, PROGRESS, ProcessFixture.DELIVERY_TIMEOUT, "at first");

    List<String> kills = new ArrayList<>();
    // Each node in turn: one that does not hold the role first (its commands in flight are
    // answered by the role, their replies lost with it), then the holder, then the last original
    // node, by then the oldest and so the holder; the role goes to a restarted node then.
    List<Integer> order = new ArrayList<>();
    order.add(holder == 0 ? 1 : 0);
    order.add(holder);
    for (int i = 0; i < nodes.size(); i++) if (!order.contains(i)) order.add(i);
    for (int i : order) {
      boolean wasHolder = i == holder;
      int[] before = nodes.roleLines();
      long t0 = System.nanoTime();
      nodes.node(i).kill(); // SIGKILL, mid-stream
      String kill = "node" + (i + 1) + (wasHolder ? " (holder)" : "");
      if (wasHolder) {
        holder = nodes.awaitHolder(i, before);
        kill += " role on node" + (holder + 1) + " after " + millisSince(t0) + " ms";
      }
      long t1 = System.nanoTime();
      nodes.restart(i);
      nodes.awaitAnswering(i);
      kill += ", back in " + millisSince(t1) + " ms";
      LoadSender.awaitProgress(
          senders, PROGRESS, ClusterNodes.REJOIN_TIMEOUT, "after " + kill + " (" + senders + ")");
      kills.add(kill);
    }
    LoadSender.stopAll(senders);

    // A last message to each group and the inbox, once every log has it, everything is in.
    barrier(s1, toMain, owed);
    barrier(s2, toTeam, owed);
    barrier(s3, toP4, owed);
    for (Map.Entry<Target, List<Participant>> e : owed.entrySet()) {
      Target t = e.getKey();
      for (Participant p : e.getValue()) t.checker().log(p.id, LoadSender.linesOf(p, t.space()), 1);
    }
    for (Participant p : all) {
      Set<String> allowed = new TreeSet<>();
      for (Map.Entry<Target, List<Participant>> e : owed.entrySet()) {
        if (e.getValue().contains(p)) allowed.add(e.getKey().space());
      }
      assertTrue(
          allowed.containsAll(spacesOf(p)),
          p.id + "'s log holds only what it is owed (" + allowed + "): " + spacesOf(p));
    }
    LogChecker.Report rMain = main.check();
    LogChecker.Report rTeam = team.check();
    LogChecker.Report rInbox = inbox.check();
    List<String> errors = new ArrayList<>();
    for (LoadSender s : senders) errors.addAll(s.errors());
    String summary =
        "CLUSTER failover: "
            + kills
            + "; "
            + senders
            + "; main "
            + rMain.summary()
            + "; team "
            + rTeam.summary()
            + "; @p4 "
            + rInbox.summary()
            + "; "
            + millisSince(start) / 1000
            + " s";
    System.out.println(summary);
    StringBuilder bad = new StringBuilder();
    for (LogChecker.Report r : List.of(rMain, rTeam, rInbox)) {
      if (!r.clean()) bad.append("\n").append(r.details(20));
    }
    if (bad.length() > 0) fail("log check failed: " + summary + bad);
    assertEquals(List.of(), errors, "every msend and send acknowledged, across every failover");
    // Nobody was taken offline by a node's death: every member online, seen through every node.
    for (int i = 0; i < nodes.size(); i++) {
      assertTrue(nodes.node(i).proc.isAlive(), "node" + (i + 1) + " still running");
      try (RawLineSocket raw = RawLineSocket.connect(nodes.commandPort(i))) {
        raw.send("MEMBERS main");
        assertEquals(
            "OK MEMBERS main 4 p1 online p2 online p3 online p4 online",
            raw.readLine(),
            "MEMBERS main through node" + (i + 1));
      }
    }
  }

  /**
   * A last message of {@code s} to {@code t}, sent until OK; waits until every log owed it has it.
   */
  private static void barrier(LoadSender s, Target t, Map<Target, List<Participant>> owed) {
    long seq = s.sendUntilOk(t, "barrier ", 10);
    for (Participant p : owed.get(t)) {
      ProcessFixture.await(
          ProcessFixture.DELIVERY_TIMEOUT,
          p.id + "'s log reaching " + t.space() + " #" + seq,
          () -> lastSeq(p, t.space()) >= seq);
    }
  }

  private static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static Set<String> spacesOf(Participant p) {
    Set<String> out = new TreeSet<>();
    for (LogEntry e : p.logEntries()) out.add(e.group());
    return out;
  }

  private static long lastSeq(Participant p, String space) {
    List<LogEntry> log = p.logOf(space);
    return log.isEmpty() ? 0 : log.get(log.size() - 1).seq();
  }
}
