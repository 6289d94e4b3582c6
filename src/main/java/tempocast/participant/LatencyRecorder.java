package tempocast.participant;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts latencies in microseconds in fixed buckets, for medians and percentiles without keeping
 * samples: values below 32 µs exactly, above that 16 buckets for each power of two, so that a
 * percentile is within 1/32 (about 3%) of a value actually recorded. Recording allocates nothing,
 * takes no lock and may happen on any thread; the table is 4.9 KB whatever the count.
 */
public final class LatencyRecorder {
  private static final int EXACT = 32; // 2^5
  private static final int SUB_BITS = 4;
  private static final int SUB = 1 << SUB_BITS;
  private static final int MAX_EXPONENT = 40; // 2^41 µs is 25 days: anything longer lands there
  private static final int BUCKETS = EXACT + (MAX_EXPONENT - 5 + 1) * SUB;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

  /** Records one latency; a negative one (clocks apart) counts as 0. */
  public void record(long micros) {
    counts.incrementAndGet(bucket(Math.max(0, micros)));
  }

  static int bucket(long v) {
    if (v < EXACT) {
      return (int) v;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(v); // 5 and up
    if (exponent > MAX_EXPONENT) {
      return BUCKETS - 1;
    }
    int sub = (int) (v >>> (exponent - SUB_BITS)) & (SUB - 1);
    return EXACT + (exponent - 5) * SUB + sub;
  }

  /** The middle of bucket {@code b}: a value within 1/32 of every value it holds. */
  static long value(int b) {
    if (b < EXACT) {
      return b;
    }
    int exponent = 5 + (b - EXACT) / SUB;
    int sub = (b - EXACT) % SUB;
    long width = 1L << (exponent - SUB_BITS);
    long low = (1L << exponent) + sub * width;
    return low + width / 2;
  }

  public long count() {
    long n = 0;
    for (int i = 0; i < BUCKETS; i++) {
      n += counts.get(i);
    }
    return n;
  }

  /**
   * The value at {@code quantile} (0.5 the median, 0.99 the 99th percentile): the smallest value
   * that at least that share of the recorded ones do not exceed; -1 if nothing was recorded.
   */
  public long percentile(double quantile) {
    long[] snapshot = new long[BUCKETS];
    long n = 0;
    for (int i = 0; i < BUCKETS; i++) {
      snapshot[i] = counts.get(i);
      n += snapshot[i];
    }
    if (n == 0) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(quantile * n));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += snapshot[i];
      if (seen >= rank) {
        return value(i);
      }
    }
    return value(BUCKETS - 1);
  }
}
