package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/**
 * The console for people: {@code stats}, the progress of a long catch-up, and a quiet start (logs
 * in a file beside the message log, no SLF4J lines), with real processes on pipes.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConsoleIT extends ItBase {

  private static final Pattern SENT_STATS = Pattern.compile("^sent (\\d+) messages, (\\d+) bytes$");
  private static final Pattern RECEIVED_STATS =
      Pattern.compile("^received (\\d+) messages, (\\d+) bytes$");
  private static final Pattern LATENCY =
      Pattern.compile(
          "^(send latency \\(to OK\\)|delivery latency \\(timestamp to log\\)) median"
              + " ([0-9.]+) ms, p99 ([0-9.]+) ms, (\\d+) samples$");

  @Test
  void statsCountsWhatWasSentAndReceivedAndComesAgainOnQuit() {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startParticipants(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);

    ProcessFixture.Listing before = alice.listing("stats"); // not registered: works all the same
    assertEquals("OK stats", before.result());
    assertEquals("sent 0 messages, 0 bytes", before.lines().get(0));

    alice.register(0);
    bob.register(0);
    alice.msend("hello"); // 5 bytes
    alice.msend("wörld"); // 6 bytes
    bob.msend("hi"); // 2 bytes
    alice.awaitLog(3);

    ProcessFixture.Listing stats = alice.listing("stats");
    assertEquals("OK stats", stats.result());
    List<String> lines = stats.lines();
    assertEquals(6, lines.size(), lines.toString());
    assertEquals("sent 2 messages, 11 bytes", lines.get(0));
    assertEquals("received 3 messages, 13 bytes", lines.get(1));
    assertEquals("exchanged 5 messages", lines.get(2));
    assertTrue(
        lines.get(3).matches("^send throughput [0-9.]+ messages/s, [0-9]+ bytes/s .*"),
        lines.get(3));
    checkLatency(lines.get(4), "send latency (to OK)", 2);
    checkLatency(lines.get(5), "delivery latency (timestamp to log)", 3);

    alice.proc.writeLine("quit");
    String bye = alice.nextResult(ProcessFixture.COMMAND_TIMEOUT, "quit");
    assertEquals("OK bye", bye);
    List<String> out = alice.proc.stdoutLines();
    int byeAt = out.lastIndexOf("OK bye");
    assertEquals(
        lines.subList(0, 3), out.subList(byeAt - 6, byeAt - 3), "the figures again on quit");
    assertEquals(0, alice.proc.awaitExit(Duration.ofSeconds(15)));
  }

  private static void checkLatency(String line, String what, int samples) {
    Matcher m = LATENCY.matcher(line);
    assertTrue(m.matches(), line);
    assertEquals(what, m.group(1));
    assertTrue(
        Double.parseDouble(m.group(2)) <= Double.parseDouble(m.group(3)), "median <= p99: " + line);
    assertEquals(samples, Integer.parseInt(m.group(4)), line);
  }

  @Test
  void aLongCatchUpShowsItsProgress() {
    int n = 3000;
    Coordinator c = fx.startCoordinator("120");
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    bob.disconnect();

    StringBuilder many = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      many.append("msend m").append(i).append('\n');
    }
    alice.proc.writeRaw(many.toString()); // all at once: the console takes them one by one
    for (int i = 1; i <= n; i++) {
      String r = alice.nextResult(ProcessFixture.COMMAND_TIMEOUT, "msend m" + i);
      assertEquals("OK sent #" + i + " to main", r);
    }

    int mark = bob.mark();
    bob.reconnect(0);
    bob.awaitLog(n, Duration.ofSeconds(60));
    ProcessFixture.await(
        ProcessFixture.DELIVERY_TIMEOUT,
        "caught up notice; notices so far " + bob.noticesSince(mark),
        () -> bob.noticesSince(mark).stream().anyMatch(l -> l.startsWith("caught up: ")));
    List<String> progress = new ArrayList<>();
    for (String l : bob.noticesSince(mark)) {
      if (l.startsWith("catching up: ") || l.startsWith("caught up: ")) progress.add(l);
    }
    assertTrue(progress.size() >= 2, progress.toString());
    for (String l : progress.subList(0, progress.size() - 1)) {
      Matcher m = Pattern.compile("^catching up: (\\d+) of " + n + "$").matcher(l);
      assertTrue(m.matches(), l + " in " + progress);
      assertTrue(Long.parseLong(m.group(1)) < n, l);
    }
    String last = progress.get(progress.size() - 1);
    assertTrue(last.matches("^caught up: " + n + " messages in [0-9]+\\.[0-9] s$"), last);
    assertEquals(n, bob.logOf("main").size(), "every message once");

    // a short catch-up says nothing
    bob.disconnect();
    alice.msend("one more");
    int mark2 = bob.mark();
    bob.reconnect(0);
    bob.awaitText("one more");
    alice.msend("barrier");
    bob.awaitText("barrier");
    assertTrue(
        bob.noticesSince(mark2).stream().noneMatch(l -> l.contains("catching up")),
        bob.noticesSince(mark2).toString());
  }

  @Test
  void startUpIsQuietAndTheParticipantLogsToAFileBesideItsMessageLog() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    alice.register(0);
    alice.msend("hi");
    alice.awaitLog(1);
    assertEquals("OK bye", alice.command("quit"));
    alice.proc.awaitExit(Duration.ofSeconds(15));
    c.stop();

    assertTrue(c.listeningLine.startsWith("tempocast coordinator listening on "));
    assertEquals(
        c.listeningLine, c.proc.stdoutLines().get(0), "the coordinator's first word is its own");
    for (ProcessFixture.Proc p : List.of(c.proc, alice.proc)) {
      String all = String.join("\n", p.stdoutLines()) + "\n" + p.stderr();
      assertFalse(all.contains("SLF4J"), p.name + " printed SLF4J lines:\n" + all);
    }
    for (String l : alice.proc.stderr().split("\n")) {
      assertTrue(l.isBlank() || l.startsWith("Picked up "), "participant stderr: " + l);
    }
    for (String l : alice.proc.stdoutLines()) {
      assertFalse(
          l.matches("^\\d\\d:\\d\\d:\\d\\d.*(INFO|WARN|ERROR|DEBUG) .*"), "a log line: " + l);
    }
    Path log = alice.log.resolveSibling("alice.log.participant.log");
    assertTrue(Files.isRegularFile(log), "participant log " + log);
  }
}
