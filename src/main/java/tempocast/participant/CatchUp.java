package tempocast.participant;

import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The progress of a long catch-up on one delivery connection, for the console: the coordinator says
 * how many messages it owes ({@code OWED N}, before them); past {@link #THRESHOLD} the console
 * hears {@code catching up: N of M} at once and then at most once a second, and {@code caught up: M
 * messages in S s} when the last has been written to the log. Should the count never be reached (a
 * gap in the numbers after a storage failure), the coordinator's first heartbeat, sent only when it
 * has had nothing to send for a while, ends it with the number actually received. Called from the
 * connection's stream stages and their futures, hence synchronized.
 */
final class CatchUp {
  /** A catch-up of more messages than this shows its progress. */
  static final long THRESHOLD = 1000;

  private static final long PERIOD_NANOS = 1_000_000_000L;

  private final Consumer<String> notices;
  private final LongSupplier nanos;

  /** Owed on this connection so far; -1 once caught up (or never owed enough to show). */
  private long owed;

  private long received;
  private boolean showing;
  private long startNanos;
  private long lastShownNanos;

  CatchUp(Consumer<String> notices, LongSupplier nanos) {
    this.notices = notices;
    this.nanos = nanos;
  }

  /** The coordinator owes {@code n} more messages. */
  synchronized void owed(long n) {
    if (owed < 0) {
      return; // caught up already: what comes now is live
    }
    if (owed == 0 && received == 0) {
      startNanos = nanos.getAsLong();
    }
    owed += n;
    if (!showing && owed > THRESHOLD && received < owed) {
      showing = true;
      lastShownNanos = nanos.getAsLong();
      notices.accept("catching up: " + received + " of " + owed);
    }
  }

  /** {@code n} messages were written to the log. */
  synchronized void received(int n) {
    if (owed < 0) {
      return;
    }
    received += n;
    if (received >= owed && owed > 0) {
      finish(owed);
      return;
    }
    long now = nanos.getAsLong();
    if (showing && now - lastShownNanos >= PERIOD_NANOS) {
      lastShownNanos = now;
      notices.accept("catching up: " + received + " of " + owed);
    }
  }

  /** The coordinator had nothing to send for a while: whatever was owed has come. */
  synchronized void quiet() {
    if (showing && owed >= 0 && received > 0) {
      finish(received);
    }
  }

  private void finish(long n) {
    if (showing) {
      double seconds = (nanos.getAsLong() - startNanos) / 1e9;
      notices.accept(String.format(Locale.ROOT, "caught up: %d messages in %.1f s", n, seconds));
    }
    showing = false;
    owed = -1;
  }
}
