package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tempocast.it.LogChecker.Kind;
import tempocast.it.LogChecker.Report;

/**
 * The chaos suite's checker, on synthetic logs: a clean set passes, and every planted loss,
 * duplicate, reordering, divergence, foreign / unknown / malformed line is reported under its name.
 */
class LogCheckerTest {

  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final long T0 = Instant.parse("2026-11-21T10:00:00Z").toEpochMilli();

  /** One message of the synthetic history. */
  private record Msg(long seq, String sender, String text, boolean acked) {
    String line() {
      return TS.format(Instant.ofEpochMilli(T0 + seq * 7))
          + " main #"
          + seq
          + " "
          + sender
          + ": "
          + text;
    }
  }

  private static String line(long seq, String sender, String text) {
    return new Msg(seq, sender, text, true).line();
  }

  /**
   * Seqs 1..12: alice, bob, carol in turn, each sender's texts numbered in its send order; #5 (bob)
   * and #10 (alice) are unacknowledged but delivered; bob also has one attempt that never got a
   * seq.
   */
  private static List<Msg> history() {
    List<Msg> h = new ArrayList<>();
    String[] senders = {"alice", "bob", "carol"};
    int[] n = new int[3];
    for (int seq = 1; seq <= 12; seq++) {
      int s = (seq - 1) % 3;
      h.add(
          new Msg(
              seq,
              senders[s],
              senders[s] + " msg " + (n[s]++) + "  with  spaces\t",
              seq != 5 && seq != 10));
    }
    return h;
  }

  private static List<String> lines(List<Msg> h) {
    List<String> out = new ArrayList<>();
    for (Msg m : h) out.add(m.line());
    return out;
  }

  /**
   * A checker fed with the history's sends (in send order) and the given logs, all owed everything
   * from #1.
   */
  private static LogChecker checker(List<Msg> h) {
    LogChecker c = new LogChecker();
    for (Msg m : h) {
      if (m.acked()) c.acked(m.sender(), m.text(), m.seq());
      else c.unacked(m.sender(), m.text());
      if (m.seq() == 8) c.unacked("bob", "bob lost in the crash, never stored");
    }
    return c;
  }

  private static Report check(List<Msg> h, List<String> a, List<String> b, List<String> c) {
    return checker(h).log("alice", a, 1).log("bob", b, 1).log("carol", c, 1).check();
  }

  private static void assertOnly(Report r, Kind... kinds) {
    Set<Kind> want = new TreeSet<>(List.of(kinds));
    assertEquals(want, r.counts().keySet(), "violation kinds in:\n" + r.details(20));
  }

  @Test
  void syntheticLinesMatchTheLogFormat() {
    String l = line(42, "alice", "hello, group");
    assertTrue(ProcessFixture.LOG_LINE.matcher(l).matches(), l);
    assertEquals(42, ProcessFixture.parseLogLine(l).seq());
    assertEquals("hello, group", ProcessFixture.parseLogLine(l).text());
  }

  @Test
  void cleanLogsPass() {
    List<Msg> h = history();
    Report r = check(h, lines(h), lines(h), lines(h));
    assertTrue(r.clean(), r.details(20));
    assertEquals(3, r.logsChecked);
    assertEquals(36, r.linesChecked);
    assertEquals(12, r.messagesChecked, "10 acked + 2 unacked that were delivered");
    assertEquals(10, r.acked);
    assertEquals(3, r.unacked);
    assertEquals(2, r.unackedDelivered);
    assertTrue(r.summary().contains("violations 0"), r.summary());
  }

  @Test
  void unackedMessagesMayBeMissingEverywhere() {
    List<Msg> h = history();
    List<Msg> without = new ArrayList<>(h);
    without.removeIf(m -> !m.acked());
    Report r = check(h, lines(without), lines(without), lines(without));
    assertTrue(r.clean(), r.details(20));
    assertEquals(0, r.unackedDelivered);
  }

  @Test
  void plantedLossIsReported() {
    List<Msg> h = history();
    List<String> bob = lines(h);
    String lost = bob.remove(6); // #7, acked
    Report r = check(h, lines(h), bob, lines(h));
    assertOnly(r, Kind.LOSS);
    assertEquals(1, r.violations.size(), r.details(20));
    assertEquals("bob", r.violations.get(0).log());
    assertTrue(r.violations.get(0).detail().contains("#7"), r.details(5) + " / " + lost);
    assertEquals("1 lost: #7", r.lossRanges.get("bob"));
  }

  @Test
  void plantedLossAtTheEndIsReported() {
    List<Msg> h = history();
    List<String> carol = lines(h);
    carol.remove(carol.size() - 1); // #12, the last one: no gap to give it away
    Report r = check(h, lines(h), lines(h), carol);
    assertOnly(r, Kind.LOSS);
    assertEquals("carol", r.of(Kind.LOSS).get(0).log());
  }

  @Test
  void plantedRepeatedLineIsADuplicate() {
    List<Msg> h = history();
    List<String> alice = lines(h);
    alice.add(4, alice.get(3)); // #4 twice in a row (e.g. logged again after a restart)
    Report r = check(h, alice, lines(h), lines(h));
    assertOnly(r, Kind.DUPLICATE);
    assertEquals(1, r.violations.size(), r.details(20));
    assertEquals("alice", r.violations.get(0).log());
  }

  @Test
  void plantedDuplicateSeqIsADuplicate() {
    List<Msg> h = history();
    List<String> alice = lines(h);
    alice.add(line(12, "alice", "something else at #12")); // same seq, other message
    LogChecker c = checker(h);
    c.unacked("alice", "something else at #12");
    Report r = c.log("alice", alice, 1).log("bob", lines(h), 1).log("carol", lines(h), 1).check();
    assertTrue(r.has(Kind.DUPLICATE), r.details(20));
    assertTrue(r.of(Kind.DUPLICATE).get(0).detail().contains("seq #12"), r.details(20));
  }

  @Test
  void plantedSameMessageAtTwoSeqsIsADuplicate() {
    List<Msg> h = history();
    List<String> bob = lines(h);
    Msg m = h.get(2);
    bob.add(line(13, m.sender(), m.text())); // #3's message delivered again as #13
    Report r = check(h, lines(h), bob, lines(h));
    assertTrue(r.has(Kind.DUPLICATE), r.details(20));
    assertEquals("bob", r.of(Kind.DUPLICATE).get(0).log());
  }

  @Test
  void plantedSwapIsAnOrderViolation() {
    List<Msg> h = history();
    List<String> carol = lines(h);
    Collections.swap(carol, 4, 7); // #5 and #8 swapped
    Report r = check(h, lines(h), lines(h), carol);
    assertOnly(r, Kind.ORDER);
    assertEquals("carol", r.of(Kind.ORDER).get(0).log());
  }

  @Test
  void senderOrderViolatedByTheAcknowledgedSeqsIsReported() {
    // the coordinator gave alice's second message a lower seq than her first: every log is in seq
    // order,
    // and identical, but alice's messages are out of her send order
    List<Msg> h =
        new ArrayList<>(
            List.of(
                new Msg(1, "bob", "b0", true),
                new Msg(2, "alice", "a1", true),
                new Msg(3, "alice", "a0", true)));
    LogChecker c =
        new LogChecker().acked("bob", "b0", 1).acked("alice", "a0", 3).acked("alice", "a1", 2);
    Report r = c.log("alice", lines(h), 1).log("bob", lines(h), 1).check();
    assertOnly(r, Kind.ORDER);
    assertTrue(r.of(Kind.ORDER).stream().anyMatch(v -> v.log().equals("acks")), r.details(20));
    assertTrue(r.of(Kind.ORDER).stream().anyMatch(v -> v.log().equals("alice")), r.details(20));
  }

  @Test
  void plantedDifferentMessageAtTheSameSeqIsADivergence() {
    List<Msg> h = history();
    List<String> bob = lines(h);
    bob.set(4, line(5, "bob", "bob's other text")); // #5 (unacked) is something else in bob's log
    LogChecker c = checker(h);
    c.unacked("bob", "bob's other text");
    Report r = c.log("alice", lines(h), 1).log("bob", bob, 1).log("carol", lines(h), 1).check();
    assertTrue(r.has(Kind.DIVERGENCE), r.details(20));
    assertTrue(
        r.of(Kind.DIVERGENCE).stream().anyMatch(v -> v.detail().contains("alice has #5")),
        r.details(20));
  }

  @Test
  void acknowledgedMessageAtAnotherSeqIsADivergence() {
    List<Msg> h = history();
    List<String> all = new ArrayList<>(lines(h));
    Msg m = h.get(11); // #12, acked
    all.set(11, line(13, m.sender(), m.text()));
    Report r = check(h, all, all, all);
    assertOnly(r, Kind.DIVERGENCE); // present, but not where its OK said
    assertTrue(
        r.of(Kind.DIVERGENCE).get(0).detail().contains("acknowledged as #12"), r.details(20));
  }

  @Test
  void plantedUnackedInSomeLogsOnlyIsADivergence() {
    List<Msg> h = history();
    List<String> carol = lines(h);
    carol.remove(9); // #10, unacked: alice and bob have it, carol (owed it) not
    Report r = check(h, lines(h), lines(h), carol);
    assertOnly(r, Kind.DIVERGENCE);
    assertEquals(1, r.violations.size(), r.details(20));
    assertEquals("carol", r.violations.get(0).log());
  }

  @Test
  void messageBeforeRegistrationIsForeign() {
    List<Msg> h = history();
    List<Msg> late = new ArrayList<>(h.subList(5, 12)); // dave registered at #6 ...
    late.add(0, h.get(3)); // ... but has #4
    LogChecker c = checker(h);
    Report r = c.log("alice", lines(h), 1).log("dave", lines(late), 6).check();
    assertOnly(r, Kind.FOREIGN);
    assertEquals("dave", r.violations.get(0).log());
    assertTrue(r.violations.get(0).detail().contains("#4"), r.details(20));
  }

  @Test
  void deregisteredMemberIsOwedOnlyItsRange() {
    List<Msg> h = history();
    LogChecker c = checker(h);
    // erin registered from #3 to #9 (exclusive): has exactly #3..#8 -> clean
    Report ok = c.log("alice", lines(h), 1).log("erin", lines(h.subList(2, 8)), 3, 9).check();
    assertTrue(ok.clean(), ok.details(20));

    LogChecker c2 = checker(h);
    Report r =
        c2.log("alice", lines(h), 1)
            .log("erin", lines(h.subList(2, 10)), 3, 9)
            .check(); // #9, #10 after leaving
    assertOnly(r, Kind.FOREIGN);
    assertEquals(2, r.violations.size(), r.details(20));
  }

  @Test
  void prefixLogMayStopEarlyButNotSkip() {
    List<Msg> h = history();
    Report ok =
        checker(h).log("alice", lines(h), 1).prefixLog("stuck", lines(h.subList(0, 7)), 1).check();
    assertTrue(ok.clean(), ok.details(20));

    List<String> gap = lines(h.subList(0, 7));
    gap.remove(2); // #3 missing before its last #7
    Report r = checker(h).log("alice", lines(h), 1).prefixLog("stuck", gap, 1).check();
    assertOnly(r, Kind.LOSS);
    assertEquals("stuck", r.violations.get(0).log());

    List<String> swapped = lines(h.subList(0, 7));
    Collections.swap(swapped, 1, 2);
    assertOnly(
        checker(h).log("alice", lines(h), 1).prefixLog("stuck", swapped, 1).check(), Kind.ORDER);

    List<String> dup = lines(h.subList(0, 7));
    dup.add(dup.get(6));
    assertOnly(
        checker(h).log("alice", lines(h), 1).prefixLog("stuck", dup, 1).check(), Kind.DUPLICATE);
  }

  @Test
  void messageNobodySentIsUnknown() {
    List<Msg> h = history();
    List<String> bob = lines(h);
    bob.add(line(13, "mallory", "never sent"));
    Report r = check(h, lines(h), bob, lines(h));
    assertOnly(r, Kind.UNKNOWN);
  }

  @Test
  void garbledLineIsMalformed() {
    List<Msg> h = history();
    List<String> alice = lines(h);
    alice.add(6, "2026-11-21T10:00:00.049Z main #7 ali"); // a torn write, followed by more lines
    Report r = check(h, alice, lines(h), lines(h));
    assertOnly(r, Kind.MALFORMED);
  }

  @Test
  void summaryCountsViolationsByKind() {
    List<Msg> h = history();
    List<String> bob = lines(h);
    bob.remove(0);
    bob.add(bob.get(0));
    Report r = check(h, lines(h), bob, lines(h));
    Map<Kind, Integer> counts = r.counts();
    assertEquals(1, counts.get(Kind.LOSS), r.details(20));
    assertEquals(1, counts.get(Kind.DUPLICATE), r.details(20));
    assertTrue(r.summary().contains("LOSS=1") && r.summary().contains("DUPLICATE=1"), r.summary());
  }

  @Test
  void lossRangesAreCompact() {
    assertEquals("#1..#3, #5, #7..#8", LogChecker.ranges(List.of(1L, 2L, 3L, 5L, 7L, 8L)));
  }

  @Test
  void sameTextTwiceFromOneSenderIsRefused() {
    LogChecker c = new LogChecker().acked("alice", "x", 1);
    assertThrows(IllegalArgumentException.class, () -> c.unacked("alice", "x"));
  }
}
