package tempocast.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tempocast.journal.JournalStore;
import tempocast.journal.MembershipRecord;
import tempocast.protocol.Reply;

/**
 * A group recovered from the journal knows its members before their sessions have bound to it (each
 * session's {@link GroupManager.Bind} says whether it is online, and its secret). Right after a
 * start, or a takeover of a cluster's coordinator role, an MSEND sent again can reach the group
 * first: it waits for the sender's Bind, and is then stored, or refused as from an offline member.
 */
class RecoveredMemberBindTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final Duration TD = Duration.ofSeconds(30);

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** Group team as recovered: bob a member since #0, with #1..#3 stored; no session bound. */
  ActorRef<GroupManager.Command> recoveredTeam(GroupFixture g) {
    JournalStore.TargetState state =
        new JournalStore.TargetState(
            3, List.of(new MembershipRecord("team", "bob", 0, 3)), List.of(), List.of());
    return kit.spawn(
        GroupManager.create(
            new GroupManager.Setup("team", TD.toMillis(), state),
            kit.<Directory.Command>createTestProbe().ref(),
            g.context));
  }

  static GroupManager.Publish publish(String msgId, TestProbe<Reply> replyTo) {
    return new GroupManager.Publish(
        "bob", null, msgId, "hello".getBytes(StandardCharsets.UTF_8), replyTo.ref());
  }

  @Test
  void anMsendBeforeTheSendersBindWaitsForItAndIsStored() {
    GroupFixture g = new GroupFixture(kit, TD, Clock.systemUTC());
    ActorRef<GroupManager.Command> team = recoveredTeam(g);
    TestProbe<Reply> replies = kit.createTestProbe();
    team.tell(publish("m4", replies));
    replies.expectNoMessage(Duration.ofMillis(300)); // not "offline": its presence is not known
    TestProbe<ParticipantSession.Command> session = kit.createTestProbe();
    team.tell(new GroupManager.Bind("bob", session.ref(), null, null, true));
    assertEquals(new Reply.Sent("team", 4), replies.receiveMessage(Duration.ofSeconds(5)));
    g.stop();
  }

  @Test
  void anMsendBeforeTheBindOfAnOfflineSenderIsRefusedOnceItComes() {
    GroupFixture g = new GroupFixture(kit, TD, Clock.systemUTC());
    ActorRef<GroupManager.Command> team = recoveredTeam(g);
    TestProbe<Reply> replies = kit.createTestProbe();
    team.tell(publish("m4", replies));
    replies.expectNoMessage(Duration.ofMillis(300));
    TestProbe<ParticipantSession.Command> session = kit.createTestProbe();
    team.tell(new GroupManager.Bind("bob", session.ref(), null, null, false));
    Reply.Error e =
        assertInstanceOf(Reply.Error.class, replies.receiveMessage(Duration.ofSeconds(5)));
    assertEquals(Reply.ErrorCode.NOT_ONLINE, e.code());
    g.stop();
  }

  @Test
  void whatWaitsForABindIsAnsweredWhenTheGroupStops() {
    GroupFixture g = new GroupFixture(kit, TD, Clock.systemUTC());
    ActorRef<GroupManager.Command> team = recoveredTeam(g);
    TestProbe<Reply> replies = kit.createTestProbe();
    team.tell(publish("m4", replies));
    replies.expectNoMessage(Duration.ofMillis(300));
    kit.stop(team);
    Reply.Error e =
        assertInstanceOf(Reply.Error.class, replies.receiveMessage(Duration.ofSeconds(5)));
    assertEquals(Reply.ErrorCode.INTERNAL, e.code());
    g.stop();
  }
}
