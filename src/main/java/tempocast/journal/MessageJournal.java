package tempocast.journal;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import tempocast.protocol.StoredMessage;

/**
 * Owns the {@link JournalStore}: appends messages by group commit, serves replay reads, keeps
 * member records and prunes what no member can be owed any more. Runs on the blocking-I/O
 * dispatcher; its mailbox order is the write order.
 */
public final class MessageJournal extends AbstractBehavior<MessageJournal.Command> {

  public sealed interface Command {}

  /** Stores a message; the reply goes to {@code replyTo} once the batch it joined is written. */
  public record Append(StoredMessage message, ActorRef<AppendResult> replyTo) implements Command {}

  public sealed interface AppendResult {}

  public record Appended(List<StoredMessage> messages) implements AppendResult {}

  public record AppendFailed(List<StoredMessage> messages, String reason) implements AppendResult {}

  public record Read(
      String group,
      long from,
      long notBefore,
      int max,
      long maxBytes,
      ActorRef<JournalStore.ReadResult> replyTo)
      implements Command {
    public Read(
        String group,
        long from,
        long notBefore,
        int max,
        ActorRef<JournalStore.ReadResult> replyTo) {
      this(group, from, notBefore, max, Long.MAX_VALUE, replyTo);
    }
  }

  /** Creates or replaces a member record; {@code replyTo} may be null when nobody waits. */
  public record SaveMember(MemberRecord record, ActorRef<Saved> replyTo) implements Command {}

  /** Moves a member's cursor, unless the record is gone or belongs to another registration. */
  public record SaveCursor(String group, String member, long incarnation, long cursor)
      implements Command {}

  public record RemoveMember(String group, String member, ActorRef<Saved> replyTo)
      implements Command {}

  /** {@code error} is null on success. */
  public record Saved(String error) {
    public boolean ok() {
      return error == null;
    }
  }

  private enum Flush implements Command {
    INSTANCE
  }

  public enum Prune implements Command {
    INSTANCE
  }

  public record Settings(Duration td, Duration pruneInterval, boolean fsync, int maxBatch) {}

  /** How long a journal that failed waits before it starts again (doubling up to the maximum). */
  static final Duration RESTART_MIN_BACKOFF = Duration.ofMillis(100);

  static final Duration RESTART_MAX_BACKOFF = Duration.ofSeconds(5);

  /**
   * An unexpected exception (anything but the {@link StoreException}s the handlers answer) restarts
   * the journal with backoff, keeping its ActorRef, so every group goes on using it; the appends it
   * held are answered with {@link AppendFailed} first, and a restarted journal reads its member
   * records back from the store, not from {@code recovered}.
   */
  public static Behavior<Command> create(
      Settings settings, JournalStore store, JournalStore.Snapshot recovered, Clock clock) {
    AtomicBoolean started = new AtomicBoolean();
    Behavior<Command> journal =
        Behaviors.setup(
            ctx ->
                Behaviors.withTimers(
                    timers -> {
                      timers.startTimerWithFixedDelay(Prune.INSTANCE, settings.pruneInterval());
                      JournalStore.Snapshot state =
                          started.getAndSet(true) ? store.load() : recovered;
                      return new MessageJournal(ctx, settings, store, state, clock);
                    }));
    return Behaviors.supervise(journal)
        .onFailure(
            RuntimeException.class,
            SupervisorStrategy.restartWithBackoff(RESTART_MIN_BACKOFF, RESTART_MAX_BACKOFF, 0.2));
  }

  private final Settings settings;
  private final JournalStore store;
  private final Clock clock;
  private final long tdMillis;
  private final Map<String, Map<String, MemberRecord>> members = new HashMap<>();
  private final List<Append> pending = new ArrayList<>();

  private MessageJournal(
      ActorContext<Command> ctx,
      Settings settings,
      JournalStore store,
      JournalStore.Snapshot recovered,
      Clock clock) {
    super(ctx);
    this.settings = settings;
    this.store = store;
    this.clock = clock;
    this.tdMillis = settings.td().toMillis();
    recovered.lastSeqByGroup().keySet().forEach(g -> members.put(g, new HashMap<>()));
    for (MemberRecord r : recovered.members()) {
      members.computeIfAbsent(r.group(), g -> new HashMap<>()).put(r.member(), r);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Append.class, this::onAppend)
        .onMessageEquals(Flush.INSTANCE, this::onFlush)
        .onMessage(Read.class, this::onRead)
        .onMessage(SaveMember.class, this::onSaveMember)
        .onMessage(SaveCursor.class, this::onSaveCursor)
        .onMessage(RemoveMember.class, this::onRemoveMember)
        .onMessageEquals(Prune.INSTANCE, this::onPrune)
        .onSignal(PreRestart.class, s -> onPreRestart())
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onAppend(Append a) {
    // Group commit: the Flush we send ourselves queues behind every Append already in the
    // mailbox, so one write (and one fsync) covers all of them.
    if (pending.isEmpty()) {
      getContext().getSelf().tell(Flush.INSTANCE);
    }
    pending.add(a);
    if (pending.size() >= settings.maxBatch()) {
      flush();
    }
    return this;
  }

  private Behavior<Command> onFlush() {
    flush();
    return this;
  }

  private void flush() {
    if (pending.isEmpty()) {
      return;
    }
    List<StoredMessage> batch = new ArrayList<>(pending.size());
    for (Append a : pending) {
      batch.add(a.message());
      // Every group that has messages is pruned, even once its last member has left.
      members.computeIfAbsent(a.message().group(), g -> new HashMap<>());
    }
    Map<ActorRef<AppendResult>, List<StoredMessage>> byReplyTo = byReplyTo(pending);
    pending.clear();
    String error = null;
    try {
      store.append(batch, settings.fsync());
    } catch (StoreException e) {
      error = e.getMessage();
      getContext().getLog().error("Journal write of [{}] messages failed: {}", batch.size(), error);
    } catch (RuntimeException e) {
      // Not stored, as far as anyone can tell: say so to every sender, then let the supervisor
      // restart the journal.
      answer(byReplyTo, "the journal failed (" + e + ") and restarts");
      throw e;
    }
    answer(byReplyTo, error);
  }

  /** {@code error} null: {@link Appended}; otherwise {@link AppendFailed} with that reason. */
  private static void answer(
      Map<ActorRef<AppendResult>, List<StoredMessage>> byReplyTo, String error) {
    for (Map.Entry<ActorRef<AppendResult>, List<StoredMessage>> e : byReplyTo.entrySet()) {
      List<StoredMessage> msgs = List.copyOf(e.getValue());
      e.getKey().tell(error == null ? new Appended(msgs) : new AppendFailed(msgs, error));
    }
  }

  /**
   * A failure in any handler drops the appends not yet written: they are refused, not lost in
   * silence.
   */
  private Behavior<Command> onPreRestart() {
    answer(byReplyTo(pending), "the journal failed and restarts");
    pending.clear();
    return this;
  }

  private static Map<ActorRef<AppendResult>, List<StoredMessage>> byReplyTo(List<Append> appends) {
    Map<ActorRef<AppendResult>, List<StoredMessage>> byReplyTo = new LinkedHashMap<>();
    for (Append a : appends) {
      byReplyTo.computeIfAbsent(a.replyTo(), r -> new ArrayList<>()).add(a.message());
    }
    return byReplyTo;
  }

  private Behavior<Command> onRead(Read r) {
    // A read must see every append that was acknowledged before it was asked for.
    flush();
    JournalStore.ReadResult result;
    try {
      result = store.read(r.group(), r.from(), r.notBefore(), r.max(), r.maxBytes());
    } catch (StoreException e) {
      getContext().getLog().error("Journal read failed: {}", e.getMessage());
      result = new JournalStore.ReadResult(List.of(), r.from() - 1);
    } catch (RuntimeException e) {
      r.replyTo().tell(new JournalStore.ReadResult(List.of(), r.from() - 1)); // nothing read
      throw e;
    }
    r.replyTo().tell(result);
    return this;
  }

  private Behavior<Command> onSaveMember(SaveMember s) {
    MemberRecord r = s.record();
    members.computeIfAbsent(r.group(), g -> new HashMap<>()).put(r.member(), r);
    reply(s.replyTo(), () -> store.putMember(r, settings.fsync()));
    return this;
  }

  private Behavior<Command> onSaveCursor(SaveCursor s) {
    Map<String, MemberRecord> group = members.get(s.group());
    MemberRecord r = group == null ? null : group.get(s.member());
    if (r == null || r.incarnation() != s.incarnation() || r.cursor() >= s.cursor()) {
      return this;
    }
    MemberRecord updated = r.withCursor(s.cursor());
    group.put(s.member(), updated);
    // Cursor moves need no fsync: a cursor that lags after a crash only means a resend, which
    // the receiver drops by sequence number.
    reply(null, () -> store.putMember(updated, false));
    return this;
  }

  private Behavior<Command> onRemoveMember(RemoveMember rm) {
    Map<String, MemberRecord> group = members.get(rm.group());
    if (group != null) {
      group.remove(rm.member());
    }
    reply(rm.replyTo(), () -> store.removeMember(rm.group(), rm.member(), settings.fsync()));
    return this;
  }

  private void reply(ActorRef<Saved> replyTo, Runnable write) {
    String error = null;
    try {
      write.run();
    } catch (StoreException e) {
      error = e.getMessage();
      getContext().getLog().error("Journal write failed: {}", error);
    } catch (RuntimeException e) {
      if (replyTo != null) {
        replyTo.tell(new Saved("the journal failed (" + e + ") and restarts"));
      }
      throw e;
    }
    if (replyTo != null) {
      replyTo.tell(new Saved(error));
    }
  }

  private Behavior<Command> onPrune() {
    flush();
    long now = clock.millis();
    for (Map.Entry<String, Map<String, MemberRecord>> g : members.entrySet()) {
      long protectedFrom = Long.MAX_VALUE;
      for (MemberRecord r : g.getValue().values()) {
        if (Retention.protectsBacklog(r, now, tdMillis)) {
          protectedFrom = Math.min(protectedFrom, r.cursor());
        }
      }
      try {
        long removed =
            store.prune(g.getKey(), protectedFrom, Retention.expiredBefore(now, tdMillis));
        if (removed > 0) {
          getContext().getLog().debug("Pruned [{}] messages of group [{}]", removed, g.getKey());
        }
      } catch (StoreException e) {
        getContext().getLog().warn("Pruning group [{}] failed: {}", g.getKey(), e.getMessage());
      }
    }
    return this;
  }

  private Behavior<Command> onPostStop() {
    flush();
    store.close();
    return this;
  }
}
