package tempocast.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import tempocast.protocol.Names;
import tempocast.protocol.Reply;

/**
 * The coordinator's metrics, created once at start-up and handed to the actors through {@code
 * ParticipantSession.Context}. Every hook is a counter increment or a histogram record on meters
 * looked up once (per actor, not per message), so the hot path allocates nothing.
 *
 * <p>Disabled (no {@code http-port}) every meter is a no-op. Names follow Prometheus conventions
 * once rendered: {@code tempocast_} prefix, {@code _total} for counters, {@code _seconds} and
 * {@code _bytes} for base units. Per-group series are bounded: the first {@code groupCap} groups
 * seen get their own {@code group} label; later ones share {@link #OTHER}, and every inbox shares
 * {@link #INBOXES}. Neither can be a group's name (names never start with {@code @}).
 */
public final class Metrics implements AutoCloseable {

  /** The {@code group} label of groups past the cap. */
  public static final String OTHER = "@other";

  /** The {@code group} label shared by every participant's inbox. */
  public static final String INBOXES = "@inbox";

  /** Histogram bucket bounds of both latencies: 0.5 ms to 30 s. */
  private static final Duration[] BUCKETS = {
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30)
  };

  /** Member states the {@code tempocast_members} gauge has a series for. */
  public enum MemberState {
    REGISTERED,
    ONLINE,
    OFFLINE,
    LOST,
    LAGGING;

    final String label = name().toLowerCase(java.util.Locale.ROOT);
  }

  private final MeterRegistry registry;
  private final PrometheusMeterRegistry prometheus;
  private final JvmGcMetrics gc;
  private final int groupCap;
  private final Counter stored;
  private final Counter deliveriesSent;
  private final Counter deliveriesAcknowledged;
  private final Counter pruned;
  private final Counter heartbeatTimeouts;
  private final Counter reconnectionsAsked;
  private final Counter reconnectionsByItself;
  private final Timer msendLatency;
  private final Timer deliveryLatency;
  private final EnumMap<Reply.ErrorCode, Counter> refused = new EnumMap<>(Reply.ErrorCode.class);
  private final EnumMap<MemberState, AtomicLong> members = new EnumMap<>(MemberState.class);
  private final Map<String, GroupMeters> groups = new HashMap<>();
  private int namedGroups;

  private Metrics(MeterRegistry registry, PrometheusMeterRegistry prometheus, int groupCap) {
    this.registry = registry;
    this.prometheus = prometheus;
    this.groupCap = groupCap;
    this.stored =
        Counter.builder("tempocast.messages.stored")
            .description("Messages stored in the journal (acknowledged to their sender)")
            .register(registry);
    this.deliveriesSent =
        Counter.builder("tempocast.deliveries.sent")
            .description("Deliveries written to members' delivery connections (resends included)")
            .register(registry);
    this.deliveriesAcknowledged =
        Counter.builder("tempocast.deliveries.acknowledged")
            .description("Deliveries acknowledged by members' receivers (cursor advances)")
            .register(registry);
    this.pruned =
        Counter.builder("tempocast.messages.pruned")
            .description("Messages deleted from the journal: older than td and owed to no one")
            .register(registry);
    this.heartbeatTimeouts =
        Counter.builder("tempocast.heartbeat.timeouts")
            .description("Delivery connections closed because the receiver was silent too long")
            .register(registry);
    this.reconnectionsAsked = reconnections("reconnect", registry);
    this.reconnectionsByItself = reconnections("reattach", registry);
    this.msendLatency =
        Timer.builder("tempocast.msend.latency")
            .description("From an MSEND read on the command port to its OK written back")
            .serviceLevelObjectives(BUCKETS)
            .register(registry);
    this.deliveryLatency =
        Timer.builder("tempocast.delivery.latency")
            .description(
                "From a message's store to the acknowledgement that made it delivered to every"
                    + " recipient owed it")
            .serviceLevelObjectives(BUCKETS)
            .register(registry);
    for (Reply.ErrorCode code : Reply.ErrorCode.values()) {
      refused.put(
          code,
          Counter.builder("tempocast.msend.refused")
              .description("MSENDs answered with ERROR, by its code")
              .tag("reason", code.code)
              .register(registry));
    }
    for (MemberState s : MemberState.values()) {
      AtomicLong value = new AtomicLong();
      members.put(s, value);
      Gauge.builder("tempocast.members", value, AtomicLong::doubleValue)
          .description(
              "Participants: registered; online, lost (retrying its receiver) or offline; lagging"
                  + " (a cursor more than delivery-window behind)")
          .tag("state", s.label)
          .register(registry);
    }
    if (prometheus != null) {
      new JvmMemoryMetrics().bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ClassLoaderMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
      new FileDescriptorMetrics().bindTo(registry);
      this.gc = new JvmGcMetrics();
      gc.bindTo(registry);
    } else {
      this.gc = null;
    }
  }

  private static Counter reconnections(String kind, MeterRegistry registry) {
    return Counter.builder("tempocast.reconnections")
        .description(
            "Members back online: kind reconnect by the participant's RECONNECT, reattach by the"
                + " coordinator reaching a lost receiver again")
        .tag("kind", kind)
        .register(registry);
  }

  /** Every meter a no-op: the coordinator without {@code http-port}. */
  public static Metrics disabled() {
    return new Metrics(new CompositeMeterRegistry(), null, 0);
  }

  /** Prometheus-backed, with JVM and process metrics; at most {@code groupCap} group labels. */
  public static Metrics prometheus(int groupCap) {
    PrometheusMeterRegistry p = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    return new Metrics(p, p, groupCap);
  }

  public boolean enabled() {
    return prometheus != null;
  }

  /** The Prometheus text exposition of every meter; "" when disabled. */
  public String scrape() {
    return prometheus == null ? "" : prometheus.scrape();
  }

  /** A gauge of the journal's bytes on disk, read at each scrape. */
  public void journalSize(LongSupplier bytes) {
    Gauge.builder("tempocast.journal.size", bytes, b -> (double) b.getAsLong())
        .description("Bytes of the journal's data directory on disk")
        .baseUnit("bytes")
        .strongReference(true)
        .register(registry);
  }

  /** Sets the {@code tempocast_members} gauges (the dashboard's refresh computes them). */
  public void members(MemberState state, long count) {
    members.get(state).set(count);
  }

  /**
   * The meters of one target (a group, or an inbox): one object per {@code GroupManager}, looked up
   * when it starts. The first {@code groupCap} group names get their own label.
   */
  public synchronized GroupMeters group(String target) {
    String label;
    if (Names.isInbox(target)) {
      label = INBOXES;
    } else if (groups.containsKey(target)) {
      label = target;
    } else if (namedGroups < groupCap) {
      label = target;
      namedGroups++;
    } else {
      label = OTHER;
    }
    return groups.computeIfAbsent(label, l -> new GroupMeters(l, this));
  }

  // ------------------------------------------------------------------ hooks

  public void deliverySent() {
    deliveriesSent.increment();
  }

  public void heartbeatTimeout() {
    heartbeatTimeouts.increment();
  }

  /** {@code byItself}: the coordinator reached a lost receiver again, unasked. */
  public void reconnected(boolean byItself) {
    (byItself ? reconnectionsByItself : reconnectionsAsked).increment();
  }

  public void pruned(long messages) {
    pruned.increment(messages);
  }

  /** An MSEND answered: OK adds to the latency histogram, ERROR to the refusals. */
  public void msendAnswered(Reply reply, long startNanos) {
    if (reply instanceof Reply.Error e) {
      refused.get(e.code()).increment();
    } else {
      msendLatency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }
  }

  // ------------------------------------------------------------------ read by the dashboard

  public double storedTotal() {
    return stored.count();
  }

  public double acknowledgedTotal() {
    return deliveriesAcknowledged.count();
  }

  @Override
  public void close() {
    if (gc != null) {
      gc.close();
    }
    registry.close();
  }

  /** The per-group meters; the global counters move with them. */
  public static final class GroupMeters {
    private final Counter stored;
    private final Counter acknowledged;
    private final Metrics m;

    GroupMeters(String label, Metrics m) {
      this.m = m;
      this.stored =
          Counter.builder("tempocast.group.messages.stored")
              .description("Messages stored, per group (capped; see docs/HTTP.md)")
              .tag("group", label)
              .register(m.registry);
      this.acknowledged =
          Counter.builder("tempocast.group.deliveries.acknowledged")
              .description("Deliveries acknowledged, per group (capped; see docs/HTTP.md)")
              .tag("group", label)
              .register(m.registry);
    }

    public void stored(int messages) {
      stored.increment(messages);
      m.stored.increment(messages);
    }

    public void acknowledged(long deliveries) {
      acknowledged.increment(deliveries);
      m.deliveriesAcknowledged.increment(deliveries);
    }

    /** A message reached every recipient {@code millis} after it was stored. */
    public void deliveredToAll(long millis) {
      m.deliveryLatency.record(millis, TimeUnit.MILLISECONDS);
    }
  }
}
