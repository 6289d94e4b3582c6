package tempocast.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import tempocast.it.ProcessFixture.Participant;

/**
 * Drives one participant's console from a thread: one command after another, each waiting for its
 * result, taking its targets in turn ({@code msend} to the current group, {@code send ID} to an
 * inbox), each text unique. Every attempt goes to its target's {@link LogChecker} in send order:
 * acknowledged with the seq of its {@code OK sent #SEQ to TARGET}, or not (an ERROR, no answer). As
 * {@link ChaosIT}'s sender, for several sequence spaces, with a reply timeout long enough for a
 * command that is sent again while a cluster's coordinator role moves.
 */
final class LoadSender {

  /**
   * Where one attempt goes: {@code command} is the console command before the text ({@code "msend
   * "}, {@code "send bob "}), {@code space} what its OK names ({@code main}, {@code @bob}).
   */
  record Target(String command, String space, LogChecker checker) {}

  final Participant p;
  private final List<Target> targets;
  private final Duration replyTimeout;
  private volatile boolean stop;
  private volatile Throwable failure;
  private volatile int oks;
  private volatile long maxRttNanos;
  private volatile long inFlightSince; // System.nanoTime() the command in flight went out, or 0
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private int n;
  private Thread thread;

  LoadSender(Participant p, Duration replyTimeout, Target... targets) {
    this.p = p;
    this.replyTimeout = replyTimeout;
    this.targets = List.of(targets);
  }

  void start() {
    stop = false;
    thread = new Thread(this::loop, "load-" + p.id);
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops after the command in flight has its result; fails if that does not come. */
  void stop() {
    stop = true;
    try {
      thread.join(replyTimeout.plusSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) fail(p.id + "'s sender did not stop: " + this);
    checkFailure();
  }

  int oks() {
    return oks;
  }

  /** The ERROR lines (and missing answers) so far, each with its command. */
  List<String> errors() {
    return List.copyOf(errors);
  }

  /** How long the command in flight has waited for its result; 0 if none is in flight. */
  long waitingMillis() {
    long since = inFlightSince;
    return since == 0 ? 0 : (System.nanoTime() - since) / 1_000_000;
  }

  long maxRttMillis() {
    return maxRttNanos / 1_000_000;
  }

  void checkFailure() {
    if (failure != null) throw new AssertionError(p.id + "'s sender failed: " + this, failure);
  }

  private void loop() {
    long hardStop = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    try {
      while (!stop && System.nanoTime() < hardStop) {
        Target t = targets.get(n % targets.size());
        if (sendOnce(t, p.id + " m") == null) ProcessFixture.sleepQuietly(100);
      }
    } catch (Throwable e) {
      failure = e;
    }
  }

  /** One command with a fresh text to {@code t}; records it; its seq, or null if not OK. */
  Long sendOnce(Target t, String tag) {
    String text = tag + (n++) + " to " + t.space();
    String cmd = t.command() + text;
    long t0 = System.nanoTime();
    String r;
    inFlightSince = t0;
    try {
      p.proc.writeLine(cmd);
      r = p.nextResult(replyTimeout, cmd);
      inFlightSince = 0;
    } catch (Throwable e) {
      t.checker().unacked(p.id, text);
      errors.add(cmd + " -> no answer");
      throw e;
    }
    long rtt = System.nanoTime() - t0;
    Matcher m = ProcessFixture.SENT.matcher(r);
    if (m.matches() && m.group(2).equals(t.space())) {
      long seq = Long.parseLong(m.group(1));
      t.checker().acked(p.id, text, seq);
      maxRttNanos = Math.max(maxRttNanos, rtt);
      oks++;
      return seq;
    }
    t.checker().unacked(p.id, text);
    if (m.matches()) fail(cmd + " -> [" + r + "]: acknowledged for another target");
    errors.add(cmd + " -> " + r);
    return null;
  }

  /** From the test's thread once the loop has stopped: sends to {@code t} until one is OK. */
  long sendUntilOk(Target t, String tag, int attempts) {
    for (int i = 0; i < attempts; i++) {
      Long s = sendOnce(t, tag);
      if (s != null) return s;
      ProcessFixture.sleepQuietly(300);
    }
    fail(p.id + ": no OK in " + attempts + " attempts: " + this + "\n" + p.proc.describe());
    return -1;
  }

  /** Waits until each sender has {@code more} further OKs, failing early if one failed. */
  static void awaitProgress(List<LoadSender> senders, int more, Duration timeout, String when) {
    int[] base = new int[senders.size()];
    for (int i = 0; i < base.length; i++) base[i] = senders.get(i).oks;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean all = true;
      for (int i = 0; i < base.length; i++) {
        senders.get(i).checkFailure();
        all &= senders.get(i).oks >= base[i] + more;
      }
      if (all) return;
      if (System.nanoTime() - deadline > 0) {
        fail(
            "timed out after "
                + timeout.toMillis()
                + " ms waiting for "
                + more
                + " more OKs for every sender "
                + when
                + ": "
                + senders);
      }
      ProcessFixture.sleepQuietly(ProcessFixture.POLL_MILLIS);
    }
  }

  /** Stops them all (at once: each finishes its command in flight). */
  static void stopAll(List<LoadSender> senders) {
    for (LoadSender s : senders) s.stop = true;
    for (LoadSender s : senders) s.stop();
  }

  /** The lines of {@code p}'s log in sequence space {@code space}: what its checker reads. */
  static List<String> linesOf(Participant p, String space) {
    return p.logOf(space).stream().map(ProcessFixture.LogEntry::raw).toList();
  }

  @Override
  public String toString() {
    List<String> last = new ArrayList<>(errors);
    return p.id
        + ": "
        + oks
        + " OK, "
        + last.size()
        + " not OK"
        + (last.isEmpty() ? "" : " (last [" + last.get(last.size() - 1) + "])")
        + ", max round trip "
        + maxRttMillis()
        + " ms"
        + (failure == null ? "" : ", failed: " + failure);
  }
}
