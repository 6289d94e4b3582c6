package tempocast.participant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {

  @Test
  void emptyHasNoPercentiles() {
    LatencyRecorder r = new LatencyRecorder();
    assertEquals(0, r.count());
    assertEquals(-1, r.percentile(0.5));
  }

  @Test
  void smallValuesAreExact() {
    LatencyRecorder r = new LatencyRecorder();
    for (int v = 1; v <= 9; v++) {
      r.record(v);
    }
    assertEquals(5, r.percentile(0.5));
    assertEquals(9, r.percentile(0.99));
    assertEquals(1, r.percentile(0.0));
  }

  @Test
  void percentilesAreWithinThreePercentOfTheTrueOnes() {
    LatencyRecorder r = new LatencyRecorder();
    Random random = new Random(42);
    long[] values = new long[100_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = (long) Math.exp(random.nextDouble() * 20); // 1 µs to 5 s, log-uniform
      r.record(values[i]);
    }
    java.util.Arrays.sort(values);
    for (double q : new double[] {0.5, 0.9, 0.99, 0.999}) {
      long truth = values[(int) Math.ceil(q * values.length) - 1];
      long got = r.percentile(q);
      assertTrue(Math.abs(got - truth) <= truth / 32 + 1, q + ": " + got + " vs " + truth);
    }
    assertEquals(values.length, r.count());
  }

  @Test
  void negativeAndHugeValuesAreKept() {
    LatencyRecorder r = new LatencyRecorder();
    r.record(-5); // clocks apart
    r.record(Long.MAX_VALUE);
    assertEquals(2, r.count());
    assertEquals(0, r.percentile(0.5));
    assertTrue(r.percentile(1.0) > 1L << 40);
  }

  @Test
  void everyBucketMapsBackIntoItself() {
    for (long v = 0; v < 1 << 20; v += 7) {
      int b = LatencyRecorder.bucket(v);
      assertEquals(b, LatencyRecorder.bucket(LatencyRecorder.value(b)), "value " + v);
    }
  }
}
