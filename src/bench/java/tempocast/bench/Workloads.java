package tempocast.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import tempocast.protocol.CommandCodec;

/**
 * W1, W2 and W3 as ../shared/bench/README.md defines them, run against a tempocast coordinator.
 * Senders are members of the group too (tempocast delivers to the sender as well), so the
 * coordinator fans out to receivers + senders; only the receivers' deliveries are counted.
 */
final class Workloads {
  static final class Config {
    int n = -1;
    int receivers = 10;
    int senders = 4;
    int window = 256;
    int warmupSeconds = 3;
    int durationSeconds = 15;
    int bodyBytes = 100;
    int drainSeconds = 45;
    int stallSeconds = 10;
  }

  private final int port;
  private final Config cfg;
  private final List<AutoCloseable> clients = new ArrayList<>();

  Workloads(int port, Config cfg) {
    this.port = port;
    this.cfg = cfg;
  }

  static final class Window {
    volatile long recvFrom = Long.MIN_VALUE;
    volatile long recvTo = Long.MAX_VALUE;
    volatile long sentFrom = Long.MIN_VALUE;
    volatile long sentTo = Long.MAX_VALUE;
  }

  /** Everything one receiver saw. */
  static final class Tally implements Consumer<long[]> {
    final BitSet[] seen;
    final Histogram latencyUs = new Histogram(TimeUnit.HOURS.toMicros(1), 3);
    final Window w;
    long unique;
    long dups;
    long inWindow;
    long lastNs;

    Tally(int senders, Window w) {
      this.w = w;
      seen = new BitSet[senders];
      for (int i = 0; i < senders; i++) {
        seen[i] = new BitSet();
      }
    }

    @Override
    public synchronized void accept(long[] f) {
      long now = System.nanoTime();
      int s = (int) f[0];
      int q = (int) f[1];
      long sent = f[2];
      lastNs = now;
      if (now >= w.recvFrom && now < w.recvTo) {
        inWindow++;
      }
      if (s < 0 || s >= seen.length || q < 0 || seen[s].get(q)) {
        dups++;
        return;
      }
      seen[s].set(q);
      unique++;
      if (sent >= w.sentFrom && sent < w.sentTo) {
        latencyUs.recordValue(
            Math.min(latencyUs.getHighestTrackableValue(), Math.max(0, (now - sent) / 1000)));
      }
    }

    synchronized long unique() {
      return unique;
    }
  }

  static final class Acked {
    final BitSet[] bits;
    final LongAdder inWindow = new LongAdder();
    final LongAdder errors = new LongAdder();

    Acked(int senders) {
      bits = new BitSet[senders];
      for (int i = 0; i < senders; i++) {
        bits[i] = new BitSet();
      }
    }

    void ok(int sender, int seq) {
      synchronized (bits[sender]) {
        bits[sender].set(seq);
      }
    }

    long count() {
      long c = 0;
      for (BitSet b : bits) {
        synchronized (b) {
          c += b.cardinality();
        }
      }
      return c;
    }
  }

  /** A sending member: MSENDs pipelined on one connection, replies matched in order. */
  final class Sender implements AutoCloseable {
    final int id;
    final Clients.CommandConnection conn;
    final ConcurrentLinkedQueue<Consumer<String>> callbacks = new ConcurrentLinkedQueue<>();
    final byte[] prefix;

    Sender(int id) throws IOException {
      this.id = id;
      String name = "s" + id;
      clients.add(new Clients.Member(name, port, f -> {}));
      conn = new Clients.CommandConnection(port);
      // The codec's MSEND line for an empty text (no message ID): the body is written after it.
      prefix = CommandCodec.msend(Clients.GROUP, name, null, "").getBytes(StandardCharsets.UTF_8);
      Thread reader =
          new Thread(
              () -> {
                try {
                  while (true) {
                    String reply = conn.in.readLine();
                    Consumer<String> cb = callbacks.poll();
                    if (cb != null) {
                      cb.accept(reply);
                    }
                  }
                } catch (IOException e) {
                  Consumer<String> cb;
                  while ((cb = callbacks.poll()) != null) {
                    cb.accept("ERROR closed");
                  }
                }
              },
              "replies-" + id);
      reader.setDaemon(true);
      reader.start();
    }

    void write(byte[] body, Consumer<String> onReply) throws IOException {
      callbacks.add(onReply);
      OutputStream out = conn.out;
      out.write(prefix);
      out.write(body);
      out.write('\n');
    }

    void flush() throws IOException {
      conn.out.flush();
    }

    @Override
    public void close() throws IOException {
      conn.close();
    }
  }

  Map<String, Object> w1() throws Exception {
    int n = cfg.n > 0 ? cfg.n : 20_000;
    Window w = new Window();
    Tally[] tallies = receivers(cfg.receivers, 1, w);
    Sender s = track(new Sender(0));
    Acked acked = new Acked(1);
    log("W1: " + n + " messages, one at a time, " + cfg.receivers + " receivers");
    long t0 = System.nanoTime();
    long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
    java.util.concurrent.SynchronousQueue<String> reply =
        new java.util.concurrent.SynchronousQueue<>();
    for (int seq = 0; seq < n && System.nanoTime() < deadline; seq++) {
      s.write(
          Body.make(0, seq, cfg.bodyBytes),
          r -> {
            try {
              reply.put(r);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      s.flush();
      String r = reply.poll(10, TimeUnit.SECONDS);
      if (r != null && r.startsWith("OK")) {
        acked.ok(0, seq);
      } else {
        acked.errors.increment();
        if (r == null || acked.errors.sum() > 100) {
          log("send failed: " + r);
          break;
        }
      }
    }
    long t1 = System.nanoTime();
    awaitDeliveries(tallies, acked.count());
    Map<String, Object> r = new LinkedHashMap<>();
    long got = 0;
    long last = t1;
    for (Tally t : tallies) {
      synchronized (t) {
        got += t.unique + t.dups;
        last = Math.max(last, t.lastNs);
      }
    }
    r.put("n_msgs", acked.count());
    r.put("acked_per_s", perSecond(acked.count(), t1 - t0));
    r.put("deliveries_per_s", perSecond(got, last - t0));
    putLatency(r, tallies, true);
    putChecks(r, tallies, acked);
    return r;
  }

  Map<String, Object> w2() throws Exception {
    int ns = cfg.senders;
    Window w = new Window();
    Tally[] tallies = receivers(cfg.receivers, ns, w);
    Sender[] senders = new Sender[ns];
    for (int i = 0; i < ns; i++) {
      senders[i] = track(new Sender(i));
    }
    Acked acked = new Acked(ns);
    log(
        "W2: "
            + ns
            + " senders x "
            + cfg.window
            + " in flight, "
            + cfg.receivers
            + " receivers, "
            + cfg.warmupSeconds
            + " s warm-up + "
            + cfg.durationSeconds
            + " s measured");
    long t0 = System.nanoTime();
    long from = t0 + TimeUnit.SECONDS.toNanos(cfg.warmupSeconds);
    long to = from + TimeUnit.SECONDS.toNanos(cfg.durationSeconds);
    w.recvFrom = from;
    w.recvTo = to;
    w.sentFrom = from;
    w.sentTo = to;
    Thread[] threads = new Thread[ns];
    for (int i = 0; i < ns; i++) {
      int id = i;
      threads[i] =
          new Thread(
              () -> pump(senders[id], cfg.window, to, Integer.MAX_VALUE, acked, from, to),
              "sender-" + i);
      threads[i].start();
    }
    for (Thread t : threads) {
      t.join(TimeUnit.NANOSECONDS.toMillis(to - t0) + 40_000);
    }
    long sendEnd = System.nanoTime();
    awaitDeliveries(tallies, acked.count());
    Map<String, Object> r = new LinkedHashMap<>();
    long inWin = 0;
    long last = sendEnd;
    for (Tally t : tallies) {
      synchronized (t) {
        inWin += t.inWindow;
        last = Math.max(last, t.lastNs);
      }
    }
    double secs = cfg.durationSeconds;
    r.put("n_msgs", acked.count());
    r.put("acked_per_s", round1(acked.inWindow.sum() / secs));
    r.put("deliveries_per_s", round1(inWin / secs));
    putLatency(r, tallies, true);
    putChecks(r, tallies, acked);
    r.put("drain_s", round3((last - sendEnd) / 1e9));
    return r;
  }

  Map<String, Object> w3() throws Exception {
    int m = cfg.n > 0 ? cfg.n : 200_000;
    Window w = new Window();
    Tally tally = new Tally(1, w);
    Clients.Member rcv = track(new Clients.Member("r0", port, tally));
    Tally[] tallies = {tally};
    rcv.goOffline();
    log("W3: receiver offline; publishing " + m + " messages with " + cfg.window + " in flight");
    Sender s = track(new Sender(0));
    Acked acked = new Acked(1);
    long t0 = System.nanoTime();
    pump(
        s, cfg.window, t0 + TimeUnit.SECONDS.toNanos(60), m, acked, Long.MIN_VALUE, Long.MAX_VALUE);
    long t1 = System.nanoTime();
    long total = acked.count();
    log("W3: " + total + " acked in " + round3((t1 - t0) / 1e9) + " s; receiver reconnects");
    long whileOffline = tally.unique();
    long tr = System.nanoTime();
    rcv.goOnline();
    awaitDeliveries(tallies, total);
    Map<String, Object> r = new LinkedHashMap<>();
    long got;
    long last;
    synchronized (tally) {
      got = tally.unique + tally.dups;
      last = tally.lastNs;
    }
    r.put("n_msgs", total);
    r.put("acked_per_s", perSecond(total, t1 - t0));
    r.put("deliveries_per_s", perSecond(got, last - tr));
    putLatency(r, tallies, false);
    r.put("catchup_per_s", perSecond(tally.unique(), last - tr));
    r.put("catchup_s", round3((last - tr) / 1e9));
    r.put("received_while_offline", whileOffline);
    putChecks(r, tallies, acked);
    return r;
  }

  /** Keeps up to {@code window} MSENDs in flight until {@code end} or {@code max} messages. */
  private void pump(Sender s, int window, long end, int max, Acked acked, long from, long to) {
    Semaphore inFlight = new Semaphore(window);
    try {
      int unflushed = 0;
      for (int seq = 0; seq < max && System.nanoTime() < end; seq++) {
        if (!inFlight.tryAcquire()) {
          s.flush();
          unflushed = 0;
          if (!inFlight.tryAcquire(10, TimeUnit.SECONDS)) {
            log("sender " + s.id + ": no ack for 10 s, stopping");
            break;
          }
        }
        int q = seq;
        s.write(
            Body.make(s.id, q, cfg.bodyBytes),
            reply -> {
              if (reply.startsWith("OK")) {
                acked.ok(s.id, q);
                long now = System.nanoTime();
                if (now >= from && now < to) {
                  acked.inWindow.increment();
                }
              } else {
                acked.errors.increment();
              }
              inFlight.release();
            });
        if (++unflushed >= 16) {
          s.flush();
          unflushed = 0;
        }
      }
      s.flush();
      if (!inFlight.tryAcquire(window, 30, TimeUnit.SECONDS)) {
        log("sender " + s.id + ": acks still outstanding after 30 s");
      }
    } catch (IOException e) {
      log("sender " + s.id + ": " + e.getMessage());
      acked.errors.increment();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Tally[] receivers(int count, int senders, Window w) throws IOException {
    Tally[] t = new Tally[count];
    for (int i = 0; i < count; i++) {
      t[i] = new Tally(senders, w);
      track(new Clients.Member("r" + i, port, t[i]));
    }
    return t;
  }

  private void awaitDeliveries(Tally[] tallies, long expected) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(cfg.drainSeconds);
    long lastSum = -1;
    long lastChange = start;
    while (System.nanoTime() < deadline) {
      long sum = 0;
      boolean done = true;
      for (Tally t : tallies) {
        long u = t.unique();
        sum += u;
        if (u < expected) {
          done = false;
        }
      }
      if (done) {
        return;
      }
      long now = System.nanoTime();
      if (sum != lastSum) {
        lastSum = sum;
        lastChange = now;
      } else if (now - lastChange > TimeUnit.SECONDS.toNanos(cfg.stallSeconds)) {
        log("deliveries stalled at " + sum + " of " + expected * tallies.length);
        return;
      }
      Thread.sleep(10);
    }
    log("gave up waiting for deliveries after " + cfg.drainSeconds + " s");
  }

  private static void putLatency(Map<String, Object> r, Tally[] tallies, boolean meaningful) {
    if (!meaningful) {
      r.put("p50_ms", null);
      r.put("p99_ms", null);
      r.put("p999_ms", null);
      return;
    }
    Histogram all = new Histogram(TimeUnit.HOURS.toMicros(1), 3);
    for (Tally t : tallies) {
      synchronized (t) {
        all.add(t.latencyUs);
      }
    }
    r.put("p50_ms", round3(all.getValueAtPercentile(50) / 1000.0));
    r.put("p99_ms", round3(all.getValueAtPercentile(99) / 1000.0));
    r.put("p999_ms", round3(all.getValueAtPercentile(99.9) / 1000.0));
    r.put("latency_samples", all.getTotalCount());
  }

  private static void putChecks(Map<String, Object> r, Tally[] tallies, Acked acked) {
    long missing = 0;
    long dups = 0;
    for (Tally t : tallies) {
      synchronized (t) {
        dups += t.dups;
        for (int s = 0; s < acked.bits.length; s++) {
          BitSet lost;
          synchronized (acked.bits[s]) {
            lost = (BitSet) acked.bits[s].clone();
          }
          lost.andNot(t.seen[s]);
          missing += lost.cardinality();
        }
      }
    }
    r.put("missing", missing);
    r.put("duplicates", dups);
    r.put("send_errors", acked.errors.sum());
  }

  private <T extends AutoCloseable> T track(T c) {
    clients.add(c);
    return c;
  }

  void closeAll() {
    for (AutoCloseable c : clients) {
      try {
        c.close();
      } catch (Exception e) {
        // best effort
      }
    }
  }

  static void log(String s) {
    System.err.println("[bench] " + s);
  }

  static Double perSecond(long count, long nanos) {
    return nanos <= 0 ? null : round1(count / (nanos / 1e9));
  }

  static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }

  static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
