package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;
import tempocast.it.ProcessFixture.Status;

/**
 * Many groups and inboxes under concurrency and a coordinator SIGKILL (issue 9): three senders
 * write to two groups and to several inboxes at once; the coordinator is killed mid-stream and
 * restarted. Every log is checked per group and per inbox with {@link LogChecker}: nothing
 * acknowledged lost, no duplicates, one order per group and inbox (the same in every log), each
 * sender's messages in its order; states and memberships are the same after the restart.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class GroupsCrashIT extends ItBase {

  private static final Duration RESULT_TIMEOUT = Duration.ofSeconds(90);

  @Test
  void aCoordinatorKilledWhileGroupAndDirectMessagesAreInFlightLosesNothingAcknowledged()
      throws Exception {
    Coordinator c = fx.startCoordinator("60");
    List<Participant> all = fx.startAndRegister(c, "alice", "bob", "carol", "dave", "erin");
    Participant alice = all.get(0);
    Participant bob = all.get(1);
    Participant carol = all.get(2);
    Participant dave = all.get(3);
    Participant erin = all.get(4);
    alice.create("g1", null, "60");
    alice.create("g2", null, "60");
    for (Participant p : List.of(bob, carol, dave)) p.join("g1");
    for (Participant p : List.of(bob, carol, erin)) p.join("g2");

    Map<String, LogChecker> checkers = new LinkedHashMap<>();
    for (String t : List.of("g1", "g2", "@alice", "@bob", "@carol", "@dave", "@erin"))
      checkers.put(t, new LogChecker(t));

    // before the crash: a group message delivered to all, a direct message to an offline member
    alice.use("g1");
    long w = alice.msend("warm-up g1");
    checkers.get("g1").acked("alice", "warm-up g1", w);
    erin.disconnect();
    long we = alice.send("erin", "warm-up dm to offline erin");
    checkers.get("@erin").acked("alice", "warm-up dm to offline erin", we);
    Status g1Before =
        alice.awaitStatus(
            "g1", w, "delivered to all four", x -> x.result().contains(": 4 delivered"));
    Status erinBefore = alice.status("@erin", we);
    assertEquals(List.of("erin sent"), erinBefore.lines());
    List<String> groupsBefore = alice.groups();
    List<String> g1MembersBefore = alice.members("g1");
    List<String> g2MembersBefore = alice.members("g2");

    Map<Participant, List<String>> dms =
        Map.of(
            alice, List.of("dave", "erin", "bob"),
            bob, List.of("dave", "erin", "carol"),
            carol, List.of("dave", "erin", "alice"));
    List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<?>> fs = new ArrayList<>();
    try {
      for (Participant p : List.of(alice, bob, carol)) {
        fs.add(
            pool.submit(
                () -> {
                  sendRounds(p, List.of("g1", "g2"), dms.get(p), 40, checkers, problems);
                  return null;
                }));
      }
      ProcessFixture.await(
          Duration.ofSeconds(60),
          "some acknowledged messages before the kill",
          () -> checkers.values().stream().mapToInt(LogChecker::ackedCount).sum() >= 60);
      c.kill();
      c = fx.restart(c);
      for (Future<?> f : fs) f.get(180, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), problems);

    // states and memberships as before the crash (erin is still offline)
    assertEquals(g1Before, alice.status("g1", w), "delivered times included");
    assertEquals(erinBefore, alice.status("@erin", we));
    ProcessFixture.await(
        Duration.ofSeconds(20),
        "the same groups listing as before the crash",
        () -> alice.groups().equals(groupsBefore));
    assertEquals(g1MembersBefore, alice.members("g1"));
    assertEquals(g2MembersBefore, alice.members("g2"));

    erin.reconnect(0);
    // barriers: each group and inbox is delivered in its order, so a barrier's arrival means
    // everything acknowledged before it has arrived too
    alice.use("g1");
    checkers.get("g1").acked("alice", "barrier", alice.msend("barrier"));
    alice.use("g2");
    checkers.get("g2").acked("alice", "barrier", alice.msend("barrier"));
    for (String to : List.of("bob", "carol", "dave", "erin"))
      checkers.get("@" + to).acked("alice", "barrier", alice.send(to, "barrier"));
    checkers.get("@alice").acked("bob", "barrier", bob.send("alice", "barrier"));
    for (Participant p : all) {
      ProcessFixture.await(
          Duration.ofSeconds(30),
          p.id + ": every barrier",
          () -> {
            for (Map.Entry<String, LogChecker> e : checkers.entrySet()) {
              if (owed(e.getKey(), p.id)
                  && p.logOf(e.getKey()).stream().noneMatch(l -> l.text().equals("barrier")))
                return false;
            }
            return true;
          });
    }

    for (Map.Entry<String, LogChecker> e : checkers.entrySet()) {
      String target = e.getKey();
      LogChecker checker = e.getValue();
      for (Participant p : all) if (owed(target, p.id)) checker.log(p.id, linesOf(p, target), 1);
      LogChecker.Report r = checker.check();
      assertTrue(r.clean(), target + ": " + r.details(30));
      assertTrue(r.logsChecked > 0 && r.acked > 1, target + ": " + r.summary());
      for (Participant p : all)
        if (!owed(target, p.id))
          assertEquals(List.of(), linesOf(p, target), p.id + " is not owed " + target);
    }
  }

  @Test
  void threeSendersInTwoGroupsAtOnceGetOneOrderPerGroupAndTheirOwnOrder() throws Exception {
    Coordinator c = fx.startCoordinator("60");
    List<Participant> senders = fx.startParticipants(c, "s1", "s2", "s3");
    Participant reader = fx.startParticipant("reader", c.port);
    reader.register(0);
    for (Participant p : senders) p.register(0);
    reader.create("g1", null, "60");
    reader.create("g2", "30", "30");
    for (Participant p : senders) {
      p.join("g1");
      p.join("g2");
    }
    Map<String, LogChecker> checkers = new LinkedHashMap<>();
    checkers.put("g1", new LogChecker("g1"));
    checkers.put("g2", new LogChecker("g2"));
    List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (Participant p : senders) {
        fs.add(
            pool.submit(
                () -> {
                  sendRounds(p, List.of("g1", "g2"), List.of(), 40, checkers, problems);
                  return null;
                }));
      }
      for (Future<?> f : fs) f.get(150, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), problems);
    for (String g : List.of("g1", "g2")) {
      reader.use(g);
      checkers.get(g).acked("reader", "barrier", reader.msend("barrier"));
    }
    List<Participant> all = new ArrayList<>(senders);
    all.add(reader);
    for (Participant p : all) {
      ProcessFixture.await(
          Duration.ofSeconds(30),
          p.id + ": both barriers",
          () ->
              p.logOf("g1").stream().anyMatch(l -> l.text().equals("barrier"))
                  && p.logOf("g2").stream().anyMatch(l -> l.text().equals("barrier")));
    }
    for (String g : List.of("g1", "g2")) {
      LogChecker checker = checkers.get(g);
      for (Participant p : all) checker.log(p.id, linesOf(p, g), 1);
      LogChecker.Report r = checker.check();
      assertTrue(r.clean(), g + ": " + r.details(30));
      assertEquals(3 * 40 + 1, r.acked, g + ": every msend acknowledged: " + r.summary());
    }
    assertEquals(List.of(), reader.logOf("main"));
  }

  /** Whether participant {@code id} is owed the messages of {@code target} in the crash test. */
  private static boolean owed(String target, String id) {
    return switch (target) {
      case "g1" -> List.of("alice", "bob", "carol", "dave").contains(id);
      case "g2" -> List.of("alice", "bob", "carol", "erin").contains(id);
      default -> target.equals("@" + id);
    };
  }

  private static List<String> linesOf(Participant p, String target) {
    List<String> out = new ArrayList<>();
    for (String l : p.logLines()) {
      Matcher m = ProcessFixture.LOG_LINE.matcher(l);
      if (!m.matches() || m.group(2).equals(target)) out.add(l); // malformed lines go everywhere
    }
    return out;
  }

  /**
   * {@code rounds} times: for each group, {@code use} it and {@code msend}; then a direct message
   * to each of {@code dmTo}. Every attempt is recorded in the checker of its group or inbox, as
   * acknowledged (with its seq) or not.
   */
  private static void sendRounds(
      Participant p,
      List<String> groups,
      List<String> dmTo,
      int rounds,
      Map<String, LogChecker> checkers,
      List<String> problems) {
    for (int i = 0; i < rounds; i++) {
      for (String g : groups) {
        if (!use(p, g, problems)) continue;
        String text = p.id + " to " + g + " " + i;
        attempt(p, "msend " + text, g, text, checkers.get(g), problems);
      }
      for (String to : dmTo) {
        String text = p.id + " to @" + to + " " + i;
        attempt(p, "send " + to + " " + text, "@" + to, text, checkers.get("@" + to), problems);
      }
    }
  }

  private static boolean use(Participant p, String g, List<String> problems) {
    String r = null;
    for (int k = 0; k < 30; k++) {
      p.proc.writeLine("use " + g);
      r = p.nextResult(RESULT_TIMEOUT, "use " + g);
      if (r.equals("OK sending to group " + g)) return true;
      if (r.startsWith("OK")) break;
      ProcessFixture.sleepQuietly(300); // the coordinator may be restarting
    }
    problems.add(p.id + ": use " + g + " -> " + r);
    return false;
  }

  private static void attempt(
      Participant p,
      String cmd,
      String target,
      String text,
      LogChecker checker,
      List<String> problems) {
    p.proc.writeLine(cmd);
    String r = p.nextResult(RESULT_TIMEOUT, cmd);
    Matcher m = ProcessFixture.SENT.matcher(r);
    if (m.matches()) {
      if (!m.group(2).equals(target)) problems.add(p.id + ": [" + cmd + "] -> [" + r + "]");
      checker.acked(p.id, text, Long.parseLong(m.group(1)));
    } else if (r.startsWith("ERROR")) {
      checker.unacked(p.id, text);
    } else {
      problems.add(p.id + ": [" + cmd + "] -> [" + r + "]");
      checker.unacked(p.id, text);
    }
  }
}
