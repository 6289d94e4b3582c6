package tempocast.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** What a member gets on reconnect, within and past td; time moved by hand. */
class MemberSessionTdTest extends ManualTimeSessionTest {
  static final ActorTestKit kit = ActorTestKit.create(ManualTime.config());
  static final Duration TD = Duration.ofSeconds(10);

  MemberSessionTdTest() {
    super(kit, TD);
  }

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void offlineUpToTdGetsEverythingItMissed() {
    g.publish("alice", null, "seen");
    assertEquals(List.of("seen"), g.receiveTexts("bob", 1));
    g.disconnect("bob");
    g.publish("alice", null, "missed-1");
    advance(Duration.ofSeconds(9));
    g.publish("alice", null, "missed-2");
    advance(Duration.ofSeconds(1)); // offline exactly td
    assertEquals("OK RECONNECTED main bob", g.reconnect("bob", 2));
    assertEquals(List.of("missed-1", "missed-2"), g.receiveTexts("bob", 2));
    assertEquals(List.of("OWED 2"), g.receivers.owed("bob"), "told before its messages");
  }

  @Test
  void offlineLongerThanTdGetsOnlyTheLastTd() {
    g.disconnect("bob");
    g.publish("alice", null, "too-old");
    advance(Duration.ofSeconds(6));
    g.publish("alice", null, "recent");
    advance(Duration.ofSeconds(6)); // offline 12 s: too-old is 12 s old, recent 6 s
    assertEquals("OK RECONNECTED main bob", g.reconnect("bob", 2));
    g.publish("alice", null, "live");
    assertEquals(List.of("recent", "live"), g.receiveTexts("bob", 2));
    assertEquals(
        List.of("OWED 1"), g.receivers.owed("bob"), "counted within td, live messages not owed");
  }

  @Test
  void aBrokenLinkCountsAsOfflineFromThatMoment() {
    g.receivers.refused.add(2); // its receiver is gone: the session's own retries fail
    g.receivers.breakLink("bob");
    g.publish("alice", null, "during");
    advance(Duration.ofSeconds(5));
    g.receivers.refused.remove(2);
    assertEquals("OK RECONNECTED main bob", g.reconnect("bob", 2));
    assertEquals(List.of("during"), g.receiveTexts("bob", 1));
  }
}
