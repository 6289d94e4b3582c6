package tempocast.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tempocast.journal.MutableClock;

/** What a member gets on reconnect, within and past td; time moved by hand. */
class MemberSessionTdTest {
  static final ActorTestKit kit = ActorTestKit.create(ManualTime.config());
  static final Duration TD = Duration.ofSeconds(10);
  final ManualTime time = ManualTime.get(kit.system());
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

  @TempDir Path dir;
  GroupFixture g;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    g = new GroupFixture(kit, dir, TD, clock);
    g.register("alice", 1);
    g.register("bob", 2);
  }

  void advance(Duration d) {
    clock.advance(d);
    time.timePasses(d);
  }

  static final Pattern MSG = Pattern.compile("MSG main \\d+ \\d+ \\S+ (.*)");

  /** The texts in {@code member}'s next deliveries, acknowledging them, until {@code n} arrived. */
  List<String> receive(String member, int n) {
    List<String> texts = new ArrayList<>();
    while (texts.size() < n) {
      for (String line : g.nextTo(member).split("\n")) {
        Matcher m = MSG.matcher(line);
        assertTrue(m.matches(), line);
        texts.add(m.group(1));
        g.receivers.ack(member, Long.parseLong(line.split(" ")[2]));
      }
    }
    return texts;
  }

  @Test
  void offlineUpToTdGetsEverythingItMissed() {
    g.publish("alice", null, "seen");
    assertEquals(List.of("seen"), receive("bob", 1));
    g.disconnect("bob");
    g.publish("alice", null, "missed-1");
    advance(Duration.ofSeconds(9));
    g.publish("alice", null, "missed-2");
    advance(Duration.ofSeconds(1)); // offline exactly td
    assertEquals("OK RECONNECTED main bob", g.reconnect("bob", 2));
    assertEquals(List.of("missed-1", "missed-2"), receive("bob", 2));
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
    assertEquals(List.of("recent", "live"), receive("bob", 2));
  }

  @Test
  void aBrokenLinkCountsAsOfflineFromThatMoment() {
    g.receivers.refused.add(2); // its receiver is gone: the session's own retries fail
    g.receivers.breakLink("bob");
    g.publish("alice", null, "during");
    advance(Duration.ofSeconds(5));
    g.receivers.refused.remove(2);
    assertEquals("OK RECONNECTED main bob", g.reconnect("bob", 2));
    assertEquals(List.of("during"), receive("bob", 1));
  }
}
