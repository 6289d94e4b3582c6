package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tempocast.it.ProcessFixture.LISTENING;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * Guarantee 1 + message-log format: three members, every member (sender included) logs every
 * message once, with the sender's ID and the exact text (unicode, tabs, runs of spaces,
 * leading/trailing blanks); the size limit is 65,536 bytes of UTF-8 (not characters); empty
 * messages are refused.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BasicMulticastIT extends ItBase {

  @Test
  void everyMemberLogsEveryMessageExactly() {
    Coordinator c = fx.startCoordinator("30");
    Matcher lm = LISTENING.matcher(c.listeningLine);
    assertTrue(
        lm.matches(),
        "coordinator start line does not match the contract: [" + c.listeningLine + "]");
    assertEquals(c.port, Integer.parseInt(lm.group(1)), "port in start line");
    assertEquals(30.0, Double.parseDouble(lm.group(2)), "td in start line");
    assertTrue(
        lm.group(3).contains("coordinator-data-" + c.port),
        "data dir in start line: " + lm.group(3));
    assertEquals("never", lm.group(4), "fsync default");

    Participant alice = fx.startParticipant("alice", c.port);
    Participant bob = fx.startParticipant("bob", c.port);
    // carol's config uses the other address form, IP:PORT
    Participant carol =
        fx.startParticipant(
            "carol",
            fx.writeFile("carol.cfg", "carol\ncarol.log\n127.0.0.1:" + c.port + "\n"),
            tmp.resolve("carol.log"));
    List<Participant> all = List.of(alice, bob, carol);
    var ports = new HashSet<Integer>();
    for (Participant p : all) ports.add(p.register(0));
    assertEquals(3, ports.size(), "each receiver gets its own port: " + ports);

    List<String[]> expected = new ArrayList<>(); // {sender, text}

    long before = System.currentTimeMillis();
    long seq1 = alice.msend("hello world");
    long after = System.currentTimeMillis();
    assertEquals(1, seq1, "first message of a fresh group is #1");
    expected.add(new String[] {"alice", "hello world"});
    for (Participant p : all) {
      LogEntry e = p.awaitLog(1).get(0);
      assertEquals("main", e.group(), p.id + ": group");
      assertEquals(1, e.seq(), p.id + ": seq");
      assertEquals("alice", e.sender(), p.id + ": sender");
      assertEquals("hello world", e.text(), p.id + ": text");
      long ts = e.ts().toEpochMilli();
      assertTrue(
          ts >= before - 500 && ts <= after + 500,
          p.id
              + ": coordinator timestamp "
              + e.ts()
              + " not between send and OK ("
              + before
              + ".."
              + after
              + ")");
    }

    // whitespace and unicode are part of the message: everything after "msend " exactly
    String fancy = "  grüße\tfrom  \t\tthe 日本語 side 😀   end  ";
    assertEquals(2, bob.msend(fancy));
    expected.add(new String[] {"bob", fancy});

    // refused: empty message, and one byte over the limit (ASCII and multi-byte)
    bob.expectError("msend ");
    bob.expectError("msend");
    String ascii65537 = "x".repeat(65537);
    carol.expectError("msend " + ascii65537);
    String multi65537 = "é".repeat(32768) + "a"; // 32,769 characters but 65,537 bytes
    assertEquals(65537, multi65537.getBytes(StandardCharsets.UTF_8).length);
    carol.expectError("msend " + multi65537);

    // accepted: exactly 65,536 bytes
    String ascii65536 = "y".repeat(65536);
    assertEquals(3, carol.msend(ascii65536), "refused messages must not use a seq");
    expected.add(new String[] {"carol", ascii65536});
    String multi65536 = "é".repeat(32768);
    assertEquals(65536, multi65536.getBytes(StandardCharsets.UTF_8).length);
    assertEquals(4, alice.msend(multi65536));
    expected.add(new String[] {"alice", multi65536});

    // barrier: once this arrives, anything duplicated / refused would have arrived before it
    assertEquals(5, bob.msend("barrier"));
    expected.add(new String[] {"bob", "barrier"});

    for (Participant p : all) {
      p.awaitLog(expected.size());
      List<LogEntry> log = p.logEntries();
      assertEquals(
          expected.size(), log.size(), p.id + ": exactly the accepted messages, once each: " + log);
      for (int i = 0; i < expected.size(); i++) {
        LogEntry e = log.get(i);
        assertEquals(i + 1, e.seq(), p.id + ": seq of line " + (i + 1));
        assertEquals("main", e.group());
        assertEquals(expected.get(i)[0], e.sender(), p.id + ": sender of #" + e.seq());
        String want = expected.get(i)[1];
        assertEquals(want.length(), e.text().length(), p.id + ": text length of #" + e.seq());
        assertEquals(want, e.text(), p.id + ": exact text of #" + e.seq());
      }
    }
    for (Participant p : all) assertTrue(p.isAlive(), p.id + " still running");
  }
}
