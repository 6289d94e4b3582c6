package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static tempocast.it.ProcessFixture.assertStrictlyIncreasingSeqs;
import static tempocast.it.ProcessFixture.seqs;
import static tempocast.it.ProcessFixture.texts;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * Direct messages (issue 9): {@code send ID MESSAGE} to an online or offline participant, within
 * and past the coordinator's td; one inbox {@code @ID} per participant with its own sequence
 * numbers and one order; the log line {@code TIMESTAMP @RECIPIENT #SEQ SENDER: TEXT}; no copy for
 * the sender unless it wrote to itself; the errors; and a restarted participant never writes a
 * direct message twice.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DirectMessagesIT extends ItBase {

  private static final Pattern DM_LINE =
      Pattern.compile(
          "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z @bob #1 alice: hello bob, just you$");

  @Test
  void aDirectMessageReachesAnOnlineRecipientOnlyAndIsLoggedUnderItsInbox() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);

    long before = System.currentTimeMillis();
    assertEquals(1, alice.send("bob", "hello bob, just you"));
    long after = System.currentTimeMillis();
    bob.awaitText("hello bob, just you");
    String line = bob.logLines().get(0);
    assertTrue(
        DM_LINE.matcher(line).matches(),
        "log line is 'TIMESTAMP @RECIPIENT #SEQ SENDER: TEXT': [" + line + "]");
    LogEntry e = bob.logEntries().get(0);
    assertTrue(
        e.ts().toEpochMilli() >= before - 1000 && e.ts().toEpochMilli() <= after + 1000,
        "the coordinator's timestamp, around the send: " + e);

    assertEquals(2, carol.send("bob", "carol to bob"), "bob's inbox numbers on");
    assertEquals(1, bob.send("carol", "bob to carol"), "carol's inbox starts at #1");
    assertEquals(1, alice.msend("main barrier"));
    for (Participant p : List.of(alice, bob, carol)) p.awaitText("main barrier");
    bob.awaitText("carol to bob");
    carol.awaitText("bob to carol");
    assertEquals(
        List.of("hello bob, just you", "carol to bob"),
        texts(bob.logOf("@bob")),
        "bob's inbox, in order");
    assertEquals(List.of(1L, 2L), seqs(bob.logOf("@bob")));
    assertEquals(List.of("bob to carol"), texts(carol.logOf("@carol")));
    assertEquals(
        List.of("main barrier"), texts(alice.logEntries()), "alice gets no copy of what she sent");
    for (Participant p : List.of(alice, carol))
      assertEquals(List.of(), p.logOf("@bob"), p.id + " has nothing of bob's inbox");
    assertEquals(List.of(), bob.logOf("@carol"), "bob gets no copy of his own send");
  }

  @Test
  void aParticipantWritingToItselfGetsItOnce() {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    alice.register(0);
    assertEquals(1, alice.send("alice", "note to self"));
    alice.msend("barrier");
    alice.awaitText("barrier");
    alice.awaitText("note to self");
    List<LogEntry> mine = alice.logOf("@alice");
    assertEquals(1, mine.size(), "once: " + alice.logLines());
    assertEquals("alice", mine.get(0).sender());
    assertEquals(1, mine.get(0).seq());
  }

  @Test
  void anOfflineRecipientWithinTdGetsEveryDirectMessageInOrderOnReconnect() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "carol");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant carol = ps.get(2);
    bob.disconnect();
    long a1 = alice.send("bob", "a1");
    long c1 = carol.send("bob", "c1");
    long a2 = alice.send("bob", "a2");
    assertEquals(List.of(1L, 2L, 3L), List.of(a1, c1, a2));
    assertEquals(List.of(), bob.logLines(), "nothing while offline");
    bob.reconnect(0);
    alice.send("bob", "a3 live");
    bob.awaitText("a3 live");
    List<LogEntry> inbox = bob.logOf("@bob");
    assertEquals(List.of("a1", "c1", "a2", "a3 live"), texts(inbox));
    assertEquals(List.of(1L, 2L, 3L, 4L), seqs(inbox));
    assertEquals(List.of("alice", "carol", "alice", "alice"), senders(inbox));
  }

  @Test
  void anOfflineRecipientPastTdGetsOnlyDirectMessagesYoungerThanTd() {
    Coordinator c = fx.startCoordinator("2");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    bob.disconnect();
    long disconnectedAt = System.currentTimeMillis();
    alice.send("bob", "old: sent right after bob left");
    long oldAt = System.currentTimeMillis();
    ProcessFixture.sleepQuietly(Math.max(0, oldAt + 2000 + 800 - System.currentTimeMillis()));
    alice.send("bob", "fresh: sent just before bob is back");
    long reconnectStart = System.currentTimeMillis();
    assertTrue(reconnectStart - disconnectedAt > 2000, "set-up: offline past td");
    bob.reconnect(0);
    alice.send("bob", "live");
    bob.awaitText("live");
    List<LogEntry> inbox = bob.logOf("@bob");
    assertEquals(
        List.of("fresh: sent just before bob is back", "live"),
        texts(inbox),
        "the direct message older than the coordinator's td is not delivered");
    assertEquals(List.of(2L, 3L), seqs(inbox));
    assertTrue(inbox.get(0).ts().toEpochMilli() >= reconnectStart - 2000, "" + inbox.get(0));
  }

  @Test
  void concurrentSendersToOneInboxGetOneOrderAndEachSendersOrder() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> senders = fx.startParticipants(c, "s1", "s2", "s3");
    Participant dave = fx.startParticipant("dave", c.port);
    dave.register(0);
    for (Participant p : senders) p.register(0);
    int perSender = 30;
    Map<String, Long> seqOfText = new HashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(senders.size());
    try {
      List<Future<List<Long>>> fs = new ArrayList<>();
      for (Participant p : senders) {
        fs.add(
            pool.submit(
                () -> {
                  List<Long> out = new ArrayList<>();
                  for (int i = 0; i < perSender; i++) out.add(p.send("dave", p.id + " dm " + i));
                  return out;
                }));
      }
      for (int k = 0; k < senders.size(); k++) {
        List<Long> s = fs.get(k).get(90, TimeUnit.SECONDS);
        for (int i = 0; i < perSender; i++) {
          if (i > 0 && s.get(i) <= s.get(i - 1)) fail("OK seqs not in send order: " + s);
          seqOfText.put(senders.get(k).id + " dm " + i, s.get(i));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(3 * perSender, new HashSet<>(seqOfText.values()).size(), "distinct seqs in @dave");
    dave.awaitLog(3 * perSender);
    List<LogEntry> inbox = dave.logOf("@dave");
    assertEquals(3 * perSender, inbox.size(), "each once: " + inbox);
    assertStrictlyIncreasingSeqs(inbox, "dave");
    Map<String, Integer> next = new HashMap<>();
    for (LogEntry e : inbox) {
      assertEquals(seqOfText.get(e.text()), e.seq(), "logged seq = acknowledged seq: " + e);
      int i = Integer.parseInt(e.text().substring(e.text().lastIndexOf(' ') + 1));
      assertEquals(next.getOrDefault(e.sender(), 0), i, "sender's order at " + e);
      next.put(e.sender(), i + 1);
    }
    for (Participant p : senders) assertEquals(List.of(), p.logLines(), p.id + ": no copies");
  }

  @Test
  void sendIsRefusedToAnUnregisteredIdAndWhileOfflineAndSendsNothing() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob", "gone");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    Participant gone = ps.get(2);
    gone.deregister();

    alice.expectError("send nobody hello?");
    alice.expectError("send gone are you there?");
    alice.expectError("send bad/id hello");
    bob.disconnect();
    bob.expectError("send alice from offline bob");
    bob.reconnect(0);
    assertEquals(1, alice.send("bob", "first real dm"), "refused sends took no seq");
    assertEquals(1, bob.send("alice", "bob back online"), "the offline send was not stored");
    alice.awaitText("bob back online");
    bob.awaitText("first real dm");
    assertEquals(List.of("bob back online"), texts(alice.logOf("@alice")));
    assertEquals(List.of("first real dm"), texts(bob.logOf("@bob")));
  }

  @Test
  void aRestartedParticipantNeverWritesADirectMessageTwice() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);

    List<String> sent = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      String t = "dm " + i + " before the kill";
      alice.send("bob", t);
      sent.add(t);
    }
    bob.awaitText("dm 20 before the kill");
    bob.kill(); // SIGKILL: some ACKs may not have reached the coordinator
    for (int i = 1; i <= 5; i++) {
      String t = "dm " + i + " while bob is dead";
      alice.send("bob", t);
      sent.add(t);
    }
    Participant bob2 = fx.restart(bob);
    bob2.checkReconnected(bob2.commandUntilOk("reconnect 0", 5), 0);
    alice.send("bob", "after the restart");
    sent.add("after the restart");
    bob2.awaitText("after the restart");

    // and once more with quit
    assertEquals("OK bye", bob2.command("quit"));
    bob2.proc.awaitExit(java.time.Duration.ofSeconds(15));
    alice.send("bob", "while bob quit");
    sent.add("while bob quit");
    Participant bob3 = fx.restart(bob2);
    bob3.reconnect(0);
    alice.send("bob", "after quit and restart");
    sent.add("after quit and restart");
    bob3.awaitText("after quit and restart");

    List<LogEntry> inbox = bob3.logOf("@bob");
    assertEquals(sent, texts(inbox), "every direct message exactly once, in order");
    assertStrictlyIncreasingSeqs(inbox, "bob");
    assertEquals(sent.size(), bob3.logLines().size(), "nothing else in the log");
  }

  private static List<String> senders(List<LogEntry> log) {
    List<String> out = new ArrayList<>();
    for (LogEntry e : log) out.add(e.sender());
    return out;
  }
}
