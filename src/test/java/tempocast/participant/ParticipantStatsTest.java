package tempocast.participant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParticipantStatsTest {

  @Test
  void nothingYet() {
    List<String> lines = new ParticipantStats().lines();
    assertEquals(
        List.of(
            "sent 0 messages, 0 bytes",
            "received 0 messages, 0 bytes",
            "exchanged 0 messages",
            "send throughput: nothing sent",
            "send latency (to OK): no samples",
            "delivery latency (timestamp to log): no samples"),
        lines);
  }

  @Test
  void countsBytesThroughputAndLatencies() {
    ParticipantStats s = new ParticipantStats();
    long t0 = 1_000_000_000L;
    s.sent(10, t0, t0 + 2_000_000); // 2 ms
    s.sent(30, t0 + 500_000_000, t0 + 1_000_000_000); // 500 ms; last OK 1 s after the first send
    s.received(7, 1_500); // 1.5 ms
    List<String> lines = s.lines();
    assertEquals("sent 2 messages, 40 bytes", lines.get(0));
    assertEquals("received 1 messages, 7 bytes", lines.get(1));
    assertEquals("exchanged 3 messages", lines.get(2));
    assertEquals(
        "send throughput 2.0 messages/s, 40 bytes/s (first send to last OK, 1.000 s)",
        lines.get(3));
    assertTrue(
        lines
            .get(4)
            .matches(
                "send latency \\(to OK\\) median 2\\.\\d\\d ms, p99 49\\d\\.\\d ms, 2 samples"),
        lines.get(4));
    assertTrue(
        lines
            .get(5)
            .matches(
                "delivery latency \\(timestamp to log\\) median 1\\.\\d\\d ms, p99 1\\.\\d\\d ms, 1 samples"),
        lines.get(5));
    for (String l : lines) {
      assertTrue(!l.startsWith("OK") && !l.startsWith("ERROR"), l);
    }
  }

  @Test
  void utf8LengthMatchesTheEncoding() {
    for (String t : new String[] {"", "abc", "é", "€uro", "🎉 party", "a\tb"}) {
      assertEquals(t.getBytes(StandardCharsets.UTF_8).length, ParticipantStats.utf8Length(t), t);
    }
  }
}
