package tempocast.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A member whose receiver was lost (heartbeat timeout, broken connection, coordinator restart)
 * without a DISCONNECT is reached again by its session, unasked, under the td rule counted from the
 * moment it was lost; time moved by hand.
 */
class MemberSessionReattachTest extends ManualTimeSessionTest {
  static final ActorTestKit kit = ActorTestKit.create(ManualTime.config());
  static final Duration TD = Duration.ofSeconds(4);

  /** ManualTime's timePasses waits 100 ms of real time for the dispatchers: keep steps few. */
  static final Duration STEP = Duration.ofMillis(200);

  MemberSessionReattachTest() {
    super(kit, TD);
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

  @Test
  void aLostReceiverIsReachedAgainWithoutAReconnect() {
    g.publish("alice", null, "before");
    assertEquals(List.of("before"), g.receiveTexts("bob", 1));
    g.receivers.breakLink("bob");
    g.publish("alice", null, "while lost");
    advance(Duration.ofMillis(200));
    assertEquals(List.of("while lost"), g.receiveTexts("bob", 1));
    g.publish("alice", null, "live again");
    assertEquals(List.of("live again"), g.receiveTexts("bob", 1));
  }

  @Test
  void anUnreachableReceiverIsTriedWithBackoffAndTheTdRuleCountsFromTheLoss() {
    g.receivers.refused.add(2);
    g.receivers.breakLink("bob");
    int before = g.receivers.attempts("bob");
    g.publish("alice", null, "too old");
    advance(Duration.ofSeconds(7));
    g.publish("alice", null, "recent");
    advance(Duration.ofSeconds(1)); // lost for 8 s: "too old" is 8 s old, "recent" 1 s (td 4 s)
    int tried = g.receivers.attempts("bob") - before;
    // 100 ms doubling to 2 s (twice the heartbeat interval): about 7 tries in 8 s; never given
    // up on, never hammered
    assertTrue(tried >= 5 && tried <= 12, tried + " attempts in 8 s");
    g.receivers.refused.remove(2);
    advance(Duration.ofMillis(2400)); // the next try comes within the 2 s backoff
    g.publish("alice", null, "live");
    assertEquals(List.of("recent", "live"), g.receiveTexts("bob", 2));
  }

  @Test
  void disconnectWhileLostStopsTheRetries() {
    g.receivers.refused.add(2);
    g.receivers.breakLink("bob");
    advance(Duration.ofSeconds(1));
    assertTrue(g.receivers.attempts("bob") > 1);
    assertEquals("OK DISCONNECTED main bob", g.disconnect("bob"));
    int attempts = g.receivers.attempts("bob");
    advance(Duration.ofSeconds(5));
    assertEquals(attempts, g.receivers.attempts("bob"));
    g.receivers.refused.remove(2);
    g.publish("alice", null, "missed");
    assertEquals("OK RECONNECTED main bob", g.reconnect("bob", 2));
    assertEquals(List.of("missed"), g.receiveTexts("bob", 1));
  }

  @Test
  void aLostMemberMaySendAndTheMessageWaitsForItsReceiver() {
    g.receivers.refused.add(2);
    g.receivers.breakLink("bob");
    assertEquals("OK SENT main 1", g.publish("bob", null, "from bob while lost"));
    assertEquals(List.of("from bob while lost"), g.receiveTexts("alice", 1));
    g.receivers.refused.remove(2);
    advance(Duration.ofSeconds(3));
    assertEquals(List.of("from bob while lost"), g.receiveTexts("bob", 1));
  }

  @Test
  void aMemberOnlineWhenTheCoordinatorStoppedIsTriedUntilItAnswers() {
    g.publish("alice", null, "before the stop");
    assertEquals(List.of("before the stop"), g.receiveTexts("bob", 1));
    advance(Duration.ofMillis(400)); // the cursor reaches the journal
    g.stop(); // bob was online
    // the same in-memory store stands for the journal directory found at the restart
    GroupFixture restarted =
        GroupFixture.restartedFrom(kit, g.store, TD, clock, java.util.Set.of(2));
    advance(Duration.ofSeconds(2));
    assertTrue(restarted.receivers.attempts("bob") > 2, "keeps trying after the first refusal");
    restarted.receivers.refused.remove(2);
    advance(Duration.ofMillis(2400));
    assertEquals("OK SENT main 2", restarted.publish("bob", null, "after"));
    assertEquals(List.of("after"), restarted.receiveTexts("bob", 1));
  }
}
