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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.IntUnaryOperator;
import org.HdrHistogram.Histogram;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;

/**
 * W1, W2 and W3 as ../shared/bench/README.md defines them, and W4 (many groups, see {@link #w4}),
 * run against a tempocast coordinator. Senders are members of the group too (tempocast delivers to
 * the sender as well), so the coordinator fans out to receivers + senders; only the receivers'
 * deliveries are counted.
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
    int groups = 1000;
  }

  /** The coordinator's command ports: one, or one per node of a cluster. */
  private final int[] ports;

  private final AtomicInteger nextPort = new AtomicInteger();

  private final Config cfg;
  private final List<AutoCloseable> clients = new ArrayList<>();

  /** Every participant with a receiver, senders included: for the order and notice counts. */
  private final List<Clients.Member> members =
      java.util.Collections.synchronizedList(new ArrayList<>());

  Workloads(int[] ports, Config cfg) {
    this.ports = ports.clone();
    this.cfg = cfg;
  }

  /**
   * The command port for the next client: with the nodes of a cluster, each client (a participant
   * with its command connection; a sender with both of its connections) starts at the next node in
   * turn, as participants whose line 3 lists the nodes each from another one.
   */
  private int port() {
    return ports[Math.floorMod(nextPort.getAndIncrement(), ports.length)];
  }

  static final class Window {
    volatile long recvFrom = Long.MIN_VALUE;
    volatile long recvTo = Long.MAX_VALUE;
    volatile long sentFrom = Long.MIN_VALUE;
    volatile long sentTo = Long.MAX_VALUE;
  }

  /**
   * W4's layout: {@code groups} groups named g0, g1, ...; sender s sends its message number q to
   * group {@code (s * groups / senders + q) mod groups}, so that each sender goes round every group
   * (from its own starting point) and the messages spread uniformly over the groups.
   */
  static final class Layout {
    final int groups;
    final int offset;
    final String[] names;

    Layout(int groups, int senders) {
      this.groups = groups;
      this.offset = groups / senders;
      names = new String[groups];
      for (int g = 0; g < groups; g++) {
        names[g] = "g" + g;
      }
    }

    int groupOf(int sender, int seq) {
      return Math.floorMod(sender * offset + seq, groups);
    }

    /**
     * The first message number of {@code sender} that goes to {@code group}; then every groups-th.
     */
    int firstSeq(int sender, int group) {
      return Math.floorMod(group - sender * offset, groups);
    }
  }

  /** Everything one receiver saw. */
  static final class Tally implements Clients.Sink {
    final BitSet[] seen;
    final Histogram latencyUs = new Histogram(TimeUnit.HOURS.toMicros(1), 3);
    final Window w;

    /** W4: the layout and this receiver's groups; null where it is owed every message (main). */
    final Layout layout;

    final int[] groups;
    long unique;
    long dups;
    long misrouted;
    long inWindow;
    long lastNs;

    Tally(int senders, Window w) {
      this(senders, w, null, null);
    }

    Tally(int senders, Window w, Layout layout, int[] groups) {
      this.w = w;
      this.layout = layout;
      this.groups = groups;
      seen = new BitSet[senders];
      for (int i = 0; i < senders; i++) {
        seen[i] = new BitSet();
      }
    }

    @Override
    public synchronized void accept(String target, long[] f) {
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
      if (layout != null) {
        int g = layout.groupOf(s, q);
        if (!target.equals(layout.names[g]) || !isMember(g)) {
          misrouted++; // sent to another group, or to a group this receiver is not in
          return;
        }
      }
      seen[s].set(q);
      unique++;
      if (sent >= w.sentFrom && sent < w.sentTo) {
        latencyUs.recordValue(
            Math.min(latencyUs.getHighestTrackableValue(), Math.max(0, (now - sent) / 1000)));
      }
    }

    private boolean isMember(int g) {
      for (int x : groups) {
        if (x == g) {
          return true;
        }
      }
      return false;
    }

    synchronized long unique() {
      return unique;
    }

    /**
     * Acknowledged messages this receiver is owed and never received ({@code missing = true}), or
     * owed at all: every one in main; in W4, those sent to its groups.
     */
    synchronized long count(Acked acked, boolean missing) {
      long n = 0;
      for (int s = 0; s < acked.bits.length; s++) {
        BitSet a;
        synchronized (acked.bits[s]) {
          a = (BitSet) acked.bits[s].clone();
        }
        if (groups == null) {
          if (missing) {
            a.andNot(seen[s]);
          }
          n += a.cardinality();
          continue;
        }
        for (int g : groups) {
          for (int q = layout.firstSeq(s, g); q < a.length(); q += layout.groups) {
            if (a.get(q) && (!missing || !seen[s].get(q))) {
              n++;
            }
          }
        }
      }
      return n;
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

  /**
   * A sending member: MSENDs pipelined on one connection, replies decoded with the codec and
   * matched in order. It is a member (with a receiver) of every group in {@code targets}.
   */
  final class Sender implements AutoCloseable {
    final int id;
    final Clients.Member member;
    final Clients.CommandConnection conn;
    final ConcurrentLinkedQueue<Consumer<Reply>> callbacks = new ConcurrentLinkedQueue<>();
    final String[] targets;

    /** Per target, the codec's MSEND line for an empty text (no message ID); the body follows. */
    final byte[][] prefixes;

    Sender(int id) throws IOException {
      this(id, new String[] {Clients.GROUP});
    }

    /** Registers in {@code targets[0]}; the caller joins it to the others. */
    Sender(int id, String[] targets) throws IOException {
      this.id = id;
      this.targets = targets;
      String name = "s" + id;
      int port = port();
      member = track(new Clients.Member(name, targets[0], port, (t, f) -> {}));
      members.add(member);
      conn = new Clients.CommandConnection(port);
      prefixes = new byte[targets.length][];
      for (int i = 0; i < targets.length; i++) {
        prefixes[i] =
            CommandCodec.msend(targets[i], name, null, "").getBytes(StandardCharsets.UTF_8);
      }
      Thread reader =
          new Thread(
              () -> {
                try {
                  while (true) {
                    String reply = conn.in.readLine();
                    Consumer<Reply> cb = callbacks.poll();
                    if (cb != null) {
                      cb.accept(Replies.parse(reply));
                    }
                  }
                } catch (IOException e) {
                  Consumer<Reply> cb;
                  Reply closed = new Reply.Error(Reply.ErrorCode.INTERNAL, "connection closed");
                  while ((cb = callbacks.poll()) != null) {
                    cb.accept(closed);
                  }
                }
              },
              "replies-" + id);
      reader.setDaemon(true);
      reader.start();
    }

    void write(int target, byte[] body, Consumer<Reply> onReply) throws IOException {
      callbacks.add(onReply);
      OutputStream out = conn.out;
      out.write(prefixes[target]);
      out.write(body);
      out.write('\n');
    }

    /** Whether {@code r} is the OK for a message stored in {@code targets[target]}. */
    boolean stored(Reply r, int target) {
      return r instanceof Reply.Sent sent && sent.target().equals(targets[target]);
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
    java.util.concurrent.SynchronousQueue<Reply> reply =
        new java.util.concurrent.SynchronousQueue<>();
    for (int seq = 0; seq < n && System.nanoTime() < deadline; seq++) {
      s.write(
          0,
          Body.make(0, seq, cfg.bodyBytes),
          r -> {
            try {
              reply.put(r);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      s.flush();
      Reply r = reply.poll(10, TimeUnit.SECONDS);
      if (r != null && s.stored(r, 0)) {
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
    awaitDeliveries(tallies, acked);
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
    return saturate(w, tallies, senders, null);
  }

  /**
   * W4: {@code groups} (1,000) groups g0, g1, ...; {@code participants} (as many) receiving
   * participants, participant p a member of the 10 groups (p + k * groups / 10) mod groups, k =
   * 0..9, so each group has 10 distinct receiving members; plus the senders (4), which are members
   * of every group (as W2's senders are members of main) and spread their messages uniformly over
   * the groups (see {@link Layout}). The setup (registrations, groups, joins) is done and timed
   * before the measured run, which is W2's: warm-up, then the measured window, then the drain.
   */
  Map<String, Object> w4() throws Exception {
    int groups = cfg.groups;
    int perParticipant = 10;
    int stride = groups / perParticipant;
    int ns = cfg.senders;
    Layout layout = new Layout(groups, ns);
    Window w = new Window();
    log(
        "W4 setup: "
            + groups
            + " groups, "
            + groups
            + " participants in "
            + perParticipant
            + " groups each, "
            + ns
            + " senders in every group");
    long setup0 = System.nanoTime();
    // A setup participant creates the groups (CREATE makes it their first member) and then
    // deregisters, which takes it out of every group before anything is sent.
    Clients.Member admin = track(new Clients.Member("admin", port(), (t, f) -> {}));
    inParallel(
        SETUP_THREADS,
        groups,
        () -> track(new Clients.CommandConnection(port())),
        (c, g) -> Clients.expectOk(c.call(CommandCodec.create(layout.names[g], "admin", -1))));
    log("W4 setup: groups created after " + round3((System.nanoTime() - setup0) / 1e9) + " s");
    Tally[] tallies = new Tally[groups];
    Clients.Member[] participants = new Clients.Member[groups];
    int[][] groupsOf = new int[groups][perParticipant];
    for (int p = 0; p < groups; p++) {
      for (int k = 0; k < perParticipant; k++) {
        groupsOf[p][k] = (p + k * stride) % groups;
      }
      tallies[p] = new Tally(ns, w, layout, groupsOf[p]);
    }
    inParallel(
        SETUP_THREADS,
        groups,
        () -> null,
        (unused, p) -> {
          Clients.Member m =
              new Clients.Member("p" + p, layout.names[groupsOf[p][0]], port(), tallies[p]);
          participants[p] = m;
          members.add(track(m));
        });
    log(
        "W4 setup: participants registered after "
            + round3((System.nanoTime() - setup0) / 1e9)
            + " s");
    // Joins in rounds (every participant's second group, then its third, ...), on their own
    // connections.
    inParallel(
        SETUP_THREADS,
        groups * (perParticipant - 1),
        () -> null,
        (unused, i) -> {
          int p = i % groups;
          participants[p].join(layout.names[groupsOf[p][1 + i / groups]]);
        });
    log("W4 setup: participants joined after " + round3((System.nanoTime() - setup0) / 1e9) + " s");
    Sender[] senders = new Sender[ns];
    for (int i = 0; i < ns; i++) {
      senders[i] = track(new Sender(i, layout.names));
    }
    inParallel(
        SETUP_THREADS,
        ns * (groups - 1),
        () -> null,
        (unused, i) -> senders[i % ns].member.join(layout.names[1 + i / ns]));
    Clients.expectOk(admin.commands.call(CommandCodec.deregister(Clients.GROUP, "admin")));
    double setupSeconds = round3((System.nanoTime() - setup0) / 1e9);
    log("W4 setup: done in " + setupSeconds + " s");
    Thread.sleep(SETUP_PAUSE_MILLIS); // the setup's last notices drain; a PING goes through
    log(
        "W4: "
            + ns
            + " senders x "
            + cfg.window
            + " in flight over "
            + groups
            + " groups, "
            + cfg.warmupSeconds
            + " s warm-up + "
            + cfg.durationSeconds
            + " s measured");
    Map<String, Object> r = saturate(w, tallies, senders, layout);
    r.put("groups", groups);
    r.put("groups_per_participant", perParticipant);
    r.put("receivers_per_group", perParticipant); // groups participants, perParticipant each
    r.put("sender_groups", groups);
    r.put("setup_s", setupSeconds);
    return r;
  }

  private static final int SETUP_THREADS = 8;

  interface SetupStep<C> {
    void run(C context, int index) throws Exception;
  }

  interface SetupContext<C> {
    C open() throws Exception;
  }

  private static final long SETUP_BURST_NANOS = TimeUnit.SECONDS.toNanos(3);
  private static final long SETUP_PAUSE_MILLIS = 2000;
  private static final Object PACER = new Object();
  private static volatile long burstStart = System.nanoTime();

  /**
   * Setup runs in bursts of 3 s with 2 s of silence between them. Every JOIN and REGISTER sends
   * EVENT notices to the other online members of the group; the receivers do not answer notices,
   * and the coordinator sends its PING only on a connection that has been quiet for the heartbeat
   * interval (1 s), so under a steady stream of notices a receiver says nothing for the heartbeat
   * timeout (5 s) and the coordinator drops it and reconnects (a coordinator issue, reported in
   * docs/PERFORMANCE.md). The pauses let a PING through on every connection.
   */
  private static void pace() throws InterruptedException {
    if (System.nanoTime() - burstStart < SETUP_BURST_NANOS) {
      return;
    }
    synchronized (PACER) {
      if (System.nanoTime() - burstStart >= SETUP_BURST_NANOS) {
        log("W4 setup: pause");
        Thread.sleep(SETUP_PAUSE_MILLIS);
        burstStart = System.nanoTime();
      }
    }
  }

  /** Runs {@code step} for indices 0..n-1 on {@code threads} threads, each with its own context. */
  private static <C> void inParallel(int threads, int n, SetupContext<C> context, SetupStep<C> step)
      throws Exception {
    java.util.concurrent.atomic.AtomicInteger next =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<Exception> failure =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread[] ts = new Thread[threads];
    for (int i = 0; i < threads; i++) {
      ts[i] =
          new Thread(
              () -> {
                try {
                  C c = context.open();
                  for (int k = next.getAndIncrement();
                      k < n && failure.get() == null;
                      k = next.getAndIncrement()) {
                    pace();
                    step.run(c, k);
                  }
                } catch (Exception e) {
                  failure.compareAndSet(null, e);
                }
              },
              "setup-" + i);
      ts[i].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    if (failure.get() != null) {
      throw new IOException("setup failed: " + failure.get().getMessage(), failure.get());
    }
  }

  /**
   * W2's measured run (and W4's): every sender keeps {@code cfg.window} MSENDs in flight for the
   * warm-up and the measured window, to its one group or (with a layout) spread over the groups;
   * then the receivers drain. Deliveries and latencies are counted on {@code tallies} only.
   */
  private Map<String, Object> saturate(Window w, Tally[] tallies, Sender[] senders, Layout layout)
      throws Exception {
    int ns = senders.length;
    Acked acked = new Acked(ns);
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
      IntUnaryOperator target = layout == null ? q -> 0 : q -> layout.groupOf(id, q);
      threads[i] =
          new Thread(
              () -> pump(senders[id], cfg.window, to, Integer.MAX_VALUE, acked, from, to, target),
              "sender-" + i);
      threads[i].start();
    }
    for (Thread t : threads) {
      t.join(TimeUnit.NANOSECONDS.toMillis(to - t0) + 40_000);
    }
    long sendEnd = System.nanoTime();
    awaitDeliveries(tallies, acked);
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
    Clients.Member rcv = track(new Clients.Member("r0", port(), tally));
    members.add(rcv);
    Tally[] tallies = {tally};
    rcv.goOffline();
    log("W3: receiver offline; publishing " + m + " messages with " + cfg.window + " in flight");
    Sender s = track(new Sender(0));
    Acked acked = new Acked(1);
    long t0 = System.nanoTime();
    pump(
        s,
        cfg.window,
        t0 + TimeUnit.SECONDS.toNanos(60),
        m,
        acked,
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        q -> 0);
    long t1 = System.nanoTime();
    long total = acked.count();
    log("W3: " + total + " acked in " + round3((t1 - t0) / 1e9) + " s; receiver reconnects");
    long whileOffline = tally.unique();
    long tr = System.nanoTime();
    rcv.goOnline();
    awaitDeliveries(tallies, acked);
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

  /**
   * Keeps up to {@code window} MSENDs in flight until {@code end} or {@code max} messages; message
   * number q goes to the sender's target {@code target(q)}.
   */
  private void pump(
      Sender s,
      int window,
      long end,
      int max,
      Acked acked,
      long from,
      long to,
      IntUnaryOperator target) {
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
        int g = target.applyAsInt(q);
        s.write(
            g,
            Body.make(s.id, q, cfg.bodyBytes),
            reply -> {
              if (s.stored(reply, g)) {
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
      members.add(track(new Clients.Member("r" + i, port(), t[i])));
    }
    return t;
  }

  private void awaitDeliveries(Tally[] tallies, Acked acked) throws InterruptedException {
    long[] expected = new long[tallies.length];
    long total = 0;
    for (int i = 0; i < tallies.length; i++) {
      expected[i] = tallies[i].count(acked, false);
      total += expected[i];
    }
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(cfg.drainSeconds);
    long lastSum = -1;
    long lastChange = start;
    while (System.nanoTime() < deadline) {
      long sum = 0;
      boolean done = true;
      for (int i = 0; i < tallies.length; i++) {
        long u = tallies[i].unique();
        sum += u;
        if (u < expected[i]) {
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
        log("deliveries stalled at " + sum + " of " + total);
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

  private void putChecks(Map<String, Object> r, Tally[] tallies, Acked acked) {
    long missing = 0;
    long dups = 0;
    long misrouted = 0;
    for (Tally t : tallies) {
      missing += t.count(acked, true);
      synchronized (t) {
        dups += t.dups;
        misrouted += t.misrouted;
      }
    }
    long orderErrors = 0;
    long notices = 0;
    for (Clients.Member m : members) {
      orderErrors += m.orderErrors.sum();
      notices += m.notices.sum();
    }
    r.put("missing", missing);
    r.put("duplicates", dups);
    r.put("misrouted", misrouted);
    r.put("order_errors", orderErrors);
    r.put("notices", notices);
    r.put("send_errors", acked.errors.sum());
  }

  private <T extends AutoCloseable> T track(T c) {
    synchronized (clients) {
      clients.add(c);
    }
    return c;
  }

  void closeAll() {
    List<AutoCloseable> all;
    synchronized (clients) {
      all = new ArrayList<>(clients);
    }
    for (AutoCloseable c : all) {
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
