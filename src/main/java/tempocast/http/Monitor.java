package tempocast.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.coordinator.Directory;
import tempocast.coordinator.GroupManager;
import tempocast.journal.MessageJournal;
import tempocast.metrics.Metrics;
import tempocast.protocol.Names;

/**
 * Collects what the dashboard and the JSON API show, once every {@code refresh}: it asks the
 * directory for every target's manager, each manager for a {@link GroupManager.Snapshot}, the
 * journal (every tenth round) for its oldest message, and sizes the data directory. Nothing is
 * shared with those actors but messages. From two consecutive rounds it derives the rates and the
 * membership events (what changed between them), and it sets the {@code tempocast_members} gauges.
 * Runs on {@code tempocast.http-dispatcher}: sizing the directory blocks, briefly.
 */
public final class Monitor extends AbstractBehavior<Monitor.Command> {

  public sealed interface Command {}

  /** The latest overview; null before the first round is complete. */
  public record GetOverview(ActorRef<Overview> replyTo) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record GotTargets(Directory.Targets targets) implements Command {}

  private record GotSnapshot(GroupManager.Snapshot snapshot) implements Command {}

  private record GotOldest(MessageJournal.Oldest oldest) implements Command {}

  /** A member as one group sees it: {@code received} counts acknowledged messages since joining. */
  public record GroupMember(String id, String state, long received, long lag) {}

  public record GroupView(
      String name,
      long tdMillis,
      long messages,
      long lastTimestamp,
      double rate,
      List<GroupMember> members) {
    public long online() {
      return members.stream().filter(m -> m.state().equals(ONLINE)).count();
    }
  }

  /** A participant: its state, its lag over its groups and inbox, and its groups. */
  public record MemberView(
      String id, String state, long lag, boolean lagging, List<GroupMember> groups) {}

  public record Event(long at, String kind, String member, String group) {}

  public record RatePoint(long at, double stored, double acknowledged) {}

  public record Overview(
      long at,
      List<GroupView> groups,
      List<MemberView> members,
      Map<String, Long> counts,
      long journalBytes,
      MessageJournal.Oldest oldest,
      List<RatePoint> rates,
      List<Event> events) {}

  public static final String ONLINE = "online";
  public static final String LOST = "lost";
  public static final String OFFLINE = "offline";

  /** Rate points kept: five minutes at one a second. */
  static final int HISTORY = 300;

  static final int EVENTS = 50;

  private static final int OLDEST_EVERY = 10;

  public static Behavior<Command> create(
      CoordinatorSettings settings,
      ActorRef<Directory.Command> directory,
      ActorRef<MessageJournal.Command> journal,
      Metrics metrics,
      Duration refresh,
      Clock clock) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    new Monitor(
                        ctx, timers, settings, directory, journal, metrics, refresh, clock)));
  }

  private final CoordinatorSettings settings;
  private final ActorRef<Directory.Command> directory;
  private final ActorRef<MessageJournal.Command> journal;
  private final Metrics metrics;
  private final Clock clock;
  private final ActorRef<GroupManager.Snapshot> snapshotAdapter;
  private final AtomicLong journalBytes = new AtomicLong();

  /** This round's snapshots, by target; {@code expected} of them are asked for. */
  private final Map<String, GroupManager.Snapshot> snapshots = new HashMap<>();

  private Map<String, GroupManager.Snapshot> previous = Map.of();
  private Set<String> participants = Set.of();
  private int expected = -1;
  private long rounds;

  private final ArrayDeque<RatePoint> rates = new ArrayDeque<>();
  private final ArrayDeque<Event> events = new ArrayDeque<>();
  private Map<String, String> lastStates = null; // "group member" -> state; null before round 1
  private Set<String> lastParticipants = Set.of();
  private long lastAt;
  private double lastStored;
  private double lastAcked;
  private MessageJournal.Oldest oldest = new MessageJournal.Oldest(null, -1, -1);
  private Overview overview;

  private Monitor(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      CoordinatorSettings settings,
      ActorRef<Directory.Command> directory,
      ActorRef<MessageJournal.Command> journal,
      Metrics metrics,
      Duration refresh,
      Clock clock) {
    super(ctx);
    this.settings = settings;
    this.directory = directory;
    this.journal = journal;
    this.metrics = metrics;
    this.clock = clock;
    this.snapshotAdapter = ctx.messageAdapter(GroupManager.Snapshot.class, GotSnapshot::new);
    metrics.journalSize(journalBytes::get);
    timers.startTimerAtFixedRate(Tick.INSTANCE, Duration.ZERO, refresh);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(GotTargets.class, this::onTargets)
        .onMessage(GotSnapshot.class, this::onSnapshot)
        .onMessage(
            GotOldest.class,
            o -> {
              oldest = o.oldest();
              return this;
            })
        .onMessage(
            GetOverview.class,
            g -> {
              g.replyTo().tell(overview);
              return this;
            })
        .build();
  }

  private Behavior<Command> onTick() {
    if (expected >= 0) {
      finish(); // a manager did not answer within the interval (a group being removed)
    }
    // every tenth round, and every round while the journal looked empty
    if (rounds++ % OLDEST_EVERY == 0 || oldest.timestamp() < 0) {
      getContext()
          .ask(
              MessageJournal.Oldest.class,
              journal,
              settings.askTimeout(),
              MessageJournal.GetOldest::new,
              (o, err) -> new GotOldest(o != null ? o : oldest));
    }
    getContext()
        .ask(
            Directory.Targets.class,
            directory,
            settings.askTimeout(),
            Directory.ListTargets::new,
            (t, err) -> new GotTargets(t));
    return this;
  }

  private Behavior<Command> onTargets(GotTargets t) {
    if (t.targets() == null || expected >= 0) {
      return this;
    }
    participants = t.targets().participants();
    snapshots.clear();
    expected = t.targets().managers().size();
    t.targets()
        .managers()
        .values()
        .forEach(m -> m.tell(new GroupManager.GetSnapshot(snapshotAdapter)));
    if (expected == 0) {
      finish();
    }
    return this;
  }

  private Behavior<Command> onSnapshot(GotSnapshot s) {
    if (expected < 0) {
      return this; // late, from a round already finished
    }
    snapshots.put(s.snapshot().target(), s.snapshot());
    if (snapshots.size() >= expected) {
      finish();
    }
    return this;
  }

  // ------------------------------------------------------------------ one round

  private void finish() {
    expected = -1;
    long now = clock.millis();
    double dt = lastAt == 0 ? 0 : (now - lastAt) / 1000.0;
    long window = settings.deliveryWindow();

    Map<String, String> states = new HashMap<>();
    Map<String, List<GroupMember>> byMember = new TreeMap<>();
    Map<String, String> stateOf = new HashMap<>();
    List<GroupView> groups = new ArrayList<>();
    for (GroupManager.Snapshot s : new TreeMap<>(snapshots).values()) {
      List<GroupMember> members = new ArrayList<>(s.members().size());
      for (GroupManager.MemberSnapshot m : s.members()) {
        String state = m.reachable() ? ONLINE : m.present() ? LOST : OFFLINE;
        long cursor = Math.max(m.acked(), m.joinSeq());
        GroupMember gm =
            new GroupMember(m.id(), state, cursor - m.joinSeq(), Math.max(0, s.lastSeq() - cursor));
        if (Names.isInbox(s.target())) {
          stateOf.put(m.id(), state);
        } else {
          members.add(gm);
          states.put(s.target() + " " + m.id(), state);
        }
        byMember
            .computeIfAbsent(m.id(), x -> new ArrayList<>())
            .add(new GroupMember(s.target(), state, gm.received(), gm.lag()));
      }
      if (!Names.isInbox(s.target())) {
        GroupManager.Snapshot before = previous.get(s.target());
        double rate =
            before == null || dt <= 0 ? 0 : Math.max(0, s.lastSeq() - before.lastSeq()) / dt;
        groups.add(
            new GroupView(s.target(), s.tdMillis(), s.lastSeq(), s.lastTimestamp(), rate, members));
      }
    }

    List<MemberView> members = new ArrayList<>();
    long online = 0;
    long lost = 0;
    long lagging = 0;
    for (String id : new java.util.TreeSet<>(participants)) {
      List<GroupMember> of = byMember.getOrDefault(id, List.of());
      String state = stateOf.getOrDefault(id, OFFLINE);
      long lag = 0;
      boolean behind = false;
      for (GroupMember g : of) {
        lag += g.lag();
        behind |= g.lag() > window;
      }
      members.add(new MemberView(id, state, lag, behind, List.copyOf(of)));
      online += state.equals(ONLINE) ? 1 : 0;
      lost += state.equals(LOST) ? 1 : 0;
      lagging += behind ? 1 : 0;
    }
    Map<String, Long> counts = new java.util.LinkedHashMap<>();
    counts.put("registered", (long) participants.size());
    counts.put(ONLINE, online);
    counts.put(LOST, lost);
    counts.put(OFFLINE, participants.size() - online - lost);
    counts.put("lagging", lagging);
    metrics.members(Metrics.MemberState.REGISTERED, participants.size());
    metrics.members(Metrics.MemberState.ONLINE, online);
    metrics.members(Metrics.MemberState.LOST, lost);
    metrics.members(Metrics.MemberState.OFFLINE, participants.size() - online - lost);
    metrics.members(Metrics.MemberState.LAGGING, lagging);

    derivedEvents(now, states);

    double stored = metrics.storedTotal();
    double acked = metrics.acknowledgedTotal();
    if (dt > 0) {
      rates.addLast(
          new RatePoint(
              now, Math.max(0, stored - lastStored) / dt, Math.max(0, acked - lastAcked) / dt));
      if (rates.size() > HISTORY) {
        rates.pollFirst();
      }
    }
    lastStored = stored;
    lastAcked = acked;
    lastAt = now;
    long bytes = sizeOf(settings.dataDir());
    if (bytes >= 0) {
      journalBytes.set(bytes);
    }
    previous = Map.copyOf(snapshots);
    overview =
        new Overview(
            now,
            List.copyOf(groups),
            List.copyOf(members),
            Map.copyOf(counts),
            journalBytes.get(),
            oldest,
            List.copyOf(rates),
            List.copyOf(events));
  }

  /** What changed since the last round, as membership events; nothing on the first round. */
  private void derivedEvents(long now, Map<String, String> states) {
    if (lastStates != null) {
      for (String id : participants) {
        if (!lastParticipants.contains(id)) {
          event(now, "registered", id, null);
        }
      }
      for (Map.Entry<String, String> e : states.entrySet()) {
        String[] gm = e.getKey().split(" ", 2);
        String before = lastStates.get(e.getKey());
        if (before == null) {
          event(now, "joined", gm[1], gm[0]);
        } else if (!before.equals(e.getValue())) {
          event(now, e.getValue(), gm[1], gm[0]);
        }
      }
      for (String key : lastStates.keySet()) {
        if (!states.containsKey(key)) {
          String[] gm = key.split(" ", 2);
          event(now, "left", gm[1], gm[0]);
        }
      }
      for (String id : lastParticipants) {
        if (!participants.contains(id)) {
          event(now, "deregistered", id, null);
        }
      }
    }
    lastStates = states;
    lastParticipants = new HashSet<>(participants);
  }

  private void event(long now, String kind, String member, String group) {
    events.addLast(new Event(now, kind, member, group));
    if (events.size() > EVENTS) {
      events.pollFirst();
    }
  }

  /**
   * Bytes of the files under {@code dir}; files that vanish meanwhile (compaction) count 0; -1 when
   * the walk itself failed.
   */
  static long sizeOf(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .mapToLong(
              p -> {
                try {
                  return Files.isRegularFile(p) ? Files.size(p) : 0;
                } catch (NoSuchFileException gone) {
                  return 0;
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .sum();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }
}
