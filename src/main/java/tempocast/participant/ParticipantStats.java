package tempocast.participant;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What this participant sent and received since it started, for the console's {@code stats}:
 * counts, bytes (of message texts, UTF-8), send throughput, and two latencies: from a {@code msend}
 * or {@code send} leaving to its {@code OK}, and from a message's coordinator timestamp to its line
 * being written and flushed to the log. Updated from any thread without locks.
 */
public final class ParticipantStats {
  private final LongAdder sentBytes = new LongAdder();
  private final LongAdder receivedBytes = new LongAdder();
  private final AtomicLong firstSendNanos = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong lastOkNanos = new AtomicLong(Long.MIN_VALUE);
  private final LatencyRecorder sendLatency = new LatencyRecorder();
  private final LatencyRecorder deliveryLatency = new LatencyRecorder();

  /**
   * A message of {@code bytes} was stored: its send started at {@code startNanos}, its OK came at
   * {@code okNanos} ({@link System#nanoTime}).
   */
  public void sent(long bytes, long startNanos, long okNanos) {
    sentBytes.add(bytes);
    firstSendNanos.compareAndSet(Long.MIN_VALUE, startNanos);
    lastOkNanos.accumulateAndGet(okNanos, Math::max);
    sendLatency.record((okNanos - startNanos) / 1000);
  }

  /**
   * A message of {@code bytes} was written to the log {@code latencyMicros} after its timestamp.
   */
  public void received(long bytes, long latencyMicros) {
    receivedBytes.add(bytes);
    deliveryLatency.record(latencyMicros);
  }

  /** The lines {@code stats} prints, none starting with OK or ERROR. */
  public List<String> lines() {
    // the counts are the recorders' own, so that a line never counts more samples than messages
    long s = sendLatency.count();
    long r = deliveryLatency.count();
    List<String> out = new ArrayList<>();
    out.add("sent " + s + " messages, " + sentBytes.sum() + " bytes");
    out.add("received " + r + " messages, " + receivedBytes.sum() + " bytes");
    out.add("exchanged " + (s + r) + " messages");
    long first = firstSendNanos.get();
    long last = lastOkNanos.get();
    if (s == 0) {
      out.add("send throughput: nothing sent");
    } else {
      double seconds = Math.max(1e-6, (last - first) / 1e9);
      out.add(
          String.format(
              Locale.ROOT,
              "send throughput %.1f messages/s, %.0f bytes/s (first send to last OK, %.3f s)",
              s / seconds,
              sentBytes.sum() / seconds,
              seconds));
    }
    out.add(latencyLine("send latency (to OK)", sendLatency, s));
    out.add(latencyLine("delivery latency (timestamp to log)", deliveryLatency, r));
    return out;
  }

  private static String latencyLine(String what, LatencyRecorder rec, long n) {
    if (n == 0) {
      return what + ": no samples";
    }
    return what
        + " median "
        + millis(rec.percentile(0.5))
        + " ms, p99 "
        + millis(rec.percentile(0.99))
        + " ms, "
        + n
        + " samples";
  }

  static String millis(long micros) {
    return String.format(Locale.ROOT, micros < 10_000 ? "%.2f" : "%.1f", micros / 1000.0);
  }

  /** The length of {@code s} in UTF-8, without encoding it. */
  public static long utf8Length(CharSequence s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
