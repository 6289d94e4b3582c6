package tempocast.coordinator;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.ReceiveBuilder;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import tempocast.Failures;
import tempocast.journal.JournalStore;
import tempocast.journal.MembershipRecord;
import tempocast.journal.MessageJournal;
import tempocast.journal.ParticipantRecord;
import tempocast.journal.Retention;
import tempocast.metrics.Metrics;
import tempocast.protocol.DeliveryCodec;
import tempocast.protocol.Lines;
import tempocast.protocol.Reply;
import tempocast.protocol.StoredMessage;

/**
 * One registered participant: the one owner of its presence (online, offline, lost, and since
 * when), of its one delivery connection, and of its delivery window, with beside it one
 * subscription per target it receives (each group it is a member of, and its inbox {@code @ID}):
 * the target's cursor (the highest sequence number its receiver acknowledged) and what has been
 * sent of it.
 *
 * <p>Live messages go straight to the link while the participant keeps up. At most {@code
 * delivery-window} messages (and bytes) are unacknowledged over all its targets together; past
 * that, and after a reconnect, the session reads what it is owed from the journal, so a slow or
 * long-offline participant costs disk, not memory.
 *
 * <p>A participant is offline only when it says so (DISCONNECT, or a failed RECONNECT). One whose
 * receiver stops answering (heartbeat timeout, a broken connection, a coordinator restart) is
 * <em>lost</em>: the session keeps trying to reach its receiver, with a backoff of at most twice
 * the heartbeat interval, and resumes deliveries by itself as soon as the receiver answers, under
 * each target's td rule counted from the moment it was lost.
 *
 * <p>Its presence is one of four states, each a behavior that handles only what means something in
 * it: {@link #offline}, {@link #attaching} (a REGISTER or RECONNECT waits for its receiver), {@link
 * #online} and {@link #lost}; what means the same in all of them is added to each by {@link
 * #withSharedCases}. Groups and the delivery loop call the session from their threads ({@link
 * MemberFeed}, {@link DeliveryLink.Listener}): those calls read the state from {@link #presence},
 * which every switch sets, under the session's lock like every handler.
 */
public final class ParticipantSession extends AbstractBehavior<ParticipantSession.Command>
    implements MemberFeed, DeliveryLink.Listener {

  public sealed interface Command {}

  /**
   * Registers: reach the receiver, then join the inbox and {@code group}; replies {@link
   * Reply.Registered} or an error, after which the directory removes the participant again.
   */
  public record Register(
      String group,
      ActorRef<GroupManager.Command> groupManager,
      ActorRef<GroupManager.Command> inbox,
      ActorRef<Reply> replyTo)
      implements Command {}

  /** Back online at its receiver; {@code group} is only echoed in the reply. */
  public record Reconnect(String group, String host, int port, ActorRef<Reply> replyTo)
      implements Command {}

  public record Disconnect(String group, ActorRef<Reply> replyTo) implements Command {}

  /** Leaves every target and the system; the directory stops the session once it replied. */
  public record Deregister(String group, ActorRef<Reply> replyTo) implements Command {}

  /** Becomes a member of {@code target} (a new entrant); replies with {@code joined}. */
  public record Join(
      String target, ActorRef<GroupManager.Command> manager, ActorRef<GroupManager.Joined> replyTo)
      implements Command {}

  public record Leave(String target, ActorRef<Reply> replyTo) implements Command {}

  /** A direct message from this participant to {@code inbox}, sent only while it is online. */
  public record SendDirect(
      ActorRef<GroupManager.Command> inbox, String msgId, byte[] text, ActorRef<Reply> replyTo)
      implements Command {}

  /** Messages of {@code target} just stored; {@code lines} are their delivery lines, in order. */
  public record Deliver(String target, List<StoredMessage> messages, List<ByteString> lines)
      implements Command {}

  /** A notice line (EVENT, DELIVERED) for the participant's console, if its receiver is there. */
  /**
   * {@code happenedAt}: when what it tells of happened (a delivery's acknowledgement), or {@link
   * #NOW}: a participant that was offline then never sees it, even if it is back when the notice
   * arrives.
   */
  public record Notice(ByteString line, long happenedAt) implements Command {}

  public static final long NOW = Long.MAX_VALUE;

  /** The receiver acknowledged everything of {@code target} up to {@code seq} on link linkId. */
  public record LinkAcked(int linkId, String target, long seq) implements Command {}

  public record LinkClosed(int linkId, String reason) implements Command {}

  private record LinkUp(int linkId, DeliveryLink link) implements Command {}

  private record LinkFailed(int linkId, String reason) implements Command {}

  private record ReplayRead(String target, int linkId, JournalStore.ReadResult result)
      implements Command {}

  private record Joined(
      String target,
      ActorRef<GroupManager.Command> manager,
      GroupManager.Joined joined,
      ActorRef<GroupManager.Joined> replyTo)
      implements Command {}

  private record RegisterJoined(
      Register register, GroupManager.Joined inbox, GroupManager.Joined group) implements Command {}

  private record LeftTarget(String target, GroupManager.Left left, ActorRef<Reply> replyTo)
      implements Command {}

  private record Deregistered(String group, ActorRef<Reply> replyTo, String error)
      implements Command {}

  private record PresenceSaved(ActorRef<Reply> replyTo, Reply ok, MessageJournal.Saved saved)
      implements Command {}

  /** {@code count}: how many messages of {@code target} a reconnect past its td is owed. */
  private record OwedCounted(String target, int linkId, long count) implements Command {}

  private enum FlushCursors implements Command {
    INSTANCE
  }

  /** Acknowledgements read on the delivery loop made room in the window for targets behind. */
  private enum PumpAll implements Command {
    INSTANCE
  }

  private enum Reattach implements Command {
    INSTANCE
  }

  private static final Duration FIRST_REATTACH_DELAY = Duration.ofMillis(100);

  /** A target recovered from the journal, with the manager that owns it. */
  public record Recovered(
      MembershipRecord membership,
      long headSeq,
      long tdMillis,
      ActorRef<GroupManager.Command> manager) {}

  /**
   * What every session and group shares: settings, the journal, the connector, the clock, the
   * metrics, and where groups offer the command port their direct path.
   */
  public record Context(
      CoordinatorSettings settings,
      ActorRef<MessageJournal.Command> journal,
      DeliveryLink.Connector connector,
      Clock clock,
      Metrics metrics,
      Publishers publishers) {
    /** With metrics off, and a register of publishers of its own. */
    public Context(
        CoordinatorSettings settings,
        ActorRef<MessageJournal.Command> journal,
        DeliveryLink.Connector connector,
        Clock clock) {
      this(settings, journal, connector, clock, Metrics.disabled(), new Publishers());
    }
  }

  public static Behavior<Command> create(
      ParticipantRecord record,
      List<Recovered> targets,
      boolean fresh,
      Context context,
      ActorRef<Directory.Command> directory) {
    // A bug in one delivery must not strand the participant: its state (cursors, link) stays
    // valid between messages, so the session goes on with the next one.
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                ctx ->
                    Behaviors.withTimers(
                        timers ->
                            new ParticipantSession(
                                ctx, timers, record, targets, fresh, context, directory))))
        .onFailure(RuntimeException.class, SupervisorStrategy.resume());
  }

  /** One target the participant receives. */
  private static final class Subscription {
    final String target;
    final long joinSeq;
    final long tdMillis;
    final ActorRef<GroupManager.Command> manager;

    /** Sent, unacknowledged runs of delivery lines: {last seq of the run, its bytes}. */
    final ArrayDeque<long[]> inFlightRuns = new ArrayDeque<>();

    long inFlightBytes;
    long cursor;

    /** Acknowledgements since the last flush: the seq and the time of each. */
    final List<long[]> acks = new ArrayList<>();

    /** Everything up to here is sent, or was not owed. */
    long sentUpTo;

    /** The highest seq actually written to the link. */
    long lastSent;

    /** The highest stored seq this session has heard of. */
    long headSeq;

    long notBefore = Retention.EVERYTHING;
    boolean reading;
    long lastAckAt;

    Subscription(
        String target,
        long joinSeq,
        long cursor,
        long headSeq,
        long tdMillis,
        ActorRef<GroupManager.Command> manager) {
      this.target = target;
      this.joinSeq = joinSeq;
      this.cursor = cursor;
      this.sentUpTo = cursor;
      this.lastSent = cursor;
      this.headSeq = Math.max(cursor, headSeq);
      this.tdMillis = tdMillis;
      this.manager = manager;
    }

    MembershipRecord record(String member) {
      return new MembershipRecord(target, member, joinSeq, cursor);
    }
  }

  private final ActorRef<Directory.Command> directory;
  private final TimerScheduler<Command> timers;
  private final CoordinatorSettings settings;
  private final ActorRef<MessageJournal.Command> journal;
  private final DeliveryLink.Connector connector;
  private final Clock clock;
  private final Metrics metrics;
  private final int window;
  private final long windowBytes;
  private final String id;
  private final String secretHash;
  private final ActorRef<Command> self;
  private final Map<String, Subscription> subscriptions = new HashMap<>();

  /** A {@link PumpAll} is on its way: the loop need not send another. */
  private boolean pumpRequested;

  /** Cursors moved by acknowledgements read on the loop wait for its progress sweep. */
  private boolean sweepPending;

  /**
   * Joins asked for and not yet answered. A group may deliver to its new member before the answer
   * reaches the session (the answer takes one hop more): those deliveries wait in {@link #early}.
   */
  private int joinsPending;

  private final Map<String, List<Deliver>> early = new HashMap<>();

  /** The subscriptions with more stored than sent: the only ones a pump has work for. */
  private final java.util.Set<Subscription> behind = new java.util.LinkedHashSet<>();

  /** Lines written and not yet sent: see {@link #write}. */

  /** The subscriptions whose cursor moved since the last flush. */
  private final java.util.Set<Subscription> dirty = new java.util.LinkedHashSet<>();

  /** Over every subscription: seqs sent and not yet acknowledged, and their bytes. */
  private long inFlightMessages;

  private long inFlightBytes;

  private String host;
  private int port;

  /**
   * The session's presence, one state at a time, each a behavior that handles only what means
   * something in it ({@link #offline}, {@link #attaching}, {@link #online}, {@link #lost}).
   * Switching behavior sets this field, under the lock: it is what the calls from other threads
   * ({@link #offer}, {@link #notice}, {@link #acked}) read, since they cannot ask the behavior.
   */
  private enum Presence {
    /** Not present: never attached, DISCONNECTed, a failed RECONNECT, or deregistering. */
    OFFLINE,
    /** A REGISTER or RECONNECT waits for its receiver to answer. */
    ATTACHING,
    /** Its delivery link is up. */
    ONLINE,
    /** Present by its own account, but its receiver does not answer: the session retries. */
    LOST
  }

  private Presence presence = Presence.OFFLINE;

  private int reattachAttempts;
  private long offlineSince;

  /** Since when the link is up: notices of what happened before are not shown. */
  private long onlineSince;

  /** The delivery link: set only while online. */
  private DeliveryLink link;

  /** The latest connect's, or link's, number: what an older one still reports is stale. */
  private int linkId;

  private ParticipantSession(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      ParticipantRecord record,
      List<Recovered> targets,
      boolean fresh,
      Context context,
      ActorRef<Directory.Command> directory) {
    super(ctx);
    this.self = ctx.getSelf();
    this.directory = directory;
    this.timers = timers;
    this.settings = context.settings();
    this.journal = context.journal();
    this.connector = context.connector();
    this.clock = context.clock();
    this.metrics = context.metrics();
    this.window = settings.deliveryWindow();
    this.windowBytes = settings.deliveryWindowBytes();
    this.id = record.id();
    this.secretHash = record.secretHash();
    this.host = record.host();
    this.port = record.port();
    for (Recovered r : targets) {
      MembershipRecord m = r.membership();
      Subscription s =
          new Subscription(
              m.target(), m.joinSeq(), m.cursor(), r.headSeq(), r.tdMillis(), r.manager());
      subscriptions.put(m.target(), s);
    }
    if (fresh) {
      this.offlineSince = clock.millis();
    } else if (record.online()) {
      // Online when the coordinator stopped: lost from this start-up on (or from when its
      // receiver was lost before), and reached again unasked.
      this.offlineSince = record.offlineSince() >= 0 ? record.offlineSince() : clock.millis();
      this.presence = Presence.LOST;
      if (record.offlineSince() < 0) {
        journal.tell(new MessageJournal.SaveParticipant(record(), null));
      }
      timers.startSingleTimer(Reattach.INSTANCE, Duration.ZERO);
    } else {
      this.offlineSince = record.offlineSince();
    }
    // Last: once bound, managers call this session from their threads (see MemberFeed), under its
    // lock.
    synchronized (this) {
      for (Subscription s : subscriptions.values()) {
        s.manager.tell(new GroupManager.Bind(id, self, this, secretHash, record.online()));
      }
    }
  }

  /**
   * The state the constructor left: lost if it was online when the coordinator stopped. Handlers
   * return {@code Behaviors.same()} or the next state, never {@code this}, which is only the first
   * state.
   */
  @Override
  public Receive<Command> createReceive() {
    synchronized (this) {
      return presence == Presence.LOST ? lost(false) : offline();
    }
  }

  /**
   * Every handler runs under the session's lock, which {@link MemberFeed} and {@link
   * DeliveryLink.Listener} calls from other threads take too: the session's state has one owner at
   * a time, held for microseconds, never across a wait.
   */
  private <M> org.apache.pekko.japi.function.Function<M, Behavior<Command>> locked(
      org.apache.pekko.japi.function.Function<M, Behavior<Command>> handler) {
    return m -> {
      synchronized (this) {
        return handler.apply(m);
      }
    };
  }

  private org.apache.pekko.japi.function.Creator<Behavior<Command>> lockedSignal(
      org.apache.pekko.japi.function.Creator<Behavior<Command>> handler) {
    return () -> {
      synchronized (this) {
        return handler.create();
      }
    };
  }

  // ------------------------------------------------------------------ presence states

  /**
   * A REGISTER or RECONNECT under way: {@code register} for a REGISTER (whose targets are owed
   * everything from their join), the reply {@code ok} for a RECONNECT. {@code present}: whether its
   * groups count the participant present meanwhile, as they were last told (it was online or lost
   * when it sent RECONNECT); a failed attach then tells them it is offline.
   */
  private record Attach(Register register, ActorRef<Reply> replyTo, Reply ok, boolean present) {}

  /**
   * Not present. A REGISTER or RECONNECT starts an attach; deliveries only move how far each target
   * goes: the journal keeps them for the next attach.
   */
  private Receive<Command> offline() {
    presence = Presence.OFFLINE;
    ReceiveBuilder<Command> b =
        newReceiveBuilder()
            .onMessage(Register.class, locked(this::onRegister))
            .onMessage(Reconnect.class, locked(r -> reconnect(r, false)))
            .onMessage(Disconnect.class, locked(this::onDisconnectOffline))
            .onMessage(Deregister.class, locked(this::deregister))
            .onMessage(Deliver.class, locked(this::onDeliverAway));
    return withSharedCases(b, false, false).build();
  }

  /**
   * A connect that a participant waits for (REGISTER or RECONNECT): its other presence commands are
   * busy until the receiver answers ({@link LinkUp}: online) or not ({@link LinkFailed}: offline,
   * or a REGISTER's session stops).
   */
  private Receive<Command> attaching(Attach a) {
    presence = Presence.ATTACHING;
    ReceiveBuilder<Command> b =
        newReceiveBuilder()
            .onMessage(Reconnect.class, locked(r -> busy(r.replyTo())))
            .onMessage(Disconnect.class, locked(d -> busy(d.replyTo())))
            .onMessage(Deregister.class, locked(d -> busy(d.replyTo())))
            .onMessage(
                LinkUp.class,
                locked(up -> up.linkId() == linkId ? attached(a, up) : onStaleLinkUp(up)))
            .onMessage(
                LinkFailed.class,
                locked(f -> f.linkId() == linkId ? attachFailed(a, f) : ignore(f)))
            .onMessage(Deliver.class, locked(this::onDeliverAway))
            .onSignal(PostStop.class, s -> lockedSignal(() -> onPostStopAttaching(a)).create());
    return withSharedCases(b, a.present(), false).build();
  }

  /**
   * Its link is up: deliveries are written, acknowledgements move cursors and make room in the
   * window; the link closing makes it lost.
   */
  private Receive<Command> online() {
    presence = Presence.ONLINE;
    ReceiveBuilder<Command> b =
        newReceiveBuilder()
            .onMessage(Reconnect.class, locked(this::onReconnectOnline))
            .onMessage(Disconnect.class, locked(this::onDisconnectOnline))
            .onMessage(Deregister.class, locked(this::onDeregisterOnline))
            .onMessage(LinkClosed.class, locked(this::onLinkClosed))
            .onMessage(PresenceSaved.class, locked(this::onPresenceSavedOnline))
            .onMessage(Deliver.class, locked(this::onDeliver))
            .onMessage(LinkAcked.class, locked(this::onLinkAcked))
            .onMessage(ReplayRead.class, locked(this::onReplayRead))
            .onMessage(OwedCounted.class, locked(this::onOwedCounted))
            .onMessage(Notice.class, locked(this::onNotice))
            .onMessageEquals(PumpAll.INSTANCE, lockedSignal(this::onPumpAll));
    return withSharedCases(b, true, true).build();
  }

  /**
   * Present by the participant's own account, but its receiver stopped answering: the session tries
   * to reach it again ({@code trying}: a connect is under way, else a {@link Reattach} is due),
   * with a backoff, until it answers or the participant speaks.
   *
   * <p>A state of its own, not offline with a retry: the participant is present in it (it may send,
   * its groups count it present, the journal stores it online), and what a command does differs
   * from offline (DISCONNECT and DEREGISTER stop the retries, a RECONNECT replaces them), and from
   * attaching (nobody waits for the session's own connects, so nothing is busy).
   */
  private Receive<Command> lost(boolean trying) {
    presence = Presence.LOST;
    ReceiveBuilder<Command> b =
        newReceiveBuilder()
            .onMessage(Reconnect.class, locked(this::onReconnectLost))
            .onMessage(Disconnect.class, locked(d -> onDisconnectLost(d, trying)))
            .onMessage(Deregister.class, locked(d -> onDeregisterLost(d, trying)))
            .onMessage(Deliver.class, locked(this::onDeliverAway));
    if (trying) {
      b.onMessage(
              LinkUp.class,
              locked(up -> up.linkId() == linkId ? reachedAgain(up) : onStaleLinkUp(up)))
          .onMessage(
              LinkFailed.class, locked(f -> f.linkId() == linkId ? retryFailed(f) : ignore(f)));
    } else {
      b.onMessageEquals(Reattach.INSTANCE, lockedSignal(this::onReattach));
    }
    return withSharedCases(b, true, false).build();
  }

  /**
   * What means the same in every state ({@code present}: the participant is online by its own
   * account; {@code reachable}: its link is up), then what the state before has left behind and
   * this one ignores: a link's or a connect's report that is stale here, a timer that is no longer
   * due. Added after the state's own cases, which come first.
   */
  private ReceiveBuilder<Command> withSharedCases(
      ReceiveBuilder<Command> b, boolean present, boolean reachable) {
    return b.onMessage(RegisterJoined.class, locked(this::onRegisterJoined))
        .onMessage(PresenceSaved.class, locked(this::onPresenceSaved))
        .onMessage(Deregistered.class, locked(this::onDeregistered))
        .onMessage(Join.class, locked(j -> onJoin(j, present, reachable)))
        .onMessage(Joined.class, locked(this::onJoined))
        .onMessage(Leave.class, locked(this::onLeave))
        .onMessage(LeftTarget.class, locked(this::onLeftTarget))
        .onMessage(SendDirect.class, locked(s -> onSendDirect(s, present)))
        .onMessageEquals(FlushCursors.INSTANCE, lockedSignal(this::onFlushCursors))
        .onSignal(PostStop.class, s -> lockedSignal(this::onPostStop).create())
        // stale here
        .onMessage(LinkUp.class, locked(this::onStaleLinkUp))
        .onMessage(LinkFailed.class, locked(this::ignore))
        .onMessage(LinkClosed.class, locked(this::ignore))
        .onMessage(LinkAcked.class, locked(this::ignore))
        .onMessage(ReplayRead.class, locked(this::onReplayReadAway))
        .onMessage(OwedCounted.class, locked(this::ignore)) // the next link counts again
        .onMessage(Notice.class, locked(this::ignore)) // nobody to show it to
        .onMessageEquals(Reattach.INSTANCE, lockedSignal(Behaviors::same))
        .onMessageEquals(PumpAll.INSTANCE, lockedSignal(this::onPumpAllAway));
  }

  private Behavior<Command> ignore(Command stale) {
    return Behaviors.same();
  }

  // ------------------------------------------------------------------ presence

  private Behavior<Command> onRegister(Register r) {
    connect(false);
    return attaching(new Attach(r, r.replyTo(), null, false));
  }

  /** {@code present}: online or lost, which its groups believe until the attach ends. */
  private Behavior<Command> reconnect(Reconnect r, boolean present) {
    host = r.host();
    port = r.port();
    connect(false);
    return attaching(new Attach(null, r.replyTo(), new Reply.Reconnected(r.group(), id), present));
  }

  private Behavior<Command> onReconnectOnline(Reconnect r) {
    // It says it is offline, so the link we hold is dead even if TCP has not noticed.
    goOffline(clock.millis(), "replaced by a new RECONNECT");
    return reconnect(r, true);
  }

  private Behavior<Command> onReconnectLost(Reconnect r) {
    // The participant's own word supersedes the session's retries of a lost receiver.
    timers.cancel(Reattach.INSTANCE);
    return reconnect(r, true);
  }

  /**
   * Connects to the receiver at host:port, as connect number {@code ++linkId}; the outcome comes
   * back as LinkUp or LinkFailed with that number.
   */
  private void connect(boolean awaitAnswer) {
    int attempt = ++linkId;
    // A retry waits for the receiver's first answer: a stopped process's kernel still accepts
    // the connection, and the participant must not count as reached until its receiver speaks.
    getContext()
        .pipeToSelf(
            connector.connect(host, port, id, attempt, awaitAnswer, self, this),
            (l, err) ->
                err == null
                    ? new LinkUp(attempt, l)
                    : new LinkFailed(attempt, Failures.firstMessage(Failures.unwrap(err))));
  }

  /** A connect that was superseded (a newer one, DISCONNECT) answered after all: not used. */
  private Behavior<Command> onStaleLinkUp(LinkUp up) {
    up.link().close();
    return Behaviors.same();
  }

  private Behavior<Command> attached(Attach a, LinkUp up) {
    boolean fresh = a.register() != null;
    Behavior<Command> next = goOnline(up.link(), fresh, clock.millis());
    if (!fresh) {
      metrics.reconnected(false);
    }
    tellManagers(true, true);
    announceOwed();
    if (fresh) {
      // A new participant: stored once its receiver answered, then it joins its inbox and group.
      journal.tell(new MessageJournal.SaveParticipant(record(), null));
      joinForRegister(a.register());
    } else {
      savePresence(a.replyTo(), a.ok());
    }
    pumpAll();
    return next;
  }

  private Behavior<Command> reachedAgain(LinkUp up) {
    long now = clock.millis();
    getContext()
        .getLog()
        .info(
            "Participant [{}] reachable again at [{}:{}] after [{}] attempts, offline for [{}] ms",
            id,
            host,
            port,
            reattachAttempts,
            now - offlineSince);
    Behavior<Command> next = goOnline(up.link(), false, now);
    metrics.reconnected(true);
    tellManagers(true, true);
    announceOwed();
    journal.tell(new MessageJournal.SaveParticipant(record(), null));
    pumpAll();
    return next;
  }

  /**
   * The link is up: every target starts again from its cursor on it, under the td rule counted from
   * when the participant went offline ({@code fresh}, a REGISTER: owed everything).
   */
  private Behavior<Command> goOnline(DeliveryLink up, boolean fresh, long now) {
    for (Subscription s : subscriptions.values()) {
      s.notBefore =
          fresh ? Retention.EVERYTHING : Retention.replayNotBefore(offlineSince, now, s.tdMillis);
      if (s.notBefore != Retention.EVERYTHING) {
        // Of what it missed, the messages older than td never go out: they expire for it.
        journal.tell(new MessageJournal.SaveExpiry(s.target, id, s.cursor, s.notBefore));
        s.manager.tell(new GroupManager.Expired(id, s.cursor, s.notBefore));
      }
      s.sentUpTo = s.cursor;
      s.lastSent = s.cursor;
      s.reading = false;
      s.inFlightRuns.clear();
      s.inFlightBytes = 0;
      track(s);
    }
    inFlightMessages = 0;
    inFlightBytes = 0;
    reattachAttempts = 0;
    link = up;
    onlineSince = now;
    offlineSince = -1;
    Behavior<Command> next = online();
    getContext().getLog().info("Participant [{}] online at [{}:{}]", id, host, port);
    return next;
  }

  private void joinForRegister(Register r) {
    joinsPending++;
    getContext()
        .ask(
            GroupManager.Joined.class,
            r.inbox(),
            settings.askTimeout(),
            ref -> new GroupManager.Join(id, self, this, secretHash, true, true, ref),
            (joined, err) ->
                new RegisterJoined(r, joined == null ? failedJoin(err) : joined, null));
  }

  private static GroupManager.Joined failedJoin(Throwable err) {
    return GroupManager.Joined.failed(
        Reply.ErrorCode.INTERNAL, "the group did not answer in time: " + err.getMessage());
  }

  private Behavior<Command> onRegisterJoined(RegisterJoined j) {
    joinsPending--;
    Behavior<Command> next = registerJoined(j);
    settleJoins();
    return next;
  }

  private Behavior<Command> registerJoined(RegisterJoined j) {
    Register r = j.register();
    if (!j.inbox().ok()) {
      journal.tell(new MessageJournal.RemoveParticipant(id, null));
      directory.tell(new Directory.Deregistered(id, getContext().getSelf()));
      r.replyTo().tell(j.inbox().error());
      return Behaviors.stopped();
    }
    if (j.group() == null) {
      subscribe(j.inbox());
      joinsPending++;
      getContext()
          .ask(
              GroupManager.Joined.class,
              r.groupManager(),
              settings.askTimeout(),
              ref -> new GroupManager.Join(id, self, this, secretHash, true, true, ref),
              (joined, err) ->
                  new RegisterJoined(r, j.inbox(), joined == null ? failedJoin(err) : joined));
      return Behaviors.same();
    }
    if (!j.group().ok()) {
      r.replyTo().tell(j.group().error());
      return Behaviors.same();
    }
    subscribe(j.group());
    r.replyTo().tell(new Reply.Registered(r.group(), id, j.group().joinSeq() + 1));
    return Behaviors.same();
  }

  /** Not online (any more): the presence stored, or not, is all there is to answer. */
  private Behavior<Command> onPresenceSaved(PresenceSaved s) {
    s.replyTo().tell(s.saved().ok() ? s.ok() : presenceNotStored(s));
    return Behaviors.same();
  }

  private Behavior<Command> onPresenceSavedOnline(PresenceSaved s) {
    if (s.saved().ok()) {
      s.replyTo().tell(s.ok());
      return Behaviors.same();
    }
    goOffline(clock.millis(), "presence could not be stored");
    Behavior<Command> next = offline();
    tellManagers(false, false);
    s.replyTo().tell(presenceNotStored(s));
    return next;
  }

  private static Reply.Error presenceNotStored(PresenceSaved s) {
    return new Reply.Error(
        Reply.ErrorCode.STORAGE, "cannot store the reconnection: " + s.saved().error());
  }

  private Behavior<Command> attachFailed(Attach a, LinkFailed f) {
    Reply.Error error =
        new Reply.Error(
            Reply.ErrorCode.UNREACHABLE,
            "cannot connect to the receiver at " + host + ":" + port + ": " + f.reason());
    if (a.register() != null) {
      // The registration never took effect: the ID is free before the participant hears why.
      directory.tell(new Directory.Deregistered(id, getContext().getSelf()));
      a.replyTo().tell(error);
      presence = Presence.OFFLINE; // answered: nobody waits any more when the session stops
      return Behaviors.stopped();
    }
    // It asked to be online at an address that does not answer: it is offline now, as its
    // participant, which released that address, believes too.
    Behavior<Command> next = offline();
    if (a.present()) {
      journal.tell(new MessageJournal.SaveParticipant(record(), null));
      tellManagers(false, false);
    }
    a.replyTo().tell(error);
    return next;
  }

  /** The link closed under a present participant: lost, and the session reaches it again. */
  private Behavior<Command> onLinkClosed(LinkClosed c) {
    if (c.linkId() != linkId) {
      return Behaviors.same(); // an older link's
    }
    goOffline(clock.millis(), c.reason() + "; reconnecting to it");
    reattachAttempts = 0;
    Behavior<Command> next = lost(false);
    journal.tell(new MessageJournal.SaveParticipant(record(), null));
    tellManagers(true, false);
    timers.startSingleTimer(Reattach.INSTANCE, FIRST_REATTACH_DELAY);
    return next;
  }

  private Behavior<Command> onReattach() {
    reattachAttempts++;
    connect(true);
    return lost(true);
  }

  private Behavior<Command> retryFailed(LinkFailed f) {
    if (reattachAttempts == 1) {
      getContext()
          .getLog()
          .info(
              "Participant [{}] lost: cannot reach its receiver at [{}:{}] ({}); retrying until it"
                  + " answers",
              id,
              host,
              port,
              f.reason());
    }
    scheduleReattach();
    return lost(false);
  }

  /** Backoff doubling from 100 ms to twice the heartbeat interval. */
  private void scheduleReattach() {
    long max =
        Math.max(FIRST_REATTACH_DELAY.toMillis(), 2 * settings.heartbeatInterval().toMillis());
    long delay = FIRST_REATTACH_DELAY.toMillis() << Math.min(reattachAttempts, 16);
    timers.startSingleTimer(Reattach.INSTANCE, Duration.ofMillis(Math.min(delay, max)));
  }

  private Behavior<Command> onDisconnectOffline(Disconnect d) {
    d.replyTo().tell(new Reply.Error(Reply.ErrorCode.NOT_ONLINE, id + " is already offline"));
    return Behaviors.same();
  }

  private Behavior<Command> onDisconnectOnline(Disconnect d) {
    goOffline(clock.millis(), "participant disconnected");
    return disconnected(d);
  }

  private Behavior<Command> onDisconnectLost(Disconnect d, boolean trying) {
    stopRetrying(trying);
    return disconnected(d);
  }

  private Behavior<Command> disconnected(Disconnect d) {
    Behavior<Command> next = offline();
    tellManagers(false, false);
    savePresence(d.replyTo(), new Reply.Disconnected(d.group(), id));
    return next;
  }

  /** Stores the participant's presence, then answers {@code ok}, or says it could not. */
  private void savePresence(ActorRef<Reply> replyTo, Reply ok) {
    getContext()
        .ask(
            MessageJournal.Saved.class,
            journal,
            settings.askTimeout(),
            ref -> new MessageJournal.SaveParticipant(record(), ref),
            (saved, err) ->
                new PresenceSaved(
                    replyTo, ok, err == null ? saved : new MessageJournal.Saved(err.getMessage())));
  }

  /** {@code trying}: the connect under way is void. */
  private void stopRetrying(boolean trying) {
    timers.cancel(Reattach.INSTANCE);
    if (trying) {
      linkId++;
    }
  }

  /** Leaves online: the link closes, and whatever it still reports is stale from now on. */
  private void goOffline(long now, String reason) {
    getContext().getLog().info("Participant [{}] offline: {}", id, reason);
    offlineSince = now;
    linkId++;
    if (link != null) {
      link.close();
      link = null;
    }
    flushCursors();
  }

  private void tellManagers(boolean present, boolean reachable) {
    for (Subscription s : subscriptions.values()) {
      s.manager.tell(new GroupManager.Presence(id, present, reachable));
    }
  }

  private Behavior<Command> onDeregisterOnline(Deregister d) {
    goOffline(clock.millis(), "participant deregistered");
    return deregister(d);
  }

  private Behavior<Command> onDeregisterLost(Deregister d, boolean trying) {
    stopRetrying(trying);
    return deregister(d);
  }

  /** Offline, it leaves every target, then the journal forgets it; {@link Deregistered} follows. */
  private Behavior<Command> deregister(Deregister d) {
    flushCursors();
    List<java.util.concurrent.CompletionStage<GroupManager.Left>> leaving = new ArrayList<>();
    for (Subscription s : subscriptions.values()) {
      leaving.add(
          org.apache.pekko.actor.typed.javadsl.AskPattern.ask(
              s.manager,
              ref -> new GroupManager.Leave(id, true, ref),
              settings.askTimeout(),
              getContext().getSystem().scheduler()));
    }
    java.util.concurrent.CompletableFuture<?>[] all =
        leaving.stream()
            .map(java.util.concurrent.CompletionStage::toCompletableFuture)
            .toArray(java.util.concurrent.CompletableFuture[]::new);
    getContext()
        .pipeToSelf(
            java.util.concurrent.CompletableFuture.allOf(all)
                .thenCompose(
                    done ->
                        org.apache.pekko.actor.typed.javadsl.AskPattern
                            .<MessageJournal.Command, MessageJournal.Saved>ask(
                                journal,
                                ref -> new MessageJournal.RemoveParticipant(id, ref),
                                settings.askTimeout(),
                                getContext().getSystem().scheduler())),
            (saved, err) ->
                new Deregistered(
                    d.group(),
                    d.replyTo(),
                    err != null ? Failures.rootMessage(err) : saved.error()));
    return offline();
  }

  private Behavior<Command> onDeregistered(Deregistered d) {
    if (d.error() != null) {
      d.replyTo()
          .tell(
              new Reply.Error(
                  Reply.ErrorCode.STORAGE, "cannot store the deregistration: " + d.error()));
    } else {
      // The directory frees the ID before the participant hears OK, so that a REGISTER it sends
      // next finds it free.
      directory.tell(new Directory.Deregistered(id, getContext().getSelf()));
      d.replyTo().tell(new Reply.Deregistered(d.group(), id));
    }
    subscriptions.clear();
    return Behaviors.stopped();
  }

  private Behavior<Command> busy(ActorRef<Reply> replyTo) {
    replyTo.tell(
        new Reply.Error(
            Reply.ErrorCode.BUSY, "a REGISTER or RECONNECT for " + id + " is in progress"));
    return Behaviors.same();
  }

  // ------------------------------------------------------------------ membership

  private Behavior<Command> onJoin(Join j, boolean present, boolean reachable) {
    joinsPending++;
    getContext()
        .ask(
            GroupManager.Joined.class,
            j.manager(),
            settings.askTimeout(),
            ref -> new GroupManager.Join(id, self, this, secretHash, present, reachable, ref),
            (joined, err) ->
                new Joined(
                    j.target(),
                    j.manager(),
                    joined == null ? failedJoin(err) : joined,
                    j.replyTo()));
    return Behaviors.same();
  }

  private Behavior<Command> onJoined(Joined j) {
    joinsPending--;
    if (j.joined().ok()) {
      subscribe(j.joined());
    }
    settleJoins();
    j.replyTo().tell(j.joined());
    return Behaviors.same();
  }

  private void subscribe(GroupManager.Joined j) {
    Subscription s =
        new Subscription(
            j.target(), j.joinSeq(), j.joinSeq(), j.joinSeq(), j.tdMillis(), j.manager());
    s.sentUpTo = j.joinSeq();
    s.lastSent = j.joinSeq();
    subscriptions.put(j.target(), s);
    List<Deliver> before = early.remove(j.target());
    if (before != null) {
      before.forEach(this::deliver);
    }
  }

  /** With no join unanswered, what is still early was for no target of this session. */
  private void settleJoins() {
    if (joinsPending == 0) {
      early.clear();
    }
  }

  private Behavior<Command> onLeave(Leave l) {
    Subscription s = subscriptions.get(l.target());
    if (s == null) {
      l.replyTo()
          .tell(
              new Reply.Error(
                  Reply.ErrorCode.NOT_MEMBER,
                  id + " is not a member of group " + l.target() + ": nothing to leave"));
      return Behaviors.same();
    }
    flushCursors();
    getContext()
        .ask(
            GroupManager.Left.class,
            s.manager,
            settings.askTimeout(),
            ref -> new GroupManager.Leave(id, false, ref),
            (left, err) ->
                new LeftTarget(
                    l.target(),
                    left != null
                        ? left
                        : new GroupManager.Left(
                            new Reply.Error(Reply.ErrorCode.INTERNAL, "the group did not answer")),
                    l.replyTo()));
    return Behaviors.same();
  }

  private Behavior<Command> onLeftTarget(LeftTarget l) {
    if (l.left().reply() instanceof Reply.Left) {
      Subscription s = subscriptions.remove(l.target());
      if (s != null) {
        dirty.remove(s);
        // What was in flight of it no longer counts against the window.
        inFlightMessages -= s.lastSent - s.cursor;
        inFlightBytes -= s.inFlightBytes;
        behind.remove(s);
      }
    }
    l.replyTo().tell(l.left().reply());
    return Behaviors.same();
  }

  private Behavior<Command> onSendDirect(SendDirect s, boolean present) {
    if (!present) {
      s.replyTo()
          .tell(new Reply.Error(Reply.ErrorCode.NOT_ONLINE, id + " is offline: RECONNECT first"));
      return Behaviors.same();
    }
    s.inbox().tell(new GroupManager.PublishFrom(id, s.msgId(), s.text(), s.replyTo()));
    return Behaviors.same();
  }

  private Behavior<Command> onNotice(Notice n) {
    if (presence == Presence.ONLINE && link != null && n.happenedAt() >= onlineSince) {
      write(n.line());
    }
    return Behaviors.same();
  }

  // ------------------------------------------------------------------ deliveries

  @Override
  public synchronized boolean offer(Deliver d) {
    Subscription s = subscriptions.get(d.target());
    List<StoredMessage> msgs = d.messages();
    if (s == null
        || msgs.isEmpty()
        || presence != Presence.ONLINE
        || s.reading
        || s.sentUpTo < s.headSeq
        // a delivery still in the mailbox comes first
        || msgs.get(0).seq() > s.sentUpTo + 1) {
      return false;
    }
    s.headSeq = Math.max(s.headSeq, msgs.get(msgs.size() - 1).seq());
    writeLive(s, d);
    if (s.sentUpTo < s.headSeq) {
      requestPump(); // the window filled: the rest comes from the journal
    }
    return true;
  }

  @Override
  public synchronized void notice(Notice n) {
    onNotice(n);
  }

  /** Online: written to the link if the target keeps up, else read from the journal in order. */
  private Behavior<Command> onDeliver(Deliver d) {
    Subscription s = subscriptions.get(d.target());
    long previousHead = s != null ? s.headSeq : 0;
    if (!noteDelivery(d)) {
      return Behaviors.same();
    }
    if (s.reading || s.sentUpTo < previousHead) {
      pump(s); // behind: the journal has these, and pump reads them in order
      return Behaviors.same();
    }
    writeLive(s, d);
    pump(s);
    return Behaviors.same();
  }

  /** Not online: the journal keeps them for the next link; the target only learns its head. */
  private Behavior<Command> onDeliverAway(Deliver d) {
    noteDelivery(d);
    return Behaviors.same();
  }

  /** Early deliveries taken up by a join, in whatever state the session is. */
  private void deliver(Deliver d) {
    if (presence == Presence.ONLINE) {
      onDeliver(d);
    } else {
      onDeliverAway(d);
    }
  }

  /**
   * Moves the target's head to {@code d}'s last message; false if there is nothing more to do: no
   * messages, or a target the session does not receive (kept while a join is unanswered).
   */
  private boolean noteDelivery(Deliver d) {
    Subscription s = subscriptions.get(d.target());
    List<StoredMessage> msgs = d.messages();
    if (s == null) {
      if (joinsPending > 0) {
        early.computeIfAbsent(d.target(), t -> new ArrayList<>()).add(d);
      }
      return false;
    }
    if (msgs.isEmpty()) {
      return false;
    }
    s.headSeq = Math.max(s.headSeq, msgs.get(msgs.size() - 1).seq());
    track(s);
    return true;
  }

  /** Keeping up: writes the live messages straight to the link, as far as the window allows. */
  private void writeLive(Subscription s, Deliver d) {
    List<StoredMessage> msgs = d.messages();
    // One line, the usual case with many groups, goes as the manager rendered it: no copy.
    ByteString single = null;
    ByteStringBuilder out = null;
    for (int i = 0; i < msgs.size(); i++) {
      StoredMessage m = msgs.get(i);
      if (m.seq() <= s.sentUpTo) {
        continue;
      }
      if (windowFull(out != null ? out.length() : single != null ? single.length() : 0)) {
        break;
      }
      if (m.timestamp() >= s.notBefore) {
        ByteString line = d.lines().get(i);
        if (single == null && out == null) {
          single = line;
        } else {
          if (out == null) {
            out = new ByteStringBuilder().append(single);
          }
          out.append(line);
        }
        moveLastSent(s, m.seq());
        metrics.deliverySent();
      }
      s.sentUpTo = m.seq();
    }
    track(s);
    if (out != null) {
      send(s, out.result());
    } else if (single != null) {
      send(s, single);
    }
  }

  /** From another thread: pumping reads the journal, which only the actor may ask. */
  private void requestPump() {
    if (!pumpRequested) {
      pumpRequested = true;
      self.tell(PumpAll.INSTANCE);
    }
  }

  private Behavior<Command> onPumpAll() {
    pumpRequested = false;
    pumpAll();
    return Behaviors.same();
  }

  /** Nothing to pump off the link: the next link starts every target from its cursor. */
  private Behavior<Command> onPumpAllAway() {
    pumpRequested = false;
    return Behaviors.same();
  }

  private Behavior<Command> onLinkAcked(LinkAcked a) {
    Subscription s = subscriptions.get(a.target());
    if (a.linkId() != linkId || s == null) {
      return Behaviors.same();
    }
    if (ack(s, a.seq())) {
      markCursorDirty(s);
    }
    pumpAll(); // room in the window is room for every target
    return Behaviors.same();
  }

  /**
   * ACKs read on the delivery loop, on its thread: cursors move at once, and the loop's progress
   * sweep takes them to the journal and the groups ({@link #sweepProgress}), so an acknowledgement
   * costs the session no message unless targets behind can now be pumped.
   */
  @Override
  public synchronized boolean acked(int ackLinkId, String target, long seq) {
    Subscription s = subscriptions.get(target);
    if (ackLinkId != linkId || presence != Presence.ONLINE || s == null) {
      return false;
    }
    boolean moved = ack(s, seq);
    if (moved) {
      dirty.add(s);
    }
    if (!behind.isEmpty()) {
      requestPump();
    }
    if (moved && !sweepPending) {
      sweepPending = true;
      return true;
    }
    return false;
  }

  /** Moves the cursor and frees the window; true if the cursor moved. */
  private boolean ack(Subscription s, long seq) {
    long acked = Math.min(seq, s.lastSent); // never past what was sent
    boolean moved = false;
    if (acked > s.cursor) {
      moveCursor(s, acked);
      s.lastAckAt = clock.millis();
      s.acks.add(new long[] {acked, s.lastAckAt});
      moved = true;
    }
    while (!s.inFlightRuns.isEmpty() && s.inFlightRuns.peekFirst()[0] <= s.cursor) {
      long bytes = s.inFlightRuns.pollFirst()[1];
      s.inFlightBytes -= bytes;
      inFlightBytes -= bytes;
    }
    return skipUnowed(s) || moved;
  }

  /**
   * With nothing in flight, seqs passed over as not owed (older than td, pruned) count as passed.
   */
  private boolean skipUnowed(Subscription s) {
    if (s.lastSent <= s.cursor && s.sentUpTo > s.cursor) {
      moveCursor(s, s.sentUpTo);
      moveLastSent(s, s.sentUpTo);
      return true;
    }
    return false;
  }

  private void pumpAll() {
    if (behind.isEmpty()) {
      return;
    }
    for (Subscription s : List.copyOf(behind)) {
      pump(s);
    }
  }

  /** Keeps {@link #behind} up to date after a subscription's head or sent position moved. */
  private void track(Subscription s) {
    if (s.sentUpTo < s.headSeq) {
      behind.add(s);
    } else {
      behind.remove(s);
    }
  }

  private void moveLastSent(Subscription s, long seq) {
    inFlightMessages += seq - s.lastSent;
    s.lastSent = seq;
  }

  private void moveCursor(Subscription s, long seq) {
    inFlightMessages -= seq - s.cursor;
    s.cursor = seq;
  }

  private void pump(Subscription s) {
    if (presence != Presence.ONLINE || s.reading || s.sentUpTo >= s.headSeq) {
      return;
    }
    long inFlight = inFlightMessages;
    long bytes = inFlightBytes;
    if (inFlight >= window / 2 || bytes >= windowBytes / 2) {
      return; // wait for ACKs
    }
    s.reading = true;
    int attempt = linkId;
    int max = (int) Math.min(window - inFlight, 4096);
    long maxBytes = windowBytes - bytes;
    long from = s.sentUpTo + 1;
    getContext()
        .ask(
            JournalStore.ReadResult.class,
            journal,
            settings.askTimeout(),
            ref -> new MessageJournal.Read(s.target, from, s.notBefore, max, maxBytes, ref),
            (r, err) ->
                new ReplayRead(
                    s.target,
                    attempt,
                    err == null ? r : new JournalStore.ReadResult(List.of(), from - 1)));
  }

  private Behavior<Command> onReplayRead(ReplayRead r) {
    Subscription s = subscriptions.get(r.target());
    if (s == null) {
      return Behaviors.same();
    }
    s.reading = false;
    if (r.linkId() != linkId) {
      return Behaviors.same();
    }
    List<StoredMessage> msgs = r.result().messages();
    if (!msgs.isEmpty()) {
      ByteStringBuilder out = new ByteStringBuilder();
      for (StoredMessage m : msgs) {
        if (m.seq() > s.sentUpTo) {
          out.append(m.deliveryLine());
          moveLastSent(s, m.seq());
          metrics.deliverySent();
        }
      }
      if (out.length() > 0) {
        send(s, out.result());
      }
    }
    boolean progressed = r.result().upTo() > s.sentUpTo;
    s.sentUpTo = Math.max(s.sentUpTo, r.result().upTo());
    track(s);
    if (skipUnowed(s)) {
      markCursorDirty(s);
    }
    if (progressed) {
      pump(s);
    }
    return Behaviors.same();
  }

  /** Off the link: the read is of no use, and the next link reads again. */
  private Behavior<Command> onReplayReadAway(ReplayRead r) {
    Subscription s = subscriptions.get(r.target());
    if (s != null) {
      s.reading = false;
    }
    return Behaviors.same();
  }

  /**
   * Tells the receiver, before any delivery on the new link, how many messages it is owed ({@code
   * OWED N}), so that its console can show a long catch-up's progress. A target owed everything
   * since its cursor owes {@code head - cursor}; for one past its td the journal finds the first
   * message within td, and the target waits (as if reading) until it is counted, so its own {@code
   * OWED} still comes before its messages.
   */
  private void announceOwed() {
    long owed = 0;
    int link = linkId;
    for (Subscription s : subscriptions.values()) {
      if (s.headSeq <= s.cursor) {
        continue;
      }
      if (s.notBefore == Retention.EVERYTHING) {
        owed += s.headSeq - s.cursor;
        continue;
      }
      s.reading = true;
      long head = s.headSeq;
      long from = s.cursor + 1;
      getContext()
          .ask(
              JournalStore.ReadResult.class,
              journal,
              settings.askTimeout(),
              ref -> new MessageJournal.Read(s.target, from, s.notBefore, 1, ref),
              (r, err) ->
                  new OwedCounted(
                      s.target,
                      link,
                      err != null || r.messages().isEmpty()
                          ? 0
                          : Math.max(0, head - r.messages().get(0).seq() + 1)));
    }
    if (owed > 0) {
      write(Lines.line(DeliveryCodec.owed(owed)));
    }
  }

  private Behavior<Command> onOwedCounted(OwedCounted c) {
    Subscription s = subscriptions.get(c.target());
    if (c.linkId() != linkId || s == null) {
      return Behaviors.same(); // the next link counts again
    }
    if (c.count() > 0) {
      write(Lines.line(DeliveryCodec.owed(c.count())));
    }
    s.reading = false;
    pump(s);
    return Behaviors.same();
  }

  /** Whether sending {@code pending} more bytes now would pass the window. */
  private boolean windowFull(long pending) {
    return inFlightMessages >= window || inFlightBytes + pending >= windowBytes;
  }

  private void send(Subscription s, ByteString lines) {
    s.inFlightRuns.addLast(new long[] {s.lastSent, lines.length()});
    s.inFlightBytes += lines.length();
    inFlightBytes += lines.length();
    write(lines);
  }

  /**
   * Straight to the link: the delivery loop gathers what every session hands it between two of its
   * turns into one write per connection, so many groups' deliveries and notices arriving together
   * cost one system call, not one each.
   */
  private void write(ByteString lines) {
    if (link != null) {
      link.send(lines);
    }
  }

  /**
   * Cursors reach the journal, with their acknowledgement times, and the groups within {@code
   * progress-interval} of moving: soon enough that an acknowledged message shows as delivered
   * almost at once, and gathered so that a participant acknowledging many groups costs one journal
   * message per interval.
   */
  private void markCursorDirty(Subscription s) {
    dirty.add(s);
    if (!timers.isTimerActive(FlushCursors.INSTANCE)) {
      timers.startSingleTimer(FlushCursors.INSTANCE, settings.progressInterval());
    }
  }

  /**
   * The journal hears first, the group after: so a sender told that its message was delivered finds
   * the delivered state when it asks for it.
   */
  private void flushCursors() {
    if (dirty.isEmpty()) {
      return;
    }
    ProgressSweep sweep = new ProgressSweep();
    takeProgress(sweep);
    sweep.send();
  }

  @Override
  public synchronized void sweepProgress(ProgressSweep sweep) {
    sweepPending = false;
    takeProgress(sweep);
  }

  private void takeProgress(ProgressSweep sweep) {
    for (Subscription s : dirty) {
      long[] seqs = new long[s.acks.size()];
      long[] times = new long[s.acks.size()];
      for (int i = 0; i < seqs.length; i++) {
        seqs[i] = s.acks.get(i)[0];
        times[i] = s.acks.get(i)[1];
      }
      s.acks.clear();
      sweep.add(
          journal,
          new JournalStore.Progress(s.record(id), seqs, times),
          s.manager,
          new GroupManager.Progress(id, s.cursor, s.lastAckAt));
    }
    dirty.clear();
  }

  private Behavior<Command> onFlushCursors() {
    flushCursors();
    return Behaviors.same();
  }

  private Behavior<Command> onPostStop() {
    if (link != null) {
      link.close();
    }
    return Behaviors.same();
  }

  /** Stopped (deregistered, the coordinator stopping) while a participant waits for its attach. */
  private Behavior<Command> onPostStopAttaching(Attach a) {
    onPostStop();
    if (presence == Presence.ATTACHING) {
      a.replyTo().tell(new Reply.Error(Reply.ErrorCode.NOT_REGISTERED, id + " deregistered"));
    }
    return Behaviors.same();
  }

  /**
   * What the journal keeps of the participant: present online or lost (an attach stores nothing
   * until it ends).
   */
  private ParticipantRecord record() {
    boolean online = presence == Presence.ONLINE;
    return new ParticipantRecord(
        id,
        online || presence == Presence.LOST,
        online ? -1 : offlineSince,
        host,
        port,
        secretHash);
  }
}
