package tempocast.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tempocast.protocol.Reply;

/** The names and labels /metrics exposes, and the cap on per-group labels. */
class MetricsTest {

  private static final Pattern SAMPLE = Pattern.compile("^([a-z_:][a-z0-9_:]*)(\\{[^}]*})? (.+)$");

  @Test
  void exposesTempocastJvmAndProcessMetricsUnderPrometheusNames() {
    try (Metrics m = Metrics.prometheus(10)) {
      m.journalSize(() -> 4096);
      String text = m.scrape();
      for (String name :
          List.of(
              "tempocast_messages_stored_total",
              "tempocast_deliveries_sent_total",
              "tempocast_deliveries_acknowledged_total",
              "tempocast_messages_pruned_total",
              "tempocast_heartbeat_timeouts_total",
              "tempocast_reconnections_total{kind=\"reconnect\"}",
              "tempocast_reconnections_total{kind=\"reattach\"}",
              "tempocast_msend_refused_total{reason=\"not-online\"}",
              "tempocast_msend_latency_seconds_bucket{le=\"0.001\"}",
              "tempocast_delivery_latency_seconds_bucket{le=\"+Inf\"}",
              "tempocast_members{state=\"registered\"}",
              "tempocast_members{state=\"lagging\"}",
              "tempocast_journal_size_bytes 4096",
              "jvm_memory_used_bytes",
              "jvm_threads_live_threads",
              "process_cpu_usage",
              "process_uptime_seconds")) {
        assertTrue(text.contains(name), () -> name + " missing from\n" + text);
      }
      // Conventions: every tempocast sample is a counter (_total), a histogram in seconds, a
      // gauge in a base unit, or the members gauge.
      for (String line : text.split("\n")) {
        Matcher s = SAMPLE.matcher(line);
        if (line.startsWith("#") || !s.matches() || !s.group(1).startsWith("tempocast_")) {
          continue;
        }
        String n = s.group(1);
        assertTrue(
            n.endsWith("_total")
                || n.matches("tempocast_[a-z_]+_seconds(_bucket|_count|_sum|_max)")
                || n.endsWith("_bytes")
                || n.equals("tempocast_members"),
            () -> "not a Prometheus-style name: " + line);
      }
    }
  }

  @Test
  void hooksMoveTheirCountersGlobalAndPerGroup() {
    try (Metrics m = Metrics.prometheus(10)) {
      Metrics.GroupMeters main = m.group("main");
      main.stored(3);
      main.acknowledged(5);
      main.deliveredToAll(12);
      m.deliverySent();
      m.msendAnswered(new Reply.Sent("main", 1), System.nanoTime() - 2_000_000);
      m.msendAnswered(new Reply.Error(Reply.ErrorCode.NOT_ONLINE, "offline"), 0);
      m.reconnected(true);
      m.pruned(7);
      m.members(Metrics.MemberState.ONLINE, 2);
      String text = m.scrape();
      assertEquals(3.0, value(text, "tempocast_messages_stored_total"));
      assertEquals(3.0, value(text, "tempocast_group_messages_stored_total{group=\"main\"}"));
      assertEquals(5.0, value(text, "tempocast_deliveries_acknowledged_total"));
      assertEquals(
          5.0, value(text, "tempocast_group_deliveries_acknowledged_total{group=\"main\"}"));
      assertEquals(1.0, value(text, "tempocast_deliveries_sent_total"));
      assertEquals(1.0, value(text, "tempocast_msend_latency_seconds_count"));
      assertEquals(0.0, value(text, "tempocast_msend_latency_seconds_bucket{le=\"0.001\"}"));
      assertEquals(1.0, value(text, "tempocast_msend_latency_seconds_bucket{le=\"0.005\"}"));
      assertEquals(1.0, value(text, "tempocast_delivery_latency_seconds_count"));
      assertEquals(1.0, value(text, "tempocast_msend_refused_total{reason=\"not-online\"}"));
      assertEquals(0.0, value(text, "tempocast_msend_refused_total{reason=\"not-member\"}"));
      assertEquals(1.0, value(text, "tempocast_reconnections_total{kind=\"reattach\"}"));
      assertEquals(7.0, value(text, "tempocast_messages_pruned_total"));
      assertEquals(2.0, value(text, "tempocast_members{state=\"online\"}"));
    }
  }

  @Test
  void groupLabelsAreCappedInboxesShareOneAndLaterGroupsShareOther() {
    try (Metrics m = Metrics.prometheus(3)) {
      Metrics.GroupMeters a = m.group("a");
      for (String g : List.of("b", "c", "d", "e", "f")) {
        m.group(g).stored(1);
      }
      m.group("@alice").stored(1);
      m.group("@bob").stored(1);
      assertSame(a, m.group("a"), "a group keeps its label, also past the cap");
      assertSame(m.group("d"), m.group("e"), "groups past the cap share one set of meters");
      String text = m.scrape();
      assertEquals(
          Set.of("a", "b", "c", Metrics.OTHER, Metrics.INBOXES),
          labels(text, "tempocast_group_messages_stored_total"));
      assertEquals(
          3.0,
          value(text, "tempocast_group_messages_stored_total{group=\"" + Metrics.OTHER + "\"}"));
      assertEquals(
          2.0,
          value(text, "tempocast_group_messages_stored_total{group=\"" + Metrics.INBOXES + "\"}"));
    }
  }

  @Test
  void disabledMetricsExposeNothingAndCostNothing() {
    try (Metrics m = Metrics.disabled()) {
      m.group("main").stored(1);
      m.deliverySent();
      assertEquals("", m.scrape());
      assertEquals(0.0, m.storedTotal());
    }
  }

  private static double value(String text, String series) {
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError(series + " missing from\n" + text);
  }

  private static Set<String> labels(String text, String name) {
    Set<String> out = new TreeSet<>();
    Matcher m =
        Pattern.compile("^" + name + "\\{group=\"([^\"]*)\"}", Pattern.MULTILINE).matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
