package tempocast.coordinator;

import java.time.Clock;
import java.util.List;
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
import tempocast.journal.MemberRecord;
import tempocast.journal.MessageJournal;
import tempocast.journal.Retention;
import tempocast.protocol.StoredMessage;

/**
 * One member of a group: whether it is online, since when it is offline, its cursor (the highest
 * sequence number its receiver acknowledged), and the delivery link while it is online.
 *
 * <p>A member is offline only when it says so (DISCONNECT, or a failed RECONNECT). A member whose
 * receiver stops answering (heartbeat timeout, a broken connection, a coordinator restart) is
 * <em>lost</em>: the session keeps trying to reach its receiver, with a backoff of at most twice
 * the heartbeat interval, and resumes deliveries by itself as soon as the receiver answers, under
 * the td rule counted from the moment it was lost. Otherwise the participant, which never
 * disconnected, would wait for deliveries that the coordinator waits for it to ask for.
 *
 * <p>Live messages go straight to the link while the member keeps up. At most {@code
 * delivery-window} messages are unacknowledged; past that, and after a reconnect, the session reads
 * what the member is owed from the journal, so a slow or long-offline member costs disk, not
 * memory.
 */
public final class MemberSession extends AbstractBehavior<MemberSession.Command> {

  public sealed interface Command {}

  /**
   * Bring the member online at its receiver. {@code fresh} for a new registration, which is owed
   * everything after its incarnation; otherwise the td rule decides what is replayed.
   */
  public record Attach(String host, int port, boolean fresh, ActorRef<Attached> replyTo)
      implements Command {}

  /** {@code error} is null on success; {@code code} is the protocol error code otherwise. */
  public record Attached(String member, String code, String error) {
    public boolean ok() {
      return error == null;
    }
  }

  /** Go offline (the member said DISCONNECT), also when its receiver is lost. */
  public record Detach(ActorRef<MessageJournal.Saved> replyTo) implements Command {}

  /** Messages just stored; {@code lines} are their delivery lines, in the same order. */
  public record Deliver(List<StoredMessage> messages, List<ByteString> lines) implements Command {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** {@code lost}: online by the member's account, but its receiver cannot be reached now. */
  public record Status(
      String member, boolean online, boolean lost, long cursor, long offlineSince) {}

  /** The receiver acknowledged everything up to {@code seq} on link {@code linkId}. */
  public record LinkAcked(int linkId, long seq) implements Command {}

  public record LinkClosed(int linkId, String reason) implements Command {}

  private record LinkUp(int linkId, DeliveryLink link) implements Command {}

  private record LinkFailed(int linkId, String reason) implements Command {}

  private record ReplayRead(int linkId, JournalStore.ReadResult result) implements Command {}

  private record AttachSaved(int linkId, ActorRef<Attached> replyTo, MessageJournal.Saved saved)
      implements Command {}

  private enum FlushCursor implements Command {
    INSTANCE
  }

  /** Time to try the lost member's receiver again. */
  private enum Reattach implements Command {
    INSTANCE
  }

  private static final java.time.Duration FIRST_REATTACH_DELAY = java.time.Duration.ofMillis(100);

  /**
   * {@code headSeq}: the group's last sequence number, so a recovered member knows what it is owed.
   */
  public static Behavior<Command> create(
      MemberRecord record,
      long headSeq,
      CoordinatorSettings settings,
      ActorRef<MessageJournal.Command> journal,
      DeliveryLink.Connector connector,
      Clock clock) {
    // A bug in one delivery must not strand the member: its state (cursor, link) stays valid
    // between messages, so the session goes on with the next one.
    return Behaviors.supervise(
            Behaviors.<Command>setup(
                ctx ->
                    Behaviors.withTimers(
                        timers ->
                            new MemberSession(
                                ctx, timers, record, headSeq, settings, journal, connector,
                                clock))))
        .onFailure(RuntimeException.class, SupervisorStrategy.resume());
  }

  private final CoordinatorSettings settings;
  private final TimerScheduler<Command> timers;
  private final ActorRef<MessageJournal.Command> journal;
  private final DeliveryLink.Connector connector;
  private final Clock clock;
  private final long tdMillis;
  private final int window;
  private final long windowBytes;

  /**
   * Sent, unacknowledged runs of delivery lines: {last seq of the run, its bytes}, oldest first.
   */
  private final java.util.ArrayDeque<long[]> inFlightRuns = new java.util.ArrayDeque<>();

  private long inFlightBytes;

  private final String group;
  private final String member;
  private final long incarnation;
  private final String secretHash;
  private String host;
  private int port;

  /** The delivery link is up. */
  private boolean online;

  /** Online by the member's account, but its receiver is not reachable: the session retries. */
  private boolean lost;

  private int reattachAttempts;
  private long offlineSince;
  private long cursor;
  private boolean cursorDirty;

  private DeliveryLink link;
  private int linkId;
  private boolean attaching;

  /** Whether the pending attach is a REGISTER (owed everything after its incarnation). */
  private boolean attachingFresh;

  /** Who waits for the pending attach; null for the session's own retry of a lost receiver. */
  private ActorRef<Attached> pendingAttach;

  /** Everything up to here is sent, or was not owed. */
  private long sentUpTo;

  /** The highest seq actually written to the link. */
  private long lastSent;

  /** The highest stored seq this session has heard of. */
  private long headSeq;

  private long notBefore = Retention.EVERYTHING;
  private boolean reading;

  private MemberSession(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      MemberRecord record,
      long headSeq,
      CoordinatorSettings settings,
      ActorRef<MessageJournal.Command> journal,
      DeliveryLink.Connector connector,
      Clock clock) {
    super(ctx);
    this.settings = settings;
    this.journal = journal;
    this.connector = connector;
    this.clock = clock;
    this.tdMillis = settings.td().toMillis();
    this.window = settings.deliveryWindow();
    this.windowBytes = settings.deliveryWindowBytes();
    this.group = record.group();
    this.member = record.member();
    this.incarnation = record.incarnation();
    this.secretHash = record.secretHash();
    this.host = record.host();
    this.port = record.port();
    this.cursor = record.cursor();
    this.headSeq = Math.max(record.cursor(), headSeq);
    this.online = false;
    this.timers = timers;
    if (record.online()) {
      // Online when the coordinator stopped: lost from this start-up on (or from when its receiver
      // was lost before), and reached again unasked.
      this.offlineSince = record.offlineSince() >= 0 ? record.offlineSince() : clock.millis();
      this.lost = true;
      if (record.offlineSince() < 0) {
        journal.tell(new MessageJournal.SaveMember(record(), null));
      }
      timers.startSingleTimer(Reattach.INSTANCE, java.time.Duration.ZERO);
    } else {
      this.offlineSince = record.offlineSince();
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Attach.class, this::onAttach)
        .onMessage(LinkUp.class, this::onLinkUp)
        .onMessage(LinkFailed.class, this::onLinkFailed)
        .onMessage(AttachSaved.class, this::onAttachSaved)
        .onMessage(Detach.class, this::onDetach)
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(LinkAcked.class, this::onLinkAcked)
        .onMessage(LinkClosed.class, this::onLinkClosed)
        .onMessage(ReplayRead.class, this::onReplayRead)
        .onMessageEquals(FlushCursor.INSTANCE, this::onFlushCursor)
        .onMessageEquals(Reattach.INSTANCE, this::onReattach)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onAttach(Attach a) {
    if (attaching && pendingAttach != null) {
      a.replyTo()
          .tell(new Attached(member, "busy", "another REGISTER or RECONNECT is in progress"));
      return this;
    }
    // The member's own word supersedes the session's retries of a lost receiver.
    timers.cancel(Reattach.INSTANCE);
    if (online) {
      // The member says it is offline, so the link we hold is dead even if TCP has not noticed.
      goOffline(clock.millis(), "replaced by a new RECONNECT");
    }
    host = a.host();
    port = a.port();
    startAttach(a.fresh(), a.replyTo());
    return this;
  }

  /** Connects to the receiver at host:port; the outcome comes back as LinkUp or LinkFailed. */
  private void startAttach(boolean fresh, ActorRef<Attached> replyTo) {
    attaching = true;
    attachingFresh = fresh;
    pendingAttach = replyTo;
    int id = ++linkId;
    // A retry waits for the receiver's first answer: a stopped process's kernel still accepts
    // the connection, and the member must not count as reached until the receiver itself speaks.
    boolean awaitAnswer = replyTo == null;
    getContext()
        .pipeToSelf(
            connector.connect(host, port, group, member, id, awaitAnswer, getContext().getSelf()),
            (l, err) ->
                err == null ? new LinkUp(id, l) : new LinkFailed(id, Failures.firstMessage(err)));
  }

  private Behavior<Command> onLinkUp(LinkUp up) {
    if (up.linkId() != linkId || !attaching) {
      up.link().close();
      return this;
    }
    long now = clock.millis();
    attaching = false;
    notBefore =
        attachingFresh
            ? Retention.EVERYTHING
            : Retention.replayNotBefore(offlineSince, now, tdMillis);
    if (lost && pendingAttach == null) {
      getContext()
          .getLog()
          .info(
              "Member [{}] reachable again at [{}:{}] after [{}] attempts, offline for [{}] ms",
              member,
              host,
              port,
              reattachAttempts,
              now - offlineSince);
    }
    lost = false;
    reattachAttempts = 0;
    link = up.link();
    online = true;
    offlineSince = -1;
    sentUpTo = cursor;
    lastSent = cursor;
    reading = false;
    inFlightRuns.clear();
    inFlightBytes = 0;
    getContext()
        .getLog()
        .info("Member [{}] online at [{}:{}], cursor [{}]", member, host, port, cursor);
    ActorRef<Attached> replyTo = pendingAttach;
    pendingAttach = null;
    if (replyTo == null) {
      journal.tell(new MessageJournal.SaveMember(record(), null));
    } else {
      getContext()
          .ask(
              MessageJournal.Saved.class,
              journal,
              settings.askTimeout(),
              ref -> new MessageJournal.SaveMember(record(), ref),
              (saved, err) ->
                  new AttachSaved(
                      up.linkId(),
                      replyTo,
                      err == null ? saved : new MessageJournal.Saved(err.getMessage())));
    }
    pump();
    return this;
  }

  private Behavior<Command> onAttachSaved(AttachSaved s) {
    if (s.saved().ok()) {
      s.replyTo().tell(new Attached(member, null, null));
    } else {
      if (s.linkId() == linkId && online) {
        goOffline(clock.millis(), "membership could not be stored");
      }
      s.replyTo()
          .tell(new Attached(member, "storage", "cannot store membership: " + s.saved().error()));
    }
    return this;
  }

  private Behavior<Command> onLinkFailed(LinkFailed f) {
    if (f.linkId() != linkId || !attaching) {
      return this;
    }
    attaching = false;
    ActorRef<Attached> replyTo = pendingAttach;
    pendingAttach = null;
    if (replyTo == null) {
      if (reattachAttempts == 1) {
        getContext()
            .getLog()
            .info(
                "Member [{}] lost: cannot reach its receiver at [{}:{}] ({}); retrying until it answers",
                member,
                host,
                port,
                f.reason());
      }
      scheduleReattach();
      return this;
    }
    // The member asked to be online at an address that does not answer: it is offline now, as
    // its participant, which released that address, believes too.
    if (lost) {
      lost = false;
      journal.tell(new MessageJournal.SaveMember(record(), null));
    }
    replyTo.tell(
        new Attached(
            member,
            "unreachable",
            "cannot connect to the receiver at " + host + ":" + port + ": " + f.reason()));
    return this;
  }

  private Behavior<Command> onDetach(Detach d) {
    if (online) {
      goOffline(clock.millis(), "member disconnected");
    }
    if (lost) {
      lost = false;
      timers.cancel(Reattach.INSTANCE);
      if (attaching) {
        attaching = false;
        linkId++; // the retry under way is void
      }
    }
    journal.tell(new MessageJournal.SaveMember(record(), d.replyTo()));
    return this;
  }

  private Behavior<Command> onLinkClosed(LinkClosed c) {
    if (c.linkId() == linkId && online) {
      goOffline(clock.millis(), c.reason() + "; reconnecting to it");
      lost = true;
      reattachAttempts = 0;
      journal.tell(new MessageJournal.SaveMember(record(), null));
      timers.startSingleTimer(Reattach.INSTANCE, FIRST_REATTACH_DELAY);
    }
    return this;
  }

  private Behavior<Command> onReattach() {
    if (lost && !attaching && !online) {
      reattachAttempts++;
      startAttach(false, null);
    }
    return this;
  }

  /** Backoff doubling from 100 ms to twice the heartbeat interval. */
  private void scheduleReattach() {
    long max =
        Math.max(FIRST_REATTACH_DELAY.toMillis(), 2 * settings.heartbeatInterval().toMillis());
    long delay = FIRST_REATTACH_DELAY.toMillis() << Math.min(reattachAttempts, 16);
    timers.startSingleTimer(Reattach.INSTANCE, java.time.Duration.ofMillis(Math.min(delay, max)));
  }

  private void goOffline(long now, String reason) {
    getContext().getLog().info("Member [{}] offline: {}; cursor [{}]", member, reason, cursor);
    online = false;
    offlineSince = now;
    linkId++; // whatever the old link still reports is stale from now on
    if (link != null) {
      link.close();
      link = null;
    }
    cursorDirty = false; // the record saved with the state change carries the cursor
  }

  private Behavior<Command> onDeliver(Deliver d) {
    List<StoredMessage> msgs = d.messages();
    if (msgs.isEmpty()) {
      return this;
    }
    long previousHead = headSeq;
    headSeq = Math.max(headSeq, msgs.get(msgs.size() - 1).seq());
    if (!online || reading || sentUpTo < previousHead) {
      pump(); // behind: the journal has these, and pump reads them in order
      return this;
    }
    // Keeping up: write the live messages straight to the link, as far as the window allows.
    ByteStringBuilder out = null;
    for (int i = 0; i < msgs.size(); i++) {
      StoredMessage m = msgs.get(i);
      if (m.seq() <= sentUpTo) {
        continue;
      }
      if (windowFull(out == null ? 0 : out.length())) {
        break;
      }
      if (m.timestamp() >= notBefore) {
        if (out == null) {
          out = new ByteStringBuilder();
        }
        out.append(d.lines().get(i));
        lastSent = m.seq();
      }
      sentUpTo = m.seq();
    }
    if (out != null) {
      send(out.result());
    }
    pump();
    return this;
  }

  private Behavior<Command> onLinkAcked(LinkAcked a) {
    if (a.linkId() != linkId || !online) {
      return this;
    }
    long acked = Math.min(a.seq(), lastSent); // never past what was sent
    if (acked > cursor) {
      cursor = acked;
      markCursorDirty();
    }
    while (!inFlightRuns.isEmpty() && inFlightRuns.peekFirst()[0] <= cursor) {
      inFlightBytes -= inFlightRuns.pollFirst()[1];
    }
    skipUnowed();
    pump();
    return this;
  }

  /**
   * With nothing in flight, seqs passed over as not owed (older than td, pruned) count as
   * acknowledged.
   */
  private void skipUnowed() {
    if (lastSent <= cursor && sentUpTo > cursor) {
      cursor = sentUpTo;
      lastSent = sentUpTo;
      markCursorDirty();
    }
  }

  private void pump() {
    if (!online || reading || sentUpTo >= headSeq) {
      return;
    }
    long inFlight = lastSent - cursor;
    if (inFlight >= window / 2 || inFlightBytes >= windowBytes / 2) {
      return; // wait for ACKs
    }
    reading = true;
    int id = linkId;
    int max = (int) Math.min(window - inFlight, 4096);
    long maxBytes = windowBytes - inFlightBytes;
    getContext()
        .ask(
            JournalStore.ReadResult.class,
            journal,
            settings.askTimeout(),
            ref -> new MessageJournal.Read(group, sentUpTo + 1, notBefore, max, maxBytes, ref),
            (r, err) ->
                new ReplayRead(
                    id, err == null ? r : new JournalStore.ReadResult(List.of(), sentUpTo)));
  }

  private Behavior<Command> onReplayRead(ReplayRead r) {
    reading = false;
    if (r.linkId() != linkId || !online) {
      return this;
    }
    List<StoredMessage> msgs = r.result().messages();
    if (!msgs.isEmpty()) {
      ByteStringBuilder out = new ByteStringBuilder();
      for (StoredMessage m : msgs) {
        if (m.seq() > sentUpTo) {
          out.append(m.deliveryLine());
          lastSent = m.seq();
        }
      }
      if (out.length() > 0) {
        send(out.result());
      }
    }
    boolean progressed = r.result().upTo() > sentUpTo;
    sentUpTo = Math.max(sentUpTo, r.result().upTo());
    skipUnowed();
    if (progressed) {
      pump();
    }
    return this;
  }

  /** Whether sending {@code pending} more bytes now would pass the window. */
  private boolean windowFull(long pending) {
    return lastSent - cursor >= window || inFlightBytes + pending >= windowBytes;
  }

  private void send(ByteString lines) {
    inFlightRuns.addLast(new long[] {lastSent, lines.length()});
    inFlightBytes += lines.length();
    link.send(lines);
  }

  /**
   * The cursor reaches the journal at most once per flush interval, and only when it moved: a group
   * of many idle or offline members costs no timer ticks.
   */
  private void markCursorDirty() {
    cursorDirty = true;
    if (!timers.isTimerActive(FlushCursor.INSTANCE)) {
      timers.startSingleTimer(FlushCursor.INSTANCE, settings.cursorFlushInterval());
    }
  }

  private Behavior<Command> onFlushCursor() {
    if (cursorDirty) {
      cursorDirty = false;
      journal.tell(new MessageJournal.SaveCursor(group, member, incarnation, cursor));
    }
    return this;
  }

  private Behavior<Command> onGetStatus(GetStatus g) {
    g.replyTo().tell(new Status(member, online, lost, cursor, offlineSince));
    return this;
  }

  private Behavior<Command> onPostStop() {
    if (link != null) {
      link.close();
    }
    if (pendingAttach != null) {
      pendingAttach.tell(new Attached(member, "not-registered", member + " left the group"));
    }
    return this;
  }

  private MemberRecord record() {
    return new MemberRecord(
        group,
        member,
        incarnation,
        online || lost,
        online ? -1 : offlineSince,
        cursor,
        host,
        port,
        secretHash);
  }
}
