package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import tempocast.it.LogChecker.Report;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/**
 * Fault injection with real processes: SIGKILL of the coordinator in the middle of a steady stream
 * of msends from several senders, SIGKILL of a participant in the middle of receiving, SIGKILL of
 * the coordinator while a member catches up a backlog, and a participant stuck with SIGSTOP. After
 * each, every message log is checked with {@link LogChecker}: every acknowledged message exactly
 * once in every log owed it, in one order, each sender's in its send order; an unacknowledged one
 * in all or none.
 *
 * <p>Short by default (part of {@code mvn verify}); {@code scripts/chaos --long} sets {@code
 * chaos.rounds} (faults per scenario), {@code chaos.sendMillis} (sending between faults) and {@code
 * chaos.backlog}. Each scenario prints one {@code CHAOS} summary line: faults injected, messages
 * checked, violations.
 */
class ChaosIT extends ItBase {

  /** Faults injected per scenario. */
  static final int ROUNDS = Integer.getInteger("chaos.rounds", 1);

  /** Milliseconds of steady sending before, between and after the faults. */
  static final long SEND_MILLIS = Long.getLong("chaos.sendMillis", 2000);

  /** Messages waiting for the member that catches up. */
  static final int BACKLOG = Integer.getInteger("chaos.backlog", 3000);

  /** msend round trips of the others while one participant is stuck must stay under this. */
  static final Duration STUCK_RTT_LIMIT = Duration.ofSeconds(2);

  /** ... and so must the time for the others' messages to reach the others' logs. */
  static final Duration STUCK_DELIVERY_LIMIT = Duration.ofSeconds(2);

  static final int HEARTBEAT_TIMEOUT_S = 2;

  /** Waiting for the final barrier message in every log (a backlog may still be draining). */
  static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(60);

  /** A bound for one scenario: generous, but every wait inside is bounded anyway. */
  static Duration budget() {
    return Duration.ofSeconds(90 + ROUNDS * (30 + 4 * SEND_MILLIS / 1000));
  }

  // ================================================================== scenarios

  @Test
  void coordinatorSigkillMidStream() {
    assertTimeoutPreemptively(
        budget(),
        () -> {
          Coordinator c = fx.startCoordinator("60");
          List<Participant> ps = fx.startAndRegister(c, "p1", "p2", "p3");
          LogChecker chk = new LogChecker();
          List<Sender> senders = senders(ps, chk, "");
          for (Sender s : senders) s.start();
          for (int round = 1; round <= ROUNDS; round++) {
            awaitProgress(senders, SEND_MILLIS, "before coordinator kill " + round);
            c.kill(); // SIGKILL while all three are sending
            ProcessFixture.sleepQuietly(300);
            c = fx.restart(c);
          }
          awaitProgress(senders, SEND_MILLIS, "after the last coordinator restart");
          stopAll(senders);
          finish(
              "coordinator-sigkill-mid-stream",
              ROUNDS + " x SIGKILL coordinator + restart",
              senders,
              ps,
              List.of(),
              chk,
              "");
        });
  }

  @Test
  void participantSigkillMidReceive() {
    assertTimeoutPreemptively(
        budget(),
        () -> {
          Coordinator c = fx.startCoordinator("60");
          List<Participant> ps = new ArrayList<>(fx.startAndRegister(c, "p1", "p2", "victim"));
          LogChecker chk = new LogChecker();
          List<Sender> senders = senders(ps.subList(0, 2), chk, "");
          for (Sender s : senders) s.start();
          int reconnectRetries = 0;
          String stranded = null; // a victim that could not get back online
          for (int round = 1; round <= ROUNDS && stranded == null; round++) {
            Participant victim = ps.get(2);
            long before = logSize(victim);
            awaitProgress(senders, SEND_MILLIS, "before participant kill " + round);
            assertTrue(logSize(victim) > before, "victim receives before the kill");
            victim.kill(); // SIGKILL in the middle of receiving the stream
            ProcessFixture.sleepQuietly(200);
            Participant again = fx.restart(victim);
            ps.set(2, again);
            int retries = reconnect(again, victim.lastPort);
            if (retries < 0) {
              stranded =
                  "after kill "
                      + round
                      + " 'reconnect "
                      + victim.lastPort
                      + "' never succeeded (last ["
                      + again.proc.stdoutLines().get(again.proc.stdoutLines().size() - 1)
                      + "])";
            } else {
              reconnectRetries += retries;
            }
          }
          awaitProgress(senders, SEND_MILLIS, "after the last participant restart");
          stopAll(senders);
          // a stranded victim is still owed everything: the check names what it lost
          finish(
              "participant-sigkill-mid-receive",
              ROUNDS + " x SIGKILL participant + restart + reconnect",
              senders,
              stranded == null ? ps : ps.subList(0, 2),
              List.of(),
              stranded == null ? List.of() : List.of(ps.get(2)),
              chk,
              "reconnect retries "
                  + reconnectRetries
                  + (stranded == null ? "" : "; victim STRANDED: " + stranded));
        });
  }

  @Test
  void coordinatorSigkillDuringCatchUp() {
    assertTimeoutPreemptively(
        budget(),
        () -> {
          Coordinator c = fx.startCoordinator("600");
          List<Participant> ps = fx.startAndRegister(c, "p1", "p2", "late");
          Participant late = ps.get(2);
          LogChecker chk = new LogChecker();
          // ~300-byte messages, so that catching up takes a moment
          List<Sender> senders = senders(ps.subList(0, 2), chk, " " + "x".repeat(280));
          late.disconnect();
          long t0 = System.nanoTime();
          for (Sender s : senders) s.start();
          ProcessFixture.await(
              Duration.ofSeconds(Math.max(60, BACKLOG / 100)),
              BACKLOG + " messages sent while 'late' is away",
              () -> chk.ackedCount() >= BACKLOG || anyFailed(senders));
          stopAll(senders);
          long backlogMillis = (System.nanoTime() - t0) / 1_000_000;
          int backlog = chk.ackedCount();
          long full = logSize(ps.get(0));

          late.reconnect(0); // starts catching up ...
          for (Sender s : senders) s.start(); // ... while live messages keep coming
          List<String> at = new ArrayList<>();
          for (int round = 1; round <= ROUNDS; round++) {
            long target = full * round / (ROUNDS + 2);
            ProcessFixture.await(
                Duration.ofSeconds(30),
                "'late' catching up past " + target + " bytes",
                () -> logSize(late) >= target);
            c.kill(); // SIGKILL in the middle of the catch-up
            at.add(late.logLines().size() + "/" + backlog);
            c = fx.restart(c);
          }
          awaitProgress(senders, SEND_MILLIS, "after the last coordinator restart");
          stopAll(senders);
          finish(
              "coordinator-sigkill-during-catch-up",
              ROUNDS + " x SIGKILL coordinator + restart",
              senders,
              ps,
              List.of(),
              chk,
              "backlog "
                  + backlog
                  + " msgs (sent in "
                  + backlogMillis
                  + " ms), killed with 'late' at "
                  + at);
        });
  }

  @Test
  void stuckParticipantDoesNotSlowTheOthers() {
    assertTimeoutPreemptively(
        budget(),
        () -> {
          int port = ProcessFixture.freePort();
          Path cfg =
              fx.writeFile(
                  "coordinator-stuck.cfg",
                  port
                      + "\n60\ndata-dir = "
                      + tmp.resolve("coordinator-data-" + port)
                      + "\nheartbeat-timeout = "
                      + HEARTBEAT_TIMEOUT_S
                      + "\n");
          Coordinator c = fx.startCoordinator(cfg, port);
          List<Participant> ps = fx.startAndRegister(c, "p1", "p2", "stuck");
          Participant stuck = ps.get(2);
          List<Participant> others = ps.subList(0, 2);
          LogChecker chk = new LogChecker();
          List<Sender> senders = senders(others, chk, "");
          for (Sender s : senders) s.start();
          awaitProgress(senders, SEND_MILLIS / 2, "before SIGSTOP");

          long stopAt = System.nanoTime();
          signal(stuck, "STOP");
          long maxDeliveryNanos = 0;
          int deliveryProbes = 0;
          try {
            // stuck past the heartbeat timeout: the coordinator must take it offline, and meanwhile
            // the
            // others' msends and deliveries must go on as before
            long until =
                stopAt
                    + TimeUnit.SECONDS.toNanos(HEARTBEAT_TIMEOUT_S + 3)
                    + TimeUnit.MILLISECONDS.toNanos(SEND_MILLIS);
            while (System.nanoTime() < until && !anyFailed(senders)) {
              long want = chk.maxAckedSeq();
              long t = System.nanoTime();
              for (Participant p : others) {
                awaitSeq(p, want, Duration.ofSeconds(20));
              }
              maxDeliveryNanos = Math.max(maxDeliveryNanos, System.nanoTime() - t);
              deliveryProbes++;
              ProcessFixture.sleepQuietly(200);
            }
          } finally {
            signal(stuck, "CONT");
          }
          long contAt = System.nanoTime();
          long maxRttStuck = 0;
          int sendsWhileStuck = 0;
          int errorsWhileStuck = 0;
          for (Sender s : senders) {
            for (long[] a : s.attempts()) {
              if (a[0] >= stopAt && a[0] < contAt) {
                maxRttStuck = Math.max(maxRttStuck, a[1]);
                sendsWhileStuck++;
                if (a[2] == 0) errorsWhileStuck++;
              }
            }
          }
          awaitProgress(senders, SEND_MILLIS / 2, "after SIGCONT");
          stopAll(senders);

          // What the stuck one logged up to now must be a gap-free prefix (no duplicates, no
          // reordering).
          awaitQuiet(stuck);
          List<String> snapshot = stuck.logLines();
          chk.prefixLog(stuck.id + "@SIGCONT", snapshot, 1);

          // Then it must catch up by itself: the coordinator reaches its receiver again unasked,
          // and nobody types anything to it (finish() waits for its log to be complete).
          String recovery =
              "nothing typed; "
                  + stuck.proc.stdoutLines().stream()
                      .filter(l -> l.startsWith("coordinator connection"))
                      .toList();
          List<Participant> full = new ArrayList<>(others);
          full.add(stuck);
          String extra =
              String.format(
                  Locale.ROOT,
                  "stuck %.1f s (heartbeat-timeout %d s): %d msends of the others while stuck (%d not OK), max round trip %d ms; "
                      + "max delivery lag to the others %d ms over %d probes; stuck log at SIGCONT %d lines; recovery: %s",
                  (contAt - stopAt) / 1e9,
                  HEARTBEAT_TIMEOUT_S,
                  sendsWhileStuck,
                  errorsWhileStuck,
                  maxRttStuck / 1_000_000,
                  maxDeliveryNanos / 1_000_000,
                  deliveryProbes,
                  snapshot.size(),
                  recovery);
          finish(
              "stuck-participant",
              "SIGSTOP participant for "
                  + (HEARTBEAT_TIMEOUT_S + 3 + SEND_MILLIS / 1000)
                  + " s + SIGCONT",
              senders,
              full,
              List.of(),
              chk,
              extra);
          assertTrue(sendsWhileStuck > 0, "the others sent nothing while one was stuck: " + extra);
          assertTrue(
              errorsWhileStuck == 0, "the others' msends failed while one was stuck: " + extra);
          assertTrue(
              maxRttStuck < STUCK_RTT_LIMIT.toNanos(),
              "msend round trips slowed by a stuck participant: " + extra);
          assertTrue(
              maxDeliveryNanos < STUCK_DELIVERY_LIMIT.toNanos(),
              "deliveries to the others slowed: " + extra);
        });
  }

  // ================================================================== helpers

  private static List<Sender> senders(List<Participant> ps, LogChecker chk, String filler) {
    List<Sender> out = new ArrayList<>();
    for (Participant p : ps) out.add(new Sender(p, chk, filler));
    return out;
  }

  private static boolean anyFailed(List<Sender> senders) {
    for (Sender s : senders) if (s.failure != null) return true;
    return false;
  }

  /**
   * Lets the senders run for {@code millis}, then requires every one of them to have had an OK in
   * that time.
   */
  private static void awaitProgress(List<Sender> senders, long millis, String when) {
    long[] before = new long[senders.size()];
    for (int i = 0; i < before.length; i++) before[i] = senders.get(i).oks;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    long hard = deadline + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      checkFailures(senders);
      boolean all = true;
      for (int i = 0; i < before.length; i++) all &= senders.get(i).oks > before[i];
      long now = System.nanoTime();
      if (now >= deadline && all) return;
      if (now >= hard) {
        StringBuilder sb = new StringBuilder("no msend progress " + when + ":");
        for (Sender s : senders) sb.append("\n  ").append(s);
        fail(sb.toString());
      }
      ProcessFixture.sleepQuietly(50);
    }
  }

  private static void checkFailures(List<Sender> senders) {
    for (Sender s : senders) {
      if (s.failure != null) throw new AssertionError(s.p.id + "'s sender failed: " + s, s.failure);
    }
  }

  private static void stopAll(List<Sender> senders) {
    for (Sender s : senders) s.stop = true;
    for (Sender s : senders) s.join();
    checkFailures(senders);
  }

  /** SIGSTOP / SIGCONT to one process this test started, by its pid. */
  private static void signal(Participant p, String sig) {
    try {
      Process k =
          new ProcessBuilder("kill", "-" + sig, Long.toString(p.proc.pid())).inheritIO().start();
      if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0)
        fail("kill -" + sig + " " + p.proc.pid() + " failed");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * reconnect PORT after a restart; retried a few times (the coordinator may still hold the old
   * link). Returns the retries, or -1 if it never succeeded.
   */
  private static int reconnect(Participant p, int port) {
    for (int i = 0; i < 10; i++) {
      String r = p.command("reconnect " + port);
      if (r.startsWith("OK")) {
        p.checkReconnected(r, port);
        return i;
      }
      ProcessFixture.sleepQuietly(300);
    }
    return -1;
  }

  static long logSize(Participant p) {
    try {
      return Files.exists(p.log) ? Files.size(p.log) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Polls until {@code p}'s log holds a seq >= {@code seq} (logs are in seq order: its last line
   * suffices).
   */
  static void awaitSeq(Participant p, long seq, Duration timeout) {
    ProcessFixture.await(timeout, p.id + "'s log reaching #" + seq, () -> lastSeq(p) >= seq);
  }

  /** Waits until {@code p}'s log has not changed for 300 ms. */
  static void awaitQuiet(Participant p) {
    long[] last = {-1};
    ProcessFixture.await(
        Duration.ofSeconds(10),
        p.id + "'s log settling",
        () -> {
          ProcessFixture.sleepQuietly(300);
          long s = logSize(p);
          boolean same = s == last[0];
          last[0] = s;
          return same;
        });
  }

  static long lastSeq(Participant p) {
    List<String> lines = p.logLines();
    for (int i = lines.size() - 1; i >= 0; i--) {
      Matcher m = ProcessFixture.LOG_LINE.matcher(lines.get(i));
      if (m.matches()) return Long.parseLong(m.group(3));
    }
    return 0;
  }

  /**
   * Ends a scenario: a barrier message from the first sender (retried with fresh texts until OK),
   * waits until it is in every log owed it (and until the stuck ones are quiet), checks all logs,
   * prints the CHAOS summary line and fails on any violation.
   */
  private Report finish(
      String scenario,
      String faults,
      List<Sender> senders,
      List<Participant> full,
      List<Participant> prefix,
      LogChecker chk,
      String extra) {
    return finish(scenario, faults, senders, full, prefix, List.of(), chk, extra);
  }

  /** {@code unreachable}: owed everything, but not waited for (they could not get back online). */
  private Report finish(
      String scenario,
      String faults,
      List<Sender> senders,
      List<Participant> full,
      List<Participant> prefix,
      List<Participant> unreachable,
      LogChecker chk,
      String extra) {
    long barrier = senders.get(0).sendUntilOk("barrier", 20);
    for (Participant p : full) awaitSeq(p, barrier, SETTLE_TIMEOUT);
    for (Participant p : prefix) awaitQuiet(p);
    for (Participant p : full) chk.log(p.id, p.logLines(), 1);
    for (Participant p : unreachable) chk.log(p.id, p.logLines(), 1);
    for (Participant p : prefix) chk.prefixLog(p.id, p.logLines(), 1);
    Report r = chk.check();
    int oks = 0;
    int errors = 0;
    long maxRtt = 0;
    for (Sender s : senders) {
      oks += s.oks;
      errors += s.errors;
      maxRtt = Math.max(maxRtt, s.maxRttNanos);
    }
    String line =
        "CHAOS "
            + scenario
            + ": faults "
            + faults
            + "; msends OK "
            + oks
            + ", ERROR "
            + errors
            + ", max round trip "
            + maxRtt / 1_000_000
            + " ms; "
            + r.summary()
            + (extra.isEmpty() ? "" : "; " + extra);
    System.out.println(line);
    if (!r.clean())
      fail(
          scenario
              + ": log check failed"
              + (extra.isEmpty() ? "" : " (" + extra + ")")
              + "\n"
              + r.details(30));
    return r;
  }

  // ================================================================== a sender

  /**
   * Drives one participant's console in a thread: msend after msend, each text unique, every
   * attempt recorded in the checker in send order (OK with its seq, or not acknowledged). After an
   * ERROR it pauses briefly and goes on with a new message.
   */
  static final class Sender {
    final Participant p;
    final LogChecker chk;
    final String filler;
    volatile boolean stop;
    volatile Throwable failure;
    volatile int oks;
    volatile int errors;
    volatile long maxRttNanos;
    volatile String lastError = "";
    private final List<long[]> attempts =
        new ArrayList<>(); // {start nanos, round trip nanos, 1 if OK else 0}
    private int n;
    private Thread thread;

    Sender(Participant p, LogChecker chk, String filler) {
      this.p = p;
      this.chk = chk;
      this.filler = filler;
    }

    void start() {
      stop = false;
      thread = new Thread(this::loop, "chaos-sender-" + p.id);
      thread.setDaemon(true);
      thread.start();
    }

    void join() {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(40)); // at most one command (bounded by its timeout)
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (thread.isAlive()) fail(p.id + "'s sender did not stop: " + this);
    }

    synchronized List<long[]> attempts() {
      return new ArrayList<>(attempts);
    }

    private void loop() {
      long hardStop = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
      try {
        while (!stop && System.nanoTime() < hardStop) {
          if (sendOnce(p.id + " m" + n) == null) ProcessFixture.sleepQuietly(100);
        }
      } catch (Throwable t) {
        failure = t;
      }
    }

    /** One msend with a fresh text; records it; returns its seq, or null if not acknowledged. */
    Long sendOnce(String tag) {
      String text = tag + " #" + (n++) + filler;
      long t0 = System.nanoTime();
      String r;
      try {
        r = p.command("msend " + text);
      } catch (Throwable t) {
        chk.unacked(p.id, text);
        throw t;
      }
      long rtt = System.nanoTime() - t0;
      Matcher m = ProcessFixture.SENT.matcher(r);
      if (m.matches()) {
        long seq = Long.parseLong(m.group(1));
        chk.acked(p.id, text, seq);
        synchronized (this) {
          attempts.add(new long[] {t0, rtt, 1});
        }
        maxRttNanos = Math.max(maxRttNanos, rtt);
        oks++;
        return seq;
      }
      chk.unacked(p.id, text);
      synchronized (this) {
        attempts.add(new long[] {t0, rtt, 0});
      }
      errors++;
      lastError = r;
      return null;
    }

    /** From the test thread once the loop has stopped. */
    long sendUntilOk(String tag, int attempts) {
      for (int i = 0; i < attempts; i++) {
        Long s = sendOnce(tag);
        if (s != null) return s;
        ProcessFixture.sleepQuietly(300);
      }
      fail(
          p.id
              + ": no OK for a msend in "
              + attempts
              + " attempts, last: "
              + lastError
              + "\n"
              + p.proc.describe());
      return -1;
    }

    @Override
    public String toString() {
      return p.id
          + ": "
          + oks
          + " OK, "
          + errors
          + " ERROR (last ["
          + lastError
          + "]), max round trip "
          + maxRttNanos / 1_000_000
          + " ms"
          + (failure == null ? "" : ", failed: " + failure);
    }
  }
}
