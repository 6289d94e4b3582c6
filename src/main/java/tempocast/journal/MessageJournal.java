package tempocast.journal;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import tempocast.metrics.Metrics;
import tempocast.protocol.Reply;
import tempocast.protocol.StoredMessage;

/**
 * Owns the {@link JournalStore}: appends messages by group commit, serves replay reads, keeps
 * member records and prunes what no member can be owed any more. Runs on the blocking-I/O
 * dispatcher; its mailbox order is the write order.
 */
public final class MessageJournal extends AbstractBehavior<MessageJournal.Command> {

  public sealed interface Command {}

  /**
   * Stores {@code message}, then tells {@code replyTo} (its group) and, after it, answers {@code
   * sender} (the command that sent it, or null) on the journal's thread: the sender's answer leaves
   * from here, one hop sooner than through the group, and the group hears first, so nothing the
   * sender does next overtakes it.
   */
  public record Append(
      StoredMessage message, ActorRef<AppendResult> replyTo, Consumer<Reply> sender)
      implements Command {
    public Append(StoredMessage message, ActorRef<AppendResult> replyTo) {
      this(message, replyTo, null);
    }
  }

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

  /** A group's or inbox's manager, starting, reads its own state. */
  public record LoadTarget(String target, ActorRef<TargetLoaded> replyTo) implements Command {}

  /** {@code state} null when the store could not be read: {@code error} says why. */
  public record TargetLoaded(JournalStore.TargetState state, String error) {}

  /** Writes a record; {@code replyTo} may be null when nobody waits. */
  public record SaveGroup(GroupRecord group, ActorRef<Saved> replyTo) implements Command {}

  public record RemoveGroup(String name, ActorRef<Saved> replyTo) implements Command {}

  public record SaveParticipant(ParticipantRecord participant, ActorRef<Saved> replyTo)
      implements Command {}

  public record RemoveParticipant(String id, ActorRef<Saved> replyTo) implements Command {}

  public record SaveMembership(MembershipRecord membership, ActorRef<Saved> replyTo)
      implements Command {}

  public record EndMembership(MembershipRecord membership, long endSeq, ActorRef<Saved> replyTo)
      implements Command {}

  /**
   * Cursors that moved, with the acknowledgements that moved them; each is ignored unless its
   * membership (same joinSeq) is still current and the cursor goes forward.
   */
  public record SaveProgress(List<JournalStore.Progress> moves) implements Command {}

  public record SaveExpiry(String target, String member, long afterSeq, long notBefore)
      implements Command {}

  /** Someone owed message {@code seq} of a target: {@code endSeq} -1 while still a member. */
  public record Recipient(String member, long joinSeq, long endSeq) {}

  /**
   * The delivery states of message {@code seq} of {@code target} for its {@code recipients}, asked
   * by {@code requester}, who must be its sender; derived from acknowledgements, expiry markers and
   * presence, not stored per message.
   */
  public record QueryStatus(
      String target,
      long seq,
      String requester,
      List<Recipient> recipients,
      long tdMillis,
      ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * For the dashboard: the oldest message still stored, over every target; {@code timestamp} -1
   * when there is none.
   */
  public record GetOldest(ActorRef<Oldest> replyTo) implements Command {}

  public record Oldest(String target, long seq, long timestamp) {}

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

  /** {@code td}: the coordinator's, for inboxes and groups created without one of their own. */
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
    return create(settings, store, recovered, clock, Metrics.disabled());
  }

  /** As above, counting pruned messages in {@code metrics}. */
  public static Behavior<Command> create(
      Settings settings,
      JournalStore store,
      JournalStore.Snapshot recovered,
      Clock clock,
      Metrics metrics) {
    AtomicBoolean started = new AtomicBoolean();
    Behavior<Command> journal =
        Behaviors.setup(
            ctx ->
                Behaviors.withTimers(
                    timers -> {
                      timers.startTimerWithFixedDelay(Prune.INSTANCE, settings.pruneInterval());
                      JournalStore.Snapshot state =
                          started.getAndSet(true) ? store.load() : recovered;
                      return new MessageJournal(ctx, settings, store, state, clock, metrics);
                    }));
    return Behaviors.supervise(journal)
        .onFailure(
            RuntimeException.class,
            SupervisorStrategy.restartWithBackoff(RESTART_MIN_BACKOFF, RESTART_MAX_BACKOFF, 0.2));
  }

  private final Settings settings;
  private final JournalStore store;
  private final Clock clock;
  private final Metrics metrics;
  private final long tdMillis;

  /** Mirrors of what pruning and status queries need: td, presence and cursors. */
  private final Map<String, Long> tdByGroup = new HashMap<>();

  private final Map<String, ParticipantRecord> participants = new HashMap<>();
  private final Map<String, Map<String, MembershipRecord>> members = new HashMap<>();
  private final List<Append> pending = new ArrayList<>();
  private final List<JournalStore.Progress> progress = new ArrayList<>();

  private MessageJournal(
      ActorContext<Command> ctx,
      Settings settings,
      JournalStore store,
      JournalStore.Snapshot recovered,
      Clock clock,
      Metrics metrics) {
    super(ctx);
    this.settings = settings;
    this.store = store;
    this.clock = clock;
    this.metrics = metrics;
    this.tdMillis = settings.td().toMillis();
    recovered.lastSeqByTarget().keySet().forEach(g -> members.put(g, new HashMap<>()));
    for (GroupRecord g : recovered.groups()) {
      tdByGroup.put(g.name(), g.tdMillis());
    }
    for (ParticipantRecord p : recovered.participants()) {
      participants.put(p.id(), p);
    }
    for (MembershipRecord r : recovered.memberships()) {
      members.computeIfAbsent(r.target(), g -> new HashMap<>()).put(r.member(), r);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Append.class, this::onAppend)
        .onMessageEquals(Flush.INSTANCE, this::onFlush)
        .onMessage(Read.class, this::onRead)
        .onMessage(LoadTarget.class, this::onLoadTarget)
        .onMessage(SaveGroup.class, this::onSaveGroup)
        .onMessage(RemoveGroup.class, this::onRemoveGroup)
        .onMessage(SaveParticipant.class, this::onSaveParticipant)
        .onMessage(RemoveParticipant.class, this::onRemoveParticipant)
        .onMessage(SaveMembership.class, this::onSaveMembership)
        .onMessage(EndMembership.class, this::onEndMembership)
        .onMessage(SaveProgress.class, this::onSaveProgress)
        .onMessage(SaveExpiry.class, this::onSaveExpiry)
        .onMessage(QueryStatus.class, this::onQueryStatus)
        .onMessage(GetOldest.class, this::onGetOldest)
        .onMessageEquals(Prune.INSTANCE, this::onPrune)
        .onSignal(PreRestart.class, s -> onPreRestart())
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onAppend(Append a) {
    // Group commit: the Flush we send ourselves queues behind every Append already in the
    // mailbox, so one write (and one fsync) covers all of them.
    if (pending.isEmpty() && progress.isEmpty()) {
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
    if (!progress.isEmpty()) {
      List<JournalStore.Progress> moves = List.copyOf(progress);
      progress.clear();
      reply(null, () -> store.putProgress(moves));
    }
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
    List<Append> appends = List.copyOf(pending);
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
      answerSenders(appends, "the journal failed (" + e + ") and restarts");
      throw e;
    }
    answer(byReplyTo, error);
    answerSenders(appends, error);
  }

  private static void answerSenders(List<Append> appends, String error) {
    for (Append a : appends) {
      if (a.sender() != null) {
        a.sender()
            .accept(
                error == null
                    ? new Reply.Sent(a.message().group(), a.message().seq())
                    : new Reply.Error(
                        Reply.ErrorCode.STORAGE, "the message was not stored: " + error));
      }
    }
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
    answerSenders(pending, "the journal failed and restarts");
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

  private Behavior<Command> onLoadTarget(LoadTarget l) {
    flush();
    try {
      l.replyTo().tell(new TargetLoaded(store.loadTarget(l.target()), null));
    } catch (StoreException e) {
      getContext().getLog().error("Loading {} failed: {}", l.target(), e.getMessage());
      l.replyTo().tell(new TargetLoaded(null, e.getMessage()));
    }
    return this;
  }

  private Behavior<Command> onSaveGroup(SaveGroup s) {
    tdByGroup.put(s.group().name(), s.group().tdMillis());
    members.computeIfAbsent(s.group().name(), g -> new HashMap<>());
    reply(s.replyTo(), () -> store.putGroup(s.group(), settings.fsync()));
    return this;
  }

  private Behavior<Command> onRemoveGroup(RemoveGroup r) {
    flush();
    tdByGroup.remove(r.name());
    members.remove(r.name());
    reply(r.replyTo(), () -> store.removeGroup(r.name(), settings.fsync()));
    return this;
  }

  private Behavior<Command> onSaveParticipant(SaveParticipant s) {
    participants.put(s.participant().id(), s.participant());
    reply(s.replyTo(), () -> store.putParticipant(s.participant(), settings.fsync()));
    return this;
  }

  private Behavior<Command> onRemoveParticipant(RemoveParticipant r) {
    participants.remove(r.id());
    reply(r.replyTo(), () -> store.removeParticipant(r.id(), settings.fsync()));
    return this;
  }

  private Behavior<Command> onSaveMembership(SaveMembership s) {
    MembershipRecord m = s.membership();
    members.computeIfAbsent(m.target(), g -> new HashMap<>()).put(m.member(), m);
    reply(s.replyTo(), () -> store.putMembership(m, settings.fsync()));
    return this;
  }

  private Behavior<Command> onEndMembership(EndMembership e) {
    // Cursor moves still waiting for the group commit go first: written after the end, they
    // would make the membership current again on disk.
    flush();
    MembershipRecord m = e.membership();
    Map<String, MembershipRecord> target = members.get(m.target());
    MembershipRecord current = target == null ? null : target.get(m.member());
    if (current != null && current.joinSeq() == m.joinSeq()) {
      target.remove(m.member());
      // the cursor the session flushed last is the one to keep with the history
      reply(e.replyTo(), () -> store.endMembership(current, e.endSeq(), settings.fsync()));
    } else {
      reply(e.replyTo(), () -> store.endMembership(m, e.endSeq(), settings.fsync()));
    }
    return this;
  }

  private Behavior<Command> onSaveProgress(SaveProgress s) {
    for (JournalStore.Progress p : s.moves()) {
      MembershipRecord m = p.membership();
      Map<String, MembershipRecord> target = members.get(m.target());
      MembershipRecord current = target == null ? null : target.get(m.member());
      if (current == null || current.joinSeq() != m.joinSeq() || current.cursor() >= m.cursor()) {
        continue;
      }
      target.put(m.member(), m);
      // Written with the next group commit: one write for every cursor that moved meanwhile.
      if (pending.isEmpty() && progress.isEmpty()) {
        getContext().getSelf().tell(Flush.INSTANCE);
      }
      progress.add(p);
    }
    return this;
  }

  private Behavior<Command> onSaveExpiry(SaveExpiry s) {
    reply(
        null,
        () ->
            store.putExpiry(s.target(), s.member(), s.afterSeq(), s.notBefore(), settings.fsync()));
    return this;
  }

  private Behavior<Command> onQueryStatus(QueryStatus q) {
    flush();
    Reply answer;
    try {
      answer = status(q);
    } catch (StoreException e) {
      getContext().getLog().error("Journal read failed: {}", e.getMessage());
      answer =
          new Reply.Error(Reply.ErrorCode.STORAGE, "cannot read the journal: " + e.getMessage());
    } catch (RuntimeException e) {
      q.replyTo().tell(new Reply.Error(Reply.ErrorCode.STORAGE, "the journal failed and restarts"));
      throw e;
    }
    q.replyTo().tell(answer);
    return this;
  }

  private Reply status(QueryStatus q) {
    StoredMessage msg = store.message(q.target(), q.seq());
    if (msg == null) {
      return new Reply.Error(
          Reply.ErrorCode.NO_MESSAGE,
          "there is no message #"
              + q.seq()
              + " in "
              + q.target()
              + " (never sent, or older than td and owed to no one)");
    }
    // requester null: the operator, through the coordinator's HTTP API
    if (q.requester() != null && !msg.sender().equals(q.requester())) {
      return new Reply.Error(
          Reply.ErrorCode.NOT_SENDER,
          "message #"
              + q.seq()
              + " in "
              + q.target()
              + " was sent by someone else; only its sender may ask");
    }
    long now = clock.millis();
    List<Reply.RecipientState> states = new ArrayList<>();
    for (Recipient r : q.recipients()) {
      long upTo = r.endSeq() < 0 ? Long.MAX_VALUE : r.endSeq();
      Reply.State state;
      long at = -1;
      if (store.expiredByMarker(q.target(), r.member(), q.seq(), msg.timestamp())) {
        state = Reply.State.EXPIRED;
      } else if ((at = store.deliveredAt(q.target(), r.member(), q.seq(), upTo)) >= 0) {
        state = Reply.State.DELIVERED;
      } else if (r.endSeq() >= 0) {
        state = Reply.State.EXPIRED; // left, or deregistered, before it got it
      } else {
        ParticipantRecord p = participants.get(r.member());
        boolean away =
            p != null
                && Retention.expiredWhileAway(p.offlineSince(), msg.timestamp(), now, q.tdMillis());
        state = away ? Reply.State.EXPIRED : Reply.State.SENT;
      }
      states.add(new Reply.RecipientState(r.member(), state, at));
    }
    states.sort(java.util.Comparator.comparing(Reply.RecipientState::recipient));
    return new Reply.MessageStatus(q.target(), q.seq(), states);
  }

  /** One seek per target: the dashboard asks every few seconds, not per message. */
  private Behavior<Command> onGetOldest(GetOldest g) {
    flush();
    Oldest oldest = new Oldest(null, -1, -1);
    for (String target : members.keySet()) {
      try {
        List<StoredMessage> first = store.read(target, 1, Retention.EVERYTHING, 1, 1).messages();
        if (!first.isEmpty()
            && (oldest.timestamp() < 0 || first.get(0).timestamp() < oldest.timestamp())) {
          oldest = new Oldest(target, first.get(0).seq(), first.get(0).timestamp());
        }
      } catch (StoreException e) {
        getContext().getLog().warn("Reading the oldest message failed: {}", e.getMessage());
      }
    }
    g.replyTo().tell(oldest);
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
    for (Map.Entry<String, Map<String, MembershipRecord>> g : members.entrySet()) {
      long td = tdByGroup.getOrDefault(g.getKey(), tdMillis);
      long protectedFrom = Long.MAX_VALUE;
      for (MembershipRecord m : g.getValue().values()) {
        ParticipantRecord p = participants.get(m.member());
        if (p == null || Retention.protectsBacklog(p, now, td)) {
          protectedFrom = Math.min(protectedFrom, m.cursor());
        }
      }
      try {
        long removed = store.prune(g.getKey(), protectedFrom, Retention.expiredBefore(now, td));
        if (removed > 0) {
          metrics.pruned(removed);
          getContext().getLog().debug("Pruned [{}] messages of [{}]", removed, g.getKey());
        }
      } catch (StoreException e) {
        getContext().getLog().warn("Pruning [{}] failed: {}", g.getKey(), e.getMessage());
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
