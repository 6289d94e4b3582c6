package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tempocast.it.ProcessFixture.texts;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * Named groups (issue 9): every console row for groups with its exact result line, the new-entrant
 * rule per group, the td rule per group, groups across a coordinator SIGKILL, every error row, and
 * the commands that work while offline.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GroupsIT extends ItBase {

  private static final int ATTEMPTS = 10;

  @Test
  void createJoinLeaveListAndUseAnswerWithTheirExactLines() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);

    alice.create("alpha", null, "30"); // the coordinator's td when none is given
    alice.create("beta", "2.5", "2.5"); // decimals
    alice.create("zeta", "0.5", "0.5");
    alice.create("gamma", "10", "10");
    bob.join("alpha");
    carol.join("alpha");
    bob.join("beta");

    assertEquals(
        List.of(
            "group alpha members 3 online 3 td 30",
            "group beta members 2 online 2 td 2.5",
            "group gamma members 1 online 1 td 10",
            "group main members 3 online 3 td 30",
            "group zeta members 1 online 1 td 0.5"),
        carol.groups(),
        "one line per group, in name order; carol is in two of them and sees all five");

    bob.disconnect();
    assertEquals(
        List.of(
            "group alpha members 3 online 2 td 30",
            "group beta members 2 online 1 td 2.5",
            "group gamma members 1 online 1 td 10",
            "group main members 3 online 2 td 30",
            "group zeta members 1 online 1 td 0.5"),
        carol.groups(),
        "online counts follow bob's disconnect");
    assertEquals(
        List.of("member alice online", "member bob offline", "member carol online"),
        carol.members("alpha"),
        "members GROUP");
    assertEquals(
        List.of("member alice online", "member bob offline", "member carol online"),
        carol.members(),
        "members without a group: the current group, main");
    assertEquals(
        List.of("member alice online", "member bob offline"),
        carol.members("beta"),
        "members of a group carol is not in");
    bob.reconnect(0);

    // create and join do not change the current group: msend still goes to main
    assertEquals(1, alice.msend("alice to main after create"));
    assertEquals(2, bob.msend("bob to main after join"));
    carol.use("alpha");
    assertEquals(
        List.of("member alice online", "member bob online", "member carol online"),
        carol.members(),
        "members without a group after 'use alpha': alpha");
    assertEquals(1, carol.msend("carol to alpha"), "alpha has its own sequence numbers");
    assertEquals(3, alice.msend("alice to main again"));
    for (Participant p : List.of(alice, bob, carol)) {
      p.awaitText("carol to alpha");
      p.awaitText("alice to main again");
      assertEquals(
          List.of("alice to main after create", "bob to main after join", "alice to main again"),
          texts(p.logOf("main")),
          p.id + ": main");
      assertEquals(List.of("carol to alpha"), texts(p.logOf("alpha")), p.id + ": alpha");
      assertEquals(1, p.logOf("alpha").get(0).seq());
    }

    // leave; a group whose last member left stays and can be joined again
    bob.leave("beta");
    alice.leave("zeta");
    assertEquals(
        List.of(
            "group alpha members 3 online 3 td 30",
            "group beta members 1 online 1 td 2.5",
            "group gamma members 1 online 1 td 10",
            "group main members 3 online 3 td 30",
            "group zeta members 0 online 0 td 0.5"),
        bob.groups());
    assertEquals(List.of(), bob.members("zeta"), "a group with no members");
    bob.join("zeta");
    bob.use("zeta");
    assertEquals(1, bob.msend("bob alone in zeta"));
    bob.awaitText("bob alone in zeta");
    assertEquals(List.of(), alice.logOf("zeta"), "alice left zeta before its first message");
  }

  @Test
  void aMemberReceivesAGroupsMessagesFromItsJoinOnAndIsANewEntrantAgainAfterLeaving() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    alice.create("team", null, "30");
    alice.use("team");

    assertEquals(1, alice.msend("t1 before bob joined"));
    bob.join("team");
    assertEquals(2, alice.msend("t2 after bob joined"));
    bob.awaitText("t2 after bob joined");
    bob.leave("team");
    assertEquals(3, alice.msend("t3 while bob is out"));
    assertEquals(4, alice.msend("t4 while bob is out"));
    bob.join("team");
    assertEquals(5, alice.msend("t5 after bob is back"));
    bob.awaitText("t5 after bob is back");
    alice.awaitText("t5 after bob is back");

    List<LogEntry> bobs = bob.logOf("team");
    assertEquals(
        List.of("t2 after bob joined", "t5 after bob is back"),
        texts(bobs),
        "bob: from each join on, nothing from before it or from while he was out");
    assertEquals(List.of(2L, 5L), ProcessFixture.seqs(bobs));
    assertEquals(
        List.of(
            "t1 before bob joined",
            "t2 after bob joined",
            "t3 while bob is out",
            "t4 while bob is out",
            "t5 after bob is back"),
        texts(alice.logOf("team")),
        "alice has all of team's messages");
    assertEquals(List.of(), bob.logOf("main"), "nothing was sent to main");
  }

  @Test
  void aMemberOfflineLongerThanAGroupsTdLosesOnlyThatGroupsOldMessages() {
    Coordinator c = fx.startCoordinator("30"); // main's td
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    alice.create("fast", "2.5", "2.5");
    alice.create("slow", null, "30");
    bob.join("fast");
    bob.join("slow");

    bob.disconnect();
    long disconnectedAt = System.currentTimeMillis();
    alice.msend("main: old");
    alice.use("fast");
    alice.msend("fast: old");
    alice.use("slow");
    alice.msend("slow: old");
    long oldAckedAt = System.currentTimeMillis();
    // the deliberate offline period: longer than fast's td (2.5 s), far shorter than 30 s
    ProcessFixture.sleepQuietly(Math.max(0, oldAckedAt + 2500 + 800 - System.currentTimeMillis()));
    alice.use("fast");
    alice.msend("fast: fresh");
    assertTrue(
        System.currentTimeMillis() - disconnectedAt > 2500, "set-up: offline past fast's td");
    bob.reconnect(0);

    alice.msend("fast: live");
    alice.use("main");
    alice.msend("main: live");
    alice.use("slow");
    alice.msend("slow: live");
    for (String t : List.of("fast: live", "main: live", "slow: live")) bob.awaitText(t);

    assertEquals(
        List.of("fast: fresh", "fast: live"),
        texts(bob.logOf("fast")),
        "fast (td 2.5 s): the message older than its td is gone, the fresh one is not");
    assertEquals(
        List.of("main: old", "main: live"),
        texts(bob.logOf("main")),
        "main (td 30 s): nothing lost");
    assertEquals(
        List.of("slow: old", "slow: live"),
        texts(bob.logOf("slow")),
        "slow (the coordinator's td, 30 s): nothing lost");
  }

  @Test
  void groupsAndMembershipsSurviveACoordinatorSigkill() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);
    // a td with decimals, and long enough that carol, offline across the restart, is owed all
    alice.create("red", "40.5", "40.5");
    alice.create("blue", null, "30");
    alice.create("empty", "7", "7");
    bob.join("red");
    carol.join("red");
    bob.join("blue");
    bob.leave("blue");
    alice.leave("empty");
    carol.disconnect();
    alice.use("red");
    assertEquals(1, alice.msend("red 1 before the crash"));
    bob.awaitText("red 1 before the crash");
    List<String> groupsBefore = alice.groups();
    assertEquals(
        List.of(
            "group blue members 1 online 1 td 30",
            "group empty members 0 online 0 td 7",
            "group main members 3 online 2 td 30",
            "group red members 3 online 2 td 40.5"),
        groupsBefore);
    List<String> redBefore = alice.members("red");

    c.kill();
    Coordinator c2 = fx.restart(c);

    alice.commandUntilOk("groups", ATTEMPTS);
    // alice and bob were online at the crash: the coordinator reaches their receivers by itself
    ProcessFixture.await(
        Duration.ofSeconds(20),
        "the same groups, members and online counts after the restart",
        () -> alice.groups().equals(groupsBefore));
    assertEquals(redBefore, alice.members("red"));
    assertEquals(2, alice.msend("red 2 after the restart"), "red's sequence goes on");
    bob.awaitText("red 2 after the restart");
    carol.reconnect(0);
    carol.awaitText("red 2 after the restart");
    assertEquals(
        List.of("red 1 before the crash", "red 2 after the restart"), texts(carol.logOf("red")));
    alice.use("blue");
    alice.msend("blue after the restart");
    bob.join("empty"); // still there, joinable
    bob.use("empty");
    assertEquals(1, bob.msend("empty after the restart"));
    bob.awaitText("empty after the restart");
    alice.awaitText("blue after the restart");
    assertEquals(List.of(), bob.logOf("blue"), "bob left blue before the crash and stays out");
    assertTrue(c2.proc.isAlive());
  }

  @Test
  void everyGroupErrorSaysSoAndChangesNothing() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    alice.create("alpha", null, "30");
    bob.join("alpha");
    List<String> before = alice.groups();

    // create a group that exists
    alice.expectError("create alpha");
    alice.expectError("create main");
    bob.expectError("create alpha 5");
    // a bad name
    alice.expectError("create bad/name");
    alice.expectError("create @alpha2");
    alice.expectError("create " + "x".repeat(65));
    alice.expectError("create grüppe");
    // a bad td
    alice.expectError("create g1 0");
    alice.expectError("create g1 -1");
    alice.expectError("create g1 abc");
    alice.expectError("create g1 5s");
    // join a group that does not exist, or one is in
    alice.expectError("join nosuch");
    alice.expectError("join alpha");
    alice.expectError("join main");
    // leave or use a group one is not in (or that does not exist)
    alice.create("solo", null, "30");
    bob.expectError("leave solo");
    bob.expectError("leave nosuch");
    bob.expectError("use solo");
    bob.expectError("use nosuch");
    bob.expectError("members nosuch");
    assertEquals(1, bob.msend("bob: still main after the refused use"));

    // msend while the current group is one the participant has left
    alice.use("alpha");
    assertEquals(1, alice.msend("alpha 1"));
    alice.leave("alpha");
    alice.expectError("msend to alpha after leaving it");
    alice.expectError("msend to alpha after leaving it, again");
    bob.use("alpha");
    assertEquals(2, bob.msend("alpha 2 from bob"), "the refused msend took no sequence number");
    bob.awaitText("alpha 2 from bob");
    assertEquals(List.of("alpha 1", "alpha 2 from bob"), texts(bob.logOf("alpha")));
    alice.use("main");
    assertEquals(2, alice.msend("alice back on main"));
    bob.awaitText("alice back on main");
    assertEquals(List.of("alpha 1"), texts(alice.logOf("alpha")), "nothing of alpha after leaving");

    // nothing changed but what the OKs did: solo created, alice left alpha
    List<String> after = alice.groups();
    assertEquals(
        List.of(
            "group alpha members 1 online 1 td 30",
            "group main members 2 online 2 td 30",
            "group solo members 1 online 1 td 30"),
        after,
        "before the errors: " + before);
  }

  @Test
  void everyGroupCommandIsRefusedWhileNotRegistered() {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    alice.register(0);
    alice.create("alpha", null, "30");
    alice.msend("m1");
    Participant dave = fx.startParticipant("dave", c.port); // never registered
    Participant erin = fx.startParticipant("erin", c.port); // registers, then deregisters
    erin.register(0);
    erin.join("alpha");
    erin.deregister();
    for (Participant p : List.of(dave, erin)) {
      p.expectError("create daves");
      p.expectError("create daves 3");
      p.expectError("join alpha");
      p.expectError("leave alpha");
      p.expectError("groups");
      p.expectError("members");
      p.expectError("members alpha");
      p.expectError("use alpha");
      p.expectError("use main");
      p.expectError("msend hello");
      p.expectError("send alice hello");
      p.expectError("status main #1");
    }
    assertEquals(
        List.of("group alpha members 1 online 1 td 30", "group main members 1 online 1 td 30"),
        alice.groups(),
        "nothing created or joined; erin left every group when she deregistered");
    assertEquals(List.of(), alice.logOf("@alice"), "no direct message arrived");
  }

  @Test
  void groupCommandsWorkWhileOfflineAndSendsAreRefused() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    alice.create("alpha", null, "30");
    alice.create("beta", null, "30");
    bob.join("beta");
    long s1 = bob.msend("bob on main before going offline");
    alice.awaitText("bob on main before going offline");

    bob.disconnect();
    alice.use("alpha");
    alice.msend("alpha before bob joined");
    bob.create("bobs", "3", "3");
    bob.join("alpha");
    bob.leave("beta");
    assertEquals(
        List.of(
            "group alpha members 2 online 1 td 30",
            "group beta members 1 online 1 td 30",
            "group bobs members 1 online 0 td 3",
            "group main members 2 online 1 td 30"),
        bob.groups());
    assertEquals(List.of("member alice online", "member bob offline"), bob.members("alpha"));
    assertEquals(List.of("member alice online", "member bob offline"), bob.members());
    bob.status("main", s1); // the answer's form is checked by the helper
    bob.expectError("msend while offline");
    bob.expectError("send alice while offline");
    alice.msend("alpha after bob joined");

    bob.reconnect(0);
    alice.msend("alpha barrier");
    bob.awaitText("alpha barrier");
    assertEquals(
        List.of("alpha after bob joined", "alpha barrier"),
        texts(bob.logOf("alpha")),
        "bob joined alpha while offline: a new entrant from that join, replayed on reconnect");
    assertEquals(List.of(), alice.logOf("@alice"), "the refused send sent nothing");
    for (LogEntry e : alice.logEntries())
      assertTrue(!e.text().contains("while offline"), "the refused msend sent nothing: " + e);
  }
}
