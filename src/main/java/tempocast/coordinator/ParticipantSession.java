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

  /** What every session shares: settings, the journal, the connector, the clock, the metrics. */
  public record Context(
      CoordinatorSettings settings,
      ActorRef<MessageJournal.Command> journal,
      DeliveryLink.Connector connector,
      Clock clock,
      Metrics metrics) {
    /** With metrics off. */
    public Context(
        CoordinatorSettings settings,
        ActorRef<MessageJournal.Command> journal,
        DeliveryLink.Connector connector,
        Clock clock) {
      this(settings, journal, connector, clock, Metrics.disabled());
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

  /** The delivery link is up. */
  private boolean online;

  /** Online by the participant's own account, but its receiver is not reachable: retrying. */
  private boolean lost;

  private int reattachAttempts;
  private long offlineSince;

  /** Since when the link is up: notices of what happened before are not shown. */
  private long onlineSince;

  private DeliveryLink link;
  private int linkId;
  private boolean attaching;

  /**
   * Whether the pending attach is a REGISTER, whose targets are owed everything from their join.
   */
  private boolean attachingFresh;

  /** Who waits for the pending attach; null for the session's own retry of a lost receiver. */
  private ActorRef<Reply> pendingAttach;

  private Reply pendingOk;
  private Register pendingRegister;

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
      this.lost = true;
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

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Deliver.class, locked(this::onDeliver))
        .onMessage(LinkAcked.class, locked(this::onLinkAcked))
        .onMessage(ReplayRead.class, locked(this::onReplayRead))
        .onMessage(Register.class, locked(this::onRegister))
        .onMessage(RegisterJoined.class, locked(this::onRegisterJoined))
        .onMessage(Reconnect.class, locked(this::onReconnect))
        .onMessage(LinkUp.class, locked(this::onLinkUp))
        .onMessage(LinkFailed.class, locked(this::onLinkFailed))
        .onMessage(LinkClosed.class, locked(this::onLinkClosed))
        .onMessage(PresenceSaved.class, locked(this::onPresenceSaved))
        .onMessage(Disconnect.class, locked(this::onDisconnect))
        .onMessage(Deregister.class, locked(this::onDeregister))
        .onMessage(Deregistered.class, locked(this::onDeregistered))
        .onMessage(Join.class, locked(this::onJoin))
        .onMessage(Joined.class, locked(this::onJoined))
        .onMessage(Leave.class, locked(this::onLeave))
        .onMessage(LeftTarget.class, locked(this::onLeftTarget))
        .onMessage(SendDirect.class, locked(this::onSendDirect))
        .onMessage(Notice.class, locked(this::onNotice))
        .onMessageEquals(Reattach.INSTANCE, lockedSignal(this::onReattach))
        .onMessageEquals(FlushCursors.INSTANCE, lockedSignal(this::onFlushCursors))
        .onMessage(OwedCounted.class, locked(this::onOwedCounted))
        .onMessageEquals(PumpAll.INSTANCE, lockedSignal(this::onPumpAll))
        .onSignal(PostStop.class, s -> lockedSignal(this::onPostStop).create())
        .build();
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

  /** Online by its own account: registered or reconnected, no DISCONNECT since. */
  private boolean present() {
    return online || lost;
  }

  // ------------------------------------------------------------------ presence

  private Behavior<Command> onRegister(Register r) {
    pendingRegister = r;
    startAttach(true, r.replyTo(), null);
    return this;
  }

  private Behavior<Command> onReconnect(Reconnect r) {
    if (attaching && pendingAttach != null) {
      r.replyTo().tell(busy());
      return this;
    }
    // The participant's own word supersedes the session's retries of a lost receiver.
    timers.cancel(Reattach.INSTANCE);
    if (online) {
      // It says it is offline, so the link we hold is dead even if TCP has not noticed.
      goOffline(clock.millis(), "replaced by a new RECONNECT");
      // Its groups still count it present, as for a lost one, until the attach ends: a failed
      // one tells them it is offline.
      lost = true;
    }
    host = r.host();
    port = r.port();
    startAttach(false, r.replyTo(), new Reply.Reconnected(r.group(), id));
    return this;
  }

  /** Connects to the receiver at host:port; the outcome comes back as LinkUp or LinkFailed. */
  private void startAttach(boolean fresh, ActorRef<Reply> replyTo, Reply ok) {
    attaching = true;
    attachingFresh = fresh;
    pendingAttach = replyTo;
    pendingOk = ok;
    int attempt = ++linkId;
    // A retry waits for the receiver's first answer: a stopped process's kernel still accepts
    // the connection, and the participant must not count as reached until its receiver speaks.
    boolean awaitAnswer = replyTo == null;
    getContext()
        .pipeToSelf(
            connector.connect(host, port, id, attempt, awaitAnswer, self, this),
            (l, err) ->
                err == null
                    ? new LinkUp(attempt, l)
                    : new LinkFailed(attempt, Failures.firstMessage(Failures.unwrap(err))));
  }

  private Behavior<Command> onLinkUp(LinkUp up) {
    if (up.linkId() != linkId || !attaching) {
      up.link().close();
      return this;
    }
    long now = clock.millis();
    attaching = false;
    ActorRef<Reply> replyTo = pendingAttach;
    pendingAttach = null;
    if (lost && replyTo == null) {
      getContext()
          .getLog()
          .info(
              "Participant [{}] reachable again at [{}:{}] after [{}] attempts, offline for [{}] ms",
              id,
              host,
              port,
              reattachAttempts,
              now - offlineSince);
    }
    for (Subscription s : subscriptions.values()) {
      s.notBefore =
          attachingFresh
              ? Retention.EVERYTHING
              : Retention.replayNotBefore(offlineSince, now, s.tdMillis);
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
    lost = false;
    reattachAttempts = 0;
    link = up.link();
    online = true;
    onlineSince = now;
    offlineSince = -1;
    getContext().getLog().info("Participant [{}] online at [{}:{}]", id, host, port);
    if (!attachingFresh) {
      metrics.reconnected(replyTo == null);
    }
    tellManagers(true, true);
    announceOwed();
    if (pendingRegister != null) {
      // A new participant: stored once its receiver answered, then it joins its inbox and group.
      Register r = pendingRegister;
      pendingRegister = null;
      journal.tell(new MessageJournal.SaveParticipant(record(), null));
      joinForRegister(r);
    } else if (replyTo == null) {
      journal.tell(new MessageJournal.SaveParticipant(record(), null));
    } else {
      savePresence(replyTo, pendingOk);
    }
    pumpAll();
    return this;
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
      return this;
    }
    if (!j.group().ok()) {
      r.replyTo().tell(j.group().error());
      return this;
    }
    subscribe(j.group());
    r.replyTo().tell(new Reply.Registered(r.group(), id, j.group().joinSeq() + 1));
    return this;
  }

  private Behavior<Command> onPresenceSaved(PresenceSaved s) {
    if (s.saved().ok()) {
      s.replyTo().tell(s.ok());
    } else {
      if (online) {
        goOffline(clock.millis(), "presence could not be stored");
        tellManagers(false, false);
      }
      s.replyTo()
          .tell(
              new Reply.Error(
                  Reply.ErrorCode.STORAGE, "cannot store the reconnection: " + s.saved().error()));
    }
    return this;
  }

  private Behavior<Command> onLinkFailed(LinkFailed f) {
    if (f.linkId() != linkId || !attaching) {
      return this;
    }
    attaching = false;
    ActorRef<Reply> replyTo = pendingAttach;
    pendingAttach = null;
    if (replyTo == null) {
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
      return this;
    }
    Reply.Error error =
        new Reply.Error(
            Reply.ErrorCode.UNREACHABLE,
            "cannot connect to the receiver at " + host + ":" + port + ": " + f.reason());
    if (pendingRegister != null) {
      pendingRegister = null;
      // The registration never took effect: the ID is free before the participant hears why.
      directory.tell(new Directory.Deregistered(id, getContext().getSelf()));
      replyTo.tell(error);
      return Behaviors.stopped();
    }
    // It asked to be online at an address that does not answer: it is offline now, as its
    // participant, which released that address, believes too.
    if (lost) {
      lost = false;
      journal.tell(new MessageJournal.SaveParticipant(record(), null));
      tellManagers(false, false);
    }
    replyTo.tell(error);
    return this;
  }

  private Behavior<Command> onLinkClosed(LinkClosed c) {
    if (c.linkId() == linkId && online) {
      goOffline(clock.millis(), c.reason() + "; reconnecting to it");
      lost = true;
      reattachAttempts = 0;
      journal.tell(new MessageJournal.SaveParticipant(record(), null));
      tellManagers(true, false);
      timers.startSingleTimer(Reattach.INSTANCE, FIRST_REATTACH_DELAY);
    }
    return this;
  }

  private Behavior<Command> onReattach() {
    if (lost && !attaching && !online) {
      reattachAttempts++;
      startAttach(false, null, null);
    }
    return this;
  }

  /** Backoff doubling from 100 ms to twice the heartbeat interval. */
  private void scheduleReattach() {
    long max =
        Math.max(FIRST_REATTACH_DELAY.toMillis(), 2 * settings.heartbeatInterval().toMillis());
    long delay = FIRST_REATTACH_DELAY.toMillis() << Math.min(reattachAttempts, 16);
    timers.startSingleTimer(Reattach.INSTANCE, Duration.ofMillis(Math.min(delay, max)));
  }

  private Behavior<Command> onDisconnect(Disconnect d) {
    if (attaching && pendingAttach != null) {
      d.replyTo().tell(busy());
      return this;
    }
    if (!present()) {
      d.replyTo().tell(new Reply.Error(Reply.ErrorCode.NOT_ONLINE, id + " is already offline"));
      return this;
    }
    if (online) {
      goOffline(clock.millis(), "participant disconnected");
    }
    stopRetrying();
    tellManagers(false, false);
    savePresence(d.replyTo(), new Reply.Disconnected(d.group(), id));
    return this;
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

  private void stopRetrying() {
    if (lost) {
      lost = false;
      timers.cancel(Reattach.INSTANCE);
      if (attaching) {
        attaching = false;
        linkId++; // the retry under way is void
      }
    }
  }

  private void goOffline(long now, String reason) {
    getContext().getLog().info("Participant [{}] offline: {}", id, reason);
    online = false;
    offlineSince = now;
    linkId++; // whatever the old link still reports is stale from now on
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

  private Behavior<Command> onDeregister(Deregister d) {
    if (attaching && pendingAttach != null) {
      d.replyTo().tell(busy());
      return this;
    }
    if (online) {
      goOffline(clock.millis(), "participant deregistered");
    }
    stopRetrying();
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
    return this;
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

  private Reply.Error busy() {
    return new Reply.Error(
        Reply.ErrorCode.BUSY, "a REGISTER or RECONNECT for " + id + " is in progress");
  }

  // ------------------------------------------------------------------ membership

  private Behavior<Command> onJoin(Join j) {
    joinsPending++;
    getContext()
        .ask(
            GroupManager.Joined.class,
            j.manager(),
            settings.askTimeout(),
            ref -> new GroupManager.Join(id, self, this, secretHash, present(), online, ref),
            (joined, err) ->
                new Joined(
                    j.target(),
                    j.manager(),
                    joined == null ? failedJoin(err) : joined,
                    j.replyTo()));
    return this;
  }

  private Behavior<Command> onJoined(Joined j) {
    joinsPending--;
    if (j.joined().ok()) {
      subscribe(j.joined());
    }
    settleJoins();
    j.replyTo().tell(j.joined());
    return this;
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
      before.forEach(this::onDeliver);
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
      return this;
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
    return this;
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
    return this;
  }

  private Behavior<Command> onSendDirect(SendDirect s) {
    if (!present()) {
      s.replyTo()
          .tell(new Reply.Error(Reply.ErrorCode.NOT_ONLINE, id + " is offline: RECONNECT first"));
      return this;
    }
    s.inbox().tell(new GroupManager.PublishFrom(id, s.msgId(), s.text(), s.replyTo()));
    return this;
  }

  private Behavior<Command> onNotice(Notice n) {
    if (online && link != null && n.happenedAt() >= onlineSince) {
      write(n.line());
    }
    return this;
  }

  // ------------------------------------------------------------------ deliveries

  @Override
  public synchronized boolean offer(Deliver d) {
    Subscription s = subscriptions.get(d.target());
    List<StoredMessage> msgs = d.messages();
    if (s == null
        || msgs.isEmpty()
        || !online
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

  private Behavior<Command> onDeliver(Deliver d) {
    Subscription s = subscriptions.get(d.target());
    List<StoredMessage> msgs = d.messages();
    if (s == null) {
      if (joinsPending > 0) {
        early.computeIfAbsent(d.target(), t -> new ArrayList<>()).add(d);
      }
      return this;
    }
    if (msgs.isEmpty()) {
      return this;
    }
    long previousHead = s.headSeq;
    s.headSeq = Math.max(s.headSeq, msgs.get(msgs.size() - 1).seq());
    track(s);
    if (!online || s.reading || s.sentUpTo < previousHead) {
      pump(s); // behind: the journal has these, and pump reads them in order
      return this;
    }
    writeLive(s, d);
    pump(s);
    return this;
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
    return this;
  }

  private Behavior<Command> onLinkAcked(LinkAcked a) {
    Subscription s = subscriptions.get(a.target());
    if (a.linkId() != linkId || !online || s == null) {
      return this;
    }
    if (ack(s, a.seq())) {
      markCursorDirty(s);
    }
    pumpAll(); // room in the window is room for every target
    return this;
  }

  /**
   * ACKs read on the delivery loop, on its thread: cursors move at once, and the loop's progress
   * sweep takes them to the journal and the groups ({@link #sweepProgress}), so an acknowledgement
   * costs the session no message unless targets behind can now be pumped.
   */
  @Override
  public synchronized boolean acked(int ackLinkId, String target, long seq) {
    Subscription s = subscriptions.get(target);
    if (ackLinkId != linkId || !online || s == null) {
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
    if (!online || s.reading || s.sentUpTo >= s.headSeq) {
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
      return this;
    }
    s.reading = false;
    if (r.linkId() != linkId || !online) {
      return this;
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
    return this;
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
    if (c.linkId() != linkId || !online || s == null) {
      return this; // the next link counts again
    }
    if (c.count() > 0) {
      write(Lines.line(DeliveryCodec.owed(c.count())));
    }
    s.reading = false;
    pump(s);
    return this;
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
    return this;
  }

  private Behavior<Command> onPostStop() {
    if (link != null) {
      link.close();
    }
    if (pendingAttach != null) {
      pendingAttach.tell(new Reply.Error(Reply.ErrorCode.NOT_REGISTERED, id + " deregistered"));
    }
    return this;
  }

  private ParticipantRecord record() {
    return new ParticipantRecord(id, present(), online ? -1 : offlineSince, host, port, secretHash);
  }
}
