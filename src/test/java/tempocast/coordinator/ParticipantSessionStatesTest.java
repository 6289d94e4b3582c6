package tempocast.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;

/**
 * The rules of a session's presence states (offline, attaching, online, lost) that a participant
 * can see: what a command gets while a connect is in flight, which connect wins, what the groups
 * hear. Connections to {@link FakeReceivers#held} ports stay in progress until the test ends them;
 * time moved by hand.
 */
class ParticipantSessionStatesTest extends ManualTimeSessionTest {
  static final ActorTestKit kit = ActorTestKit.create(ManualTime.config());
  static final Duration STEP = Duration.ofMillis(200);

  ParticipantSessionStatesTest() {
    super(kit, Duration.ofSeconds(30));
  }

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** In small steps: the reattach backoff's timers, set while time passes, fire in turn. */
  @Override
  void advance(Duration d) {
    advanceInSteps(d, STEP);
  }

  /** Sends {@code command} without waiting: its reply comes to the probe returned. */
  TestProbe<Reply> send(ClientCommand command) {
    TestProbe<Reply> probe = kit.createTestProbe();
    g.directory.tell(new Directory.Handle(command, new Directory.Caller(null), probe.ref()));
    return probe;
  }

  static String reply(TestProbe<Reply> probe) {
    return Replies.render(probe.receiveMessage(Duration.ofSeconds(10)));
  }

  void awaitAttempts(String member, int n) {
    kit.createTestProbe()
        .awaitAssert(
            () -> {
              assertEquals(n, g.receivers.attempts(member));
              return null;
            });
  }

  static void awaitClosed(FakeReceivers.Held link) {
    kit.createTestProbe()
        .awaitAssert(
            () -> {
              assertTrue(link.ended().get(), "the session closed the link it does not use");
              return null;
            });
  }

  /**
   * The online and offline events about {@code member} that alice is shown, up to one ending in
   * {@code last}.
   */
  List<String> eventsAbout(String member, String last) {
    List<String> events = new ArrayList<>();
    g.notices.fishForMessage(
        Duration.ofSeconds(10),
        s -> {
          String line = s.lines().strip();
          if (!s.member().equals("alice")
              || !line.startsWith("EVENT main " + member)
              || !(line.endsWith(" online") || line.endsWith(" offline"))) {
            return FishingOutcomes.continueAndIgnore();
          }
          events.add(s.lines().strip());
          return s.lines().strip().endsWith(last)
              ? FishingOutcomes.complete()
              : FishingOutcomes.continueAndIgnore();
        });
    return events;
  }

  @Test
  void whileAReconnectIsAttachingTheParticipantsCommandsAreBusyAndOpenNoSecondLink() {
    g.receivers.held.add(3);
    int before = g.receivers.attempts("bob");
    TestProbe<Reply> reconnect = send(new ClientCommand.Reconnect("main", "bob", "127.0.0.1", 3));
    awaitAttempts("bob", before + 1);
    assertTrue(g.reconnect("bob", 4).startsWith("ERROR busy"));
    assertTrue(g.disconnect("bob").startsWith("ERROR busy"));
    assertTrue(g.deregister("bob").startsWith("ERROR busy"));
    assertEquals(before + 1, g.receivers.attempts("bob"), "no second connection");
    reconnect.expectNoMessage(Duration.ofMillis(100));
    g.receivers.release("bob");
    assertEquals("OK RECONNECTED main bob", reply(reconnect));
    g.publish("alice", null, "after");
    assertEquals(List.of("after"), g.receiveTexts("bob", 1));
  }

  @Test
  void whileARegisterIsAttachingAReconnectIsBusy() {
    g.receivers.held.add(5);
    TestProbe<Reply> register = send(new ClientCommand.Register("main", "carol", "127.0.0.1", 5));
    awaitAttempts("carol", 1);
    assertTrue(g.reconnect("carol", 6).startsWith("ERROR busy"));
    assertEquals(1, g.receivers.attempts("carol"));
    g.receivers.release("carol");
    assertTrue(reply(register).startsWith("OK REGISTERED main carol"));
  }

  @Test
  void aRegisterWhoseReceiverDoesNotAnswerLeavesTheIdFree() {
    g.receivers.held.add(5);
    TestProbe<Reply> register = send(new ClientCommand.Register("main", "carol", "127.0.0.1", 5));
    g.receivers.refuseHeld("carol");
    assertTrue(reply(register).startsWith("ERROR unreachable"));
    register.expectNoMessage(Duration.ofMillis(200)); // answered once, though its session stopped
    assertTrue(g.register("carol", 6).startsWith("OK REGISTERED main carol"));
  }

  @Test
  void theRetryOfALostReceiverThatAnswersAfterANewerReconnectIsClosed() {
    g.receivers.held.add(2);
    g.receivers.breakLink("bob");
    int before = g.receivers.attempts("bob");
    advance(Duration.ofMillis(200)); // the first retry starts, and hangs
    awaitAttempts("bob", before + 1);
    assertEquals("OK RECONNECTED main bob", g.reconnect("bob", 4));
    FakeReceivers.Held retry = g.receivers.release("bob"); // answers late
    awaitClosed(retry);
    g.publish("alice", null, "one link");
    assertEquals(List.of("one link"), g.receiveTexts("bob", 1));
    g.sent.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void disconnectWhileLostVoidsTheRetryInFlight() {
    g.receivers.held.add(2);
    g.receivers.breakLink("bob");
    int before = g.receivers.attempts("bob");
    advance(Duration.ofMillis(200));
    awaitAttempts("bob", before + 1);
    assertEquals("OK DISCONNECTED main bob", g.disconnect("bob"));
    FakeReceivers.Held retry = g.receivers.release("bob");
    awaitClosed(retry);
    assertTrue(g.publish("bob", null, "offline").startsWith("ERROR not-online"));
    g.publish("alice", null, "kept for later");
    assertEquals(List.of("kept for later"), g.receiveTexts("alice", 1));
    advance(Duration.ofSeconds(3));
    assertEquals(before + 1, g.receivers.attempts("bob"), "no retries after DISCONNECT");
    g.sent.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aReceiverLostWhileOnlineIsRetriedAndItsGroupsHearOfflineOnceThenOnline() {
    g.receivers.refused.add(2);
    g.receivers.breakLink("bob");
    int before = g.receivers.attempts("bob");
    advance(Duration.ofSeconds(2));
    assertTrue(g.receivers.attempts("bob") - before >= 2, "retried");
    assertEquals("OK SENT main 1", g.publish("bob", null, "still present"));
    g.receivers.refused.remove(2);
    advance(Duration.ofMillis(2400));
    assertEquals(
        List.of("EVENT main bob offline", "EVENT main bob online"), eventsAbout("bob", "online"));
    assertEquals(List.of("still present"), g.receiveTexts("bob", 1));
  }

  @Test
  void aFailedReconnectOfAnOnlineMemberLeavesItOfflineInItsGroupsToo() {
    g.receivers.refused.add(4);
    assertTrue(g.reconnect("bob", 4).startsWith("ERROR unreachable"));
    assertTrue(g.publish("bob", null, "offline").startsWith("ERROR not-online"));
    assertEquals(List.of("EVENT main bob offline"), eventsAbout("bob", "offline"));
    String members = g.call(new ClientCommand.Members("main", ""));
    assertTrue(members.contains(" bob offline"), members);
    advance(Duration.ofMillis(400));
    g.stop();
    // the journal says offline too: a restarted coordinator does not try to reach bob
    GroupFixture restarted =
        GroupFixture.restartedFrom(kit, g.store, td, clock, java.util.Set.of(2, 4));
    advance(Duration.ofSeconds(2));
    assertEquals(0, restarted.receivers.attempts("bob"));
    assertTrue(restarted.receivers.attempts("alice") > 0, "alice, online, is tried");
    restarted.stop();
  }

  @Test
  void aFailedReconnectOfALostMemberLeavesItOfflineAndStopsTheRetries() {
    g.receivers.refused.add(2);
    g.receivers.refused.add(4);
    g.receivers.breakLink("bob");
    assertTrue(g.reconnect("bob", 4).startsWith("ERROR unreachable"));
    int attempts = g.receivers.attempts("bob");
    advance(Duration.ofSeconds(3));
    assertEquals(attempts, g.receivers.attempts("bob"));
    assertTrue(g.publish("bob", null, "offline").startsWith("ERROR not-online"));
  }

  @Test
  void aSessionStoppedWhileAttachingAnswersTheWaiter() {
    g.receivers.held.add(3);
    int before = g.receivers.attempts("bob");
    TestProbe<Reply> reconnect = send(new ClientCommand.Reconnect("main", "bob", "127.0.0.1", 3));
    awaitAttempts("bob", before + 1);
    g.stop(); // the coordinator stops: its sessions with it
    assertTrue(reply(reconnect).startsWith("ERROR not-registered"));
  }
}
