package tempocast.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tempocast.journal.InMemoryJournalStore;
import tempocast.journal.StoreException;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;

/**
 * A restarted coordinator's groups each load their own state from the journal (members, last
 * sequence number, the message IDs of their latest messages), and hold every command that reaches
 * them meanwhile: nothing is answered from a half-known group.
 */
class GroupRecoveryTest {
  static final Duration TD = Duration.ofSeconds(60);

  final ActorTestKit kit = ActorTestKit.create(ManualTime.config());
  final ManualTime time = ManualTime.get(kit.system());

  /** Its group loads wait at {@link #gate} and fail {@link #failures} times first. */
  static final class HeldLoads extends InMemoryJournalStore {
    volatile CountDownLatch gate = new CountDownLatch(0);
    final AtomicInteger failures = new AtomicInteger();

    @Override
    public TargetState loadTarget(String target) {
      try {
        if (!gate.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never opened the gate");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      if (target.equals("team") && failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new StoreException("disk on fire", null);
      }
      return super.loadTarget(target);
    }
  }

  final HeldLoads store = new HeldLoads();

  @AfterEach
  void shutDown() {
    kit.shutdownTestKit();
  }

  /** alice and bob in group team, where alice sent #1..#3 (message IDs m1..m3); then a stop. */
  void writeTeam() {
    GroupFixture first = new GroupFixture(kit, store, TD, Clock.systemUTC(), 8, 1 << 20);
    first.register("alice", 1);
    first.register("bob", 2);
    assertEquals("OK CREATED team 60 1", first.call(new ClientCommand.Create("team", "alice", -1)));
    assertEquals("OK JOINED team bob 1", first.call(new ClientCommand.Join("team", "bob")));
    for (int i = 1; i <= 3; i++) {
      assertEquals("OK SENT team " + i, first.publishTo("team", "alice", "m" + i, "x"));
    }
    first.stop();
  }

  TestProbe<Reply> members(GroupFixture g) {
    TestProbe<Reply> probe = kit.createTestProbe();
    g.directory.tell(
        new Directory.Handle(
            new ClientCommand.Members("team", "alice"), new Directory.Caller(null), probe.ref()));
    return probe;
  }

  static void assertTeam(TestProbe<Reply> probe) {
    String rendered = Replies.render(probe.receiveMessage(Duration.ofSeconds(10)));
    assertTrue(rendered.matches("OK MEMBERS team 2 alice \\w+ bob \\w+"), rendered);
  }

  @Test
  void commandsWaitForTheGroupsStateAndFindItWhole() {
    writeTeam();
    store.gate = new CountDownLatch(1);
    GroupFixture g = GroupFixture.restartedFrom(kit, store, TD, Clock.systemUTC(), Set.of());

    TestProbe<Reply> listed = members(g);
    listed.expectNoMessage(Duration.ofMillis(300)); // team is still loading: no half answer
    store.gate.countDown();
    assertTeam(listed);

    // The loaded message IDs recognise a retry; the loaded last seq goes on.
    assertEquals("OK SENT team 3", g.publishTo("team", "alice", "m3", "x"));
    assertEquals("OK SENT team 4", g.publishTo("team", "alice", "m4", "y"));
    g.stop();
  }

  @Test
  void aGroupWhoseLoadFailedTriesAgainAndKeepsWhatItHeld() {
    writeTeam();
    store.failures.set(1);
    GroupFixture g = GroupFixture.restartedFrom(kit, store, TD, Clock.systemUTC(), Set.of());

    TestProbe<Reply> listed = members(g);
    listed.expectNoMessage(Duration.ofMillis(300));
    time.timePasses(GroupManager.RELOAD_DELAY);
    assertTeam(listed);
    assertEquals(
        "OK SENT team 4",
        g.call(
            new ClientCommand.MSend(
                "team", "bob", "b1", "after the failed load".getBytes(StandardCharsets.UTF_8))));
    g.stop();
  }
}
