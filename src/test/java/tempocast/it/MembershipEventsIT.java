package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/**
 * Membership events (issue 9): each online member of a group sees {@code GROUP: ID joined|left|
 * offline|online} when another member of that group joins, leaves, goes offline or comes back; not
 * members of other groups, not the member itself; never in a message log; never replayed after a
 * disconnection.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MembershipEventsIT extends ItBase {

  @Test
  void onlineMembersOfTheGroupSeeJoinsLeavesAndPresence() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);
    alice.create("team", null, "30");
    int a = alice.mark();
    int b = bob.mark();
    int k = carol.mark();

    bob.join("team");
    alice.awaitNotice(a, "team: bob joined");

    bob.disconnect();
    alice.awaitNotice(a, "team: bob offline");
    alice.awaitNotice(a, "main: bob offline");
    carol.awaitNotice(k, "main: bob offline");

    bob.reconnect(0);
    alice.awaitNotice(a, "team: bob online");
    alice.awaitNotice(a, "main: bob online");
    carol.awaitNotice(k, "main: bob online");

    bob.leave("team");
    alice.awaitNotice(a, "team: bob left");

    // a barrier that carol does see, after all of the above
    carol.disconnect();
    alice.awaitNotice(a, "main: carol offline");
    carol.reconnect(0);
    alice.awaitNotice(a, "main: carol online");
    bob.awaitNotice(b, "main: carol online");
    for (String ev : List.of("joined", "left", "offline", "online"))
      carol.assertNoNotice(k, "team: bob " + ev); // carol is not in team
    for (String n : bob.noticesSince(b))
      assertTrue(
          !n.startsWith("team: bob ") && !n.startsWith("main: bob "), "bob about himself: " + n);
    assertEquals(
        List.of(
            "team: bob joined",
            "team: bob offline",
            "team: bob online",
            "team: bob left",
            "main: carol offline",
            "main: carol online"),
        alice.noticesSince(a).stream()
            .filter(n -> n.startsWith("team: ") || n.startsWith("main: carol"))
            .toList(),
        "alice's notices, each once, in the order it happened");
  }

  @Test
  void registerAndDeregisterAreJoinsAndLeavesOfMain() {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    Participant dave = fx.startParticipant("dave", c.port);
    alice.register(0);
    alice.create("team", null, "30");
    int a = alice.mark();
    dave.register(0);
    alice.awaitNotice(a, "main: dave joined");
    dave.join("team");
    alice.awaitNotice(a, "team: dave joined");
    dave.deregister();
    alice.awaitNotice(a, "main: dave left");
    alice.awaitNotice(a, "team: dave left");
  }

  @Test
  void eventsAreNotLoggedAndNotReplayedAfterADisconnection() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol", "dave");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);
    Participant dave = ps.get(3);
    alice.create("team", null, "30");
    bob.join("team");
    alice.awaitNotice("team: bob joined");
    alice.msend("a message among the events");

    alice.disconnect();
    int a = alice.mark();
    carol.join("team");
    carol.leave("team");
    bob.disconnect();
    bob.reconnect(0);
    bob.awaitNotice("main: alice offline");
    alice.reconnect(0);
    dave.join("team"); // after alice is back: this one she sees
    alice.awaitNotice(a, "team: dave joined");
    for (String n :
        List.of(
            "team: carol joined",
            "team: carol left",
            "team: bob offline",
            "team: bob online",
            "main: bob offline",
            "main: bob online")) {
      alice.assertNoNotice(a, n);
    }

    for (Participant p : List.of(alice, bob, carol, dave)) {
      p.awaitText("a message among the events");
      assertEquals(1, p.logLines().size(), p.id + ": only the message in the log: " + p.logLines());
    }
  }
}
