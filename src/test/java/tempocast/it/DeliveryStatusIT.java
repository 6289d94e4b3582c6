package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;
import tempocast.it.ProcessFixture.Status;

/**
 * Delivery states (issue 9): {@code status TARGET #SEQ} answers sent / delivered TIMESTAMP /
 * expired per recipient, for group messages and direct messages; only the sender may ask; states
 * survive a coordinator SIGKILL; the {@code delivered TARGET #SEQ} notice reaches an online sender
 * once every recipient has the message, and {@code notify-delivered = off} silences it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeliveryStatusIT extends ItBase {

  private static final int ATTEMPTS = 10;

  @Test
  void aGroupMessageIsSentToAnOfflineMemberDeliveredAfterAndTheSenderIsNotified() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);
    carol.disconnect();

    int mark = alice.mark();
    long s = alice.msend("to everyone, carol is away");
    bob.awaitText("to everyone, carol is away");
    Instant ts = alice.awaitText("to everyone, carol is away").get(0).ts();
    Status st =
        alice.awaitStatus(
            "main",
            s,
            "alice and bob delivered, carol sent",
            x -> x.shapes().equals(List.of("alice delivered T", "bob delivered T", "carol sent")));
    assertEquals("OK status main #" + s + ": 2 delivered, 1 sent, 0 expired", st.result());
    for (String id : List.of("alice", "bob")) {
      Instant at = st.deliveredAt(id);
      assertTrue(!at.isBefore(ts), id + " delivered at " + at + ", before the message's " + ts);
      assertTrue(at.isBefore(Instant.now().plusSeconds(1)), id + " delivered in the future");
    }
    ProcessFixture.sleepQuietly(300);
    alice.assertNoNotice(mark, "delivered main #" + s); // carol does not have it yet

    Instant reconnectAt = Instant.now();
    carol.reconnect(0);
    carol.awaitText("to everyone, carol is away");
    alice.awaitNotice(mark, "delivered main #" + s);
    Status done =
        alice.awaitStatus(
            "main",
            s,
            "delivered to all three",
            x -> x.result().equals("OK status main #" + s + ": 3 delivered, 0 sent, 0 expired"));
    assertEquals(st.of("alice"), done.of("alice"), "a delivered time does not change");
    assertEquals(st.of("bob"), done.of("bob"));
    assertTrue(
        !done.deliveredAt("carol").isBefore(reconnectAt.minusSeconds(1)),
        "carol's delivered time is her ACK after reconnecting: " + done.of("carol"));
    assertEquals(
        1,
        alice.noticesSince(mark).stream().filter(n -> n.equals("delivered main #" + s)).count(),
        "one notice");
    bob.assertNoNotice(0, "delivered main #" + s); // only the sender is notified
  }

  @Test
  void aDirectMessageToAnOfflineRecipientIsSentThenDelivered() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    bob.disconnect();
    int mark = alice.mark();
    assertEquals(1, alice.send("bob", "for bob"));
    Status st = alice.status("@bob", 1);
    assertEquals(List.of("bob sent"), st.lines(), "one line: the recipient; not the sender");
    assertEquals("OK status @bob #1: 0 delivered, 1 sent, 0 expired", st.result());
    bob.reconnect(0);
    bob.awaitText("for bob");
    alice.awaitNotice(mark, "delivered @bob #1");
    Status done = alice.status("@bob", 1);
    assertEquals(List.of("bob delivered T"), done.shapes());
    assertEquals("OK status @bob #1: 1 delivered, 0 sent, 0 expired", done.result());
  }

  @Test
  void onlyTheSenderMayAskAndOnlyForAMessageThatExists() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);
    long s = alice.msend("alice's");
    alice.send("bob", "alice to bob");
    bob.awaitText("alice to bob");
    bob.expectError("status main #" + s); // a recipient, not the sender
    carol.expectError("status main #" + s);
    bob.expectError("status @bob #1"); // the recipient of the DM
    carol.expectError("status @bob #1");
    alice.expectError("status main #999");
    alice.expectError("status @bob #2");
    alice.expectError("status @carol #1");
    alice.expectError("status nosuch #1");
    alice.expectError("status @nobody #1");
    alice.status("main", s); // still fine for its sender
    alice.status("@bob", 1);
  }

  @Test
  void aMessageExpiresForAMemberOfflinePastTd() {
    // heartbeat-timeout 60 s: carol, stopped with SIGSTOP, stays online without acknowledging,
    // so the message is still owed to someone and stays in the journal to be asked about
    Coordinator c = fx.startCoordinator("2", "heartbeat-timeout = 60");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);
    int mark = alice.mark();
    bob.disconnect();
    carol.proc.signal("STOP");
    try {
      long s = alice.msend("bob will be away too long");
      long sentAt = System.currentTimeMillis();
      assertEquals(
          List.of("alice delivered T", "bob sent", "carol sent"),
          alice
              .awaitStatus(
                  "main", s, "alice delivered", x -> "delivered".equals(x.stateOf("alice")))
              .shapes(),
          "within td bob is owed it");
      ProcessFixture.sleepQuietly(Math.max(0, sentAt + 2000 + 800 - System.currentTimeMillis()));
      Status st =
          alice.awaitStatus("main", s, "bob expired", x -> "expired".equals(x.stateOf("bob")));
      assertEquals(List.of("alice delivered T", "bob expired", "carol sent"), st.shapes());
      assertEquals("OK status main #" + s + ": 1 delivered, 1 sent, 1 expired", st.result());

      bob.reconnect(0);
      alice.msend("bob is back");
      bob.awaitText("bob is back");
      assertEquals(
          List.of("bob is back"), ProcessFixture.texts(bob.logEntries()), "bob did not get it");
      assertEquals(st.lines(), alice.status("main", s).lines(), "still expired for bob");
    } finally {
      carol.proc.signal("CONT");
    }
    carol.awaitText("bob is back");
    // carol gets #1 too; it is then owed to no one and, older than td, pruned: status would
    // answer that there is no such message any more (see the README's "States")
    assertEquals(
        List.of("bob will be away too long", "bob is back"),
        ProcessFixture.texts(carol.logEntries()));
    // the next message reaches everyone and is notified; the expired one never is
    alice.awaitNotice(mark, "delivered main #2");
    alice.assertNoNotice(mark, "delivered main #1");
  }

  @Test
  void aMessageExpiresForAMemberThatLeftTheGroupOrDeregistered() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    alice.create("team", null, "30");
    bob.join("team");
    bob.disconnect();
    alice.use("team");
    long g = alice.msend("team message bob is owed");
    alice.use("main");
    long m = alice.msend("main message bob is owed");
    assertEquals(1, alice.send("bob", "dm bob is owed"));
    alice.awaitText("main message bob is owed");

    assertEquals(
        "sent",
        alice.awaitStatus("team", g, "bob sent", x -> x.of("bob") != null).stateOf("bob"),
        "offline within td: still owed");
    bob.leave("team");
    assertEquals(
        List.of("alice delivered T", "bob expired"),
        alice
            .awaitStatus("team", g, "bob expired", x -> "expired".equals(x.stateOf("bob")))
            .shapes(),
        "left the group");
    assertEquals("sent", alice.status("main", m).stateOf("bob"), "main is another group");
    assertEquals("sent", alice.status("@bob", 1).stateOf("bob"));

    bob.deregister();
    assertEquals(
        "OK status main #" + m + ": 1 delivered, 0 sent, 1 expired",
        alice
            .awaitStatus("main", m, "bob expired", x -> "expired".equals(x.stateOf("bob")))
            .result(),
        "deregistered");
    assertEquals(List.of("bob expired"), alice.status("@bob", 1).lines(), "deregistered");
    assertEquals(
        "OK status team #" + g + ": 1 delivered, 0 sent, 1 expired",
        alice.status("team", g).result());
  }

  @Test
  void statesAreTheSameBeforeAndAfterACoordinatorSigkill() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol", "dave");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);
    Participant dave = ps.get(3);
    alice.create("team", null, "30");
    dave.join("team");
    carol.disconnect();
    dave.disconnect();

    long m = alice.msend("main: carol and dave away");
    long b = alice.send("bob", "dm to online bob");
    long k = alice.send("carol", "dm to offline carol");
    alice.use("team");
    long t = alice.msend("team: dave away, then he leaves");
    dave.leave("team");
    bob.awaitText("dm to online bob");
    Status mainBefore =
        alice.awaitStatus(
            "main",
            m,
            "alice and bob delivered",
            x ->
                x.shapes()
                    .equals(
                        List.of(
                            "alice delivered T", "bob delivered T", "carol sent", "dave sent")));
    Status bobBefore =
        alice.awaitStatus("@bob", b, "delivered", x -> "delivered".equals(x.stateOf("bob")));
    Status carolBefore = alice.status("@carol", k);
    assertEquals(List.of("carol sent"), carolBefore.lines());
    Status teamBefore =
        alice.awaitStatus(
            "team",
            t,
            "alice delivered, dave expired",
            x -> x.shapes().equals(List.of("alice delivered T", "dave expired")));

    c.kill();
    fx.restart(c);

    alice.commandUntilOk("status main #" + m, ATTEMPTS);
    assertEquals(mainBefore, alice.status("main", m), "delivered times included");
    assertEquals(bobBefore, alice.status("@bob", b));
    assertEquals(carolBefore, alice.status("@carol", k));
    assertEquals(teamBefore, alice.status("team", t));

    carol.reconnect(0);
    carol.awaitText("dm to offline carol");
    Status carolAfter =
        alice.awaitStatus("@carol", k, "delivered", x -> "delivered".equals(x.stateOf("carol")));
    assertEquals(
        "OK status @carol #" + k + ": 1 delivered, 0 sent, 0 expired", carolAfter.result());
    assertEquals(
        mainBefore.of("alice"),
        alice.status("main", m).of("alice"),
        "alice's delivered time, once more");
  }

  @Test
  void aSenderThatWasOfflineSeesTheStateWithStatusNotANotice() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    bob.disconnect();
    int mark = alice.mark();
    alice.send("bob", "while both come and go");
    alice.disconnect();
    bob.reconnect(0);
    bob.awaitText("while both come and go");
    // In bob's log is not yet acknowledged to the coordinator: alice asks (offline, as she may)
    // until it is delivered, so that it was delivered while she was away.
    assertEquals(
        List.of("bob delivered T"),
        alice
            .awaitStatus("@bob", 1, "delivered", x -> "delivered".equals(x.stateOf("bob")))
            .shapes());
    alice.reconnect(0);
    assertEquals(
        List.of("bob delivered T"),
        alice.status("@bob", 1).shapes(),
        "the same after reconnecting");
    alice.send("bob", "barrier");
    alice.awaitNotice(mark, "delivered @bob #2");
    alice.assertNoNotice(mark, "delivered @bob #1");
  }

  @Test
  void notifyDeliveredOffSilencesTheNotice() {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port, "notify-delivered = off");
    Participant bob = fx.startParticipant("bob", c.port);
    Participant carol = fx.startParticipant("carol", c.port);
    for (Participant p : List.of(alice, bob, carol)) p.register(0);
    long s1 = alice.msend("from quiet alice");
    alice.send("bob", "dm from quiet alice");
    long s2 = carol.msend("from carol");
    carol.send("bob", "dm from carol");
    carol.awaitNotice("delivered main #" + s2);
    carol.awaitNotice("delivered @bob #2");
    assertEquals(
        "OK status main #" + s1 + ": 3 delivered, 0 sent, 0 expired",
        alice
            .awaitStatus("main", s1, "all delivered", x -> x.result().contains(": 3 delivered"))
            .result());
    assertEquals(
        "delivered",
        alice
            .awaitStatus("@bob", 1, "delivered", x -> "delivered".equals(x.stateOf("bob")))
            .stateOf("bob"));
    ProcessFixture.sleepQuietly(500);
    assertEquals(
        List.of(), alice.noticesSince(0).stream().filter(n -> n.startsWith("delivered")).toList());
  }
}
