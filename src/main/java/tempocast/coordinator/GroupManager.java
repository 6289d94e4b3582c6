package tempocast.coordinator;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.util.ByteString;
import tempocast.journal.EndedMembership;
import tempocast.journal.JournalStore;
import tempocast.journal.MembershipRecord;
import tempocast.journal.MessageJournal;
import tempocast.metrics.Metrics;
import tempocast.protocol.DeliveryCodec;
import tempocast.protocol.Lines;
import tempocast.protocol.Names;
import tempocast.protocol.Reply;
import tempocast.protocol.StoredMessage;

/**
 * Owns one target: a named group, or a participant's inbox {@code @ID}. It keeps who is a member
 * (and since which sequence number), assigns each message its sequence number and timestamp (the
 * one order), has the journal store it, acknowledges the sender once it is stored and hands it to
 * every member's session. It tells members when others join, leave, go offline or come back, and a
 * sender when its message has reached every recipient.
 */
public final class GroupManager extends AbstractBehavior<GroupManager.Command>
    implements Publishers.Publisher {

  public sealed interface Command {}

  /**
   * An MSEND straight from the command port: this manager checks that {@code member} may send here
   * ({@code credential}: what its connection proved with AUTH, or null).
   */
  public record Publish(
      String member, String credential, String msgId, byte[] text, ActorRef<Reply> replyTo)
      implements Command {}

  /** A message whose sender's session already checked it (a direct message). */
  public record PublishFrom(String member, String msgId, byte[] text, ActorRef<Reply> replyTo)
      implements Command {}

  /** Makes {@code member} a member, a new entrant; {@code present}: online by its own account. */
  public record Join(
      String member,
      ActorRef<ParticipantSession.Command> session,
      MemberFeed feed,
      String secretHash,
      boolean present,
      boolean reachable,
      ActorRef<Joined> replyTo)
      implements Command {}

  /** {@code error} null on success; the membership then began after {@code joinSeq}. */
  public record Joined(
      String target, long joinSeq, long tdMillis, ActorRef<Command> manager, Reply.Error error) {
    public boolean ok() {
      return error == null;
    }

    static Joined failed(Reply.ErrorCode code, String explanation) {
      return new Joined(null, -1, -1, null, new Reply.Error(code, explanation));
    }
  }

  /** Ends the membership; {@code deregistered}: the participant leaves the system. */
  public record Leave(String member, boolean deregistered, ActorRef<Left> replyTo)
      implements Command {}

  /** {@code reply}: {@link Reply.Left} or an error. */
  public record Left(Reply reply) {}

  /** A recovered member's session, once it started. */
  public record Bind(
      String member,
      ActorRef<ParticipantSession.Command> session,
      MemberFeed feed,
      String secretHash,
      boolean present)
      implements Command {}

  public record Presence(String member, boolean present, boolean reachable) implements Command {}

  /** The member's cursor reached the journal at {@code cursor}. */
  /** {@code at}: the coordinator's time of the acknowledgement that moved it there. */
  public record Progress(String member, long cursor, long at) implements Command {}

  /** Several members' cursors, from one progress sweep. */
  public record ProgressBatch(List<Progress> moves) implements Command {}

  /** The member came back after td: what came after {@code cursor} older than notBefore expired. */
  public record Expired(String member, long cursor, long notBefore) implements Command {}

  public record GetInfo(ActorRef<Reply.GroupInfo> replyTo) implements Command {}

  /** For removing the group: how many members it has, and its last sequence number. */
  public record GetSize(ActorRef<Size> replyTo) implements Command {}

  public record Size(int members, long lastSeq) {}

  public record ListMembers(ActorRef<Reply> replyTo) implements Command {}

  /** Delivery states of message {@code seq}, for {@code requester} (who must be its sender). */
  public record Status(String requester, long seq, ActorRef<Reply> replyTo) implements Command {}

  /** For the dashboard and the HTTP API: the target, its members and where each one is. */
  public record GetSnapshot(ActorRef<Snapshot> replyTo) implements Command {}

  /**
   * {@code acked}: the member's cursor as last flushed by its session; {@code present}: online by
   * its own account; {@code reachable}: its receiver is connected (present and not reachable is
   * lost).
   */
  public record MemberSnapshot(
      String id, boolean present, boolean reachable, long joinSeq, long acked) {}

  public record Snapshot(
      String target,
      long tdMillis,
      long lastSeq,
      long lastTimestamp,
      List<MemberSnapshot> members) {
    public Snapshot {
      members = List.copyOf(members);
    }
  }

  private record Journaled(MessageJournal.AppendResult result) implements Command {}

  /** A membership write came back: {@code then} is what follows, on success or failure. */
  private record MembershipStored(Runnable then) implements Command {}

  /** How many recent message IDs per sender are remembered to recognise a retried MSEND. */
  private static final int RECENT_IDS = 1024;

  /**
   * Messages remembered for the delivered notice, per group: a member that stays away holds them
   * all up, so the bound is what such a group costs (about 200 KB). Older ones get no notice;
   * {@code status} still answers for them.
   */
  private static final int NOTICES_PENDING = 4096;

  private static final class Member {
    ActorRef<ParticipantSession.Command> session;

    /** The session's direct entry, where it has one (same JVM); else messages to session. */
    MemberFeed feed;

    final long joinSeq;
    String secretHash;
    boolean present;
    boolean reachable;
    long acked;

    /**
     * Whether its session has told this manager who it is: at once for a member that joins; for a
     * member recovered from the journal, once its session's {@link Bind} is here. Until then its
     * presence and its secret are not known here.
     */
    boolean bound;

    Member(long joinSeq, String secretHash) {
      this.joinSeq = joinSeq;
      this.acked = joinSeq;
      this.secretHash = secretHash;
    }

    /** Whether a connection with this credential may act for the member. */
    boolean admits(String credential) {
      return secretHash == null || secretHash.equals(credential);
    }
  }

  /** A message waiting to have reached every recipient, for its sender's notice. */
  private static final class Pending {
    final long seq;
    final long timestamp;
    final String sender;
    boolean undeliverable;

    Pending(long seq, long timestamp, String sender) {
      this.seq = seq;
      this.timestamp = timestamp;
      this.sender = sender;
    }
  }

  /**
   * What a group is given at start: its name and td, and its state if the directory knows it (a
   * group just created, an inbox just opened); null, and the manager loads it from the journal,
   * holding every command until it has.
   */
  public record Setup(String target, long tdMillis, JournalStore.TargetState known) {}

  /** Commands held while the state loads; past this, senders' asks time out instead. */
  static final int LOADING_STASH = 10_000;

  static final Duration RELOAD_DELAY = Duration.ofSeconds(1);

  private record Loaded(MessageJournal.TargetLoaded loaded) implements Command {}

  private enum Reload implements Command {
    INSTANCE
  }

  public static Behavior<Command> create(
      Setup setup, ActorRef<Directory.Command> directory, ParticipantSession.Context context) {
    if (setup.known() != null) {
      return Behaviors.setup(
          ctx -> new GroupManager(ctx, setup, setup.known(), directory, context));
    }
    return Behaviors.withStash(
        LOADING_STASH,
        stash ->
            Behaviors.setup(
                ctx ->
                    Behaviors.withTimers(
                        timers -> {
                          ActorRef<MessageJournal.TargetLoaded> loaded =
                              ctx.messageAdapter(MessageJournal.TargetLoaded.class, Loaded::new);
                          context
                              .journal()
                              .tell(new MessageJournal.LoadTarget(setup.target(), loaded));
                          return Behaviors.receive(Command.class)
                              .onMessage(
                                  Loaded.class,
                                  l -> {
                                    if (l.loaded().state() == null) {
                                      // The store failed this read; try again rather than serve
                                      // the group without its members or its order.
                                      timers.startSingleTimer(Reload.INSTANCE, RELOAD_DELAY);
                                      return Behaviors.same();
                                    }
                                    return stash.unstashAll(
                                        new GroupManager(
                                            ctx, setup, l.loaded().state(), directory, context));
                                  })
                              .onMessageEquals(
                                  Reload.INSTANCE,
                                  () -> {
                                    context
                                        .journal()
                                        .tell(
                                            new MessageJournal.LoadTarget(setup.target(), loaded));
                                    return Behaviors.same();
                                  })
                              .onMessage(
                                  Command.class,
                                  c -> {
                                    if (stash.isFull()) {
                                      ctx.getLog()
                                          .warn(
                                              "{} is still loading and holds {} commands: dropped"
                                                  + " {}",
                                              setup.target(),
                                              LOADING_STASH,
                                              c.getClass().getSimpleName());
                                    } else {
                                      stash.stash(c);
                                    }
                                    return Behaviors.same();
                                  })
                              .build();
                        })));
  }

  private final String target;
  private final boolean inbox;
  private final long tdMillis;
  private final ActorRef<Directory.Command> directory;
  private final ParticipantSession.Context context;
  private final ActorRef<MessageJournal.Command> journal;
  private final Clock clock;
  private final ActorRef<MessageJournal.AppendResult> journalAdapter;
  private final Metrics.GroupMeters meters;
  private final Map<String, Member> members = new TreeMap<>();
  private final List<EndedMembership> ended = new ArrayList<>();
  private final Map<String, Map<String, Long>> recentIds = new HashMap<>();

  /**
   * The publishes of recovered members not bound yet, in order, run when their {@link Bind} comes.
   * Right after a start, or a takeover of the coordinator role, an MSEND sent again can come before
   * the session's Bind (through {@link Publishers}, or from the stash once the group is loaded): it
   * waits for it rather than being refused as from an offline member, or let through unchecked.
   */
  private final Map<String, List<AwaitingBind>> awaitingBind = new HashMap<>();

  private record AwaitingBind(Publish publish, Consumer<Reply> answer) {}

  /** Senders waiting for their message to be stored, by seq. */
  private final TreeMap<Long, List<Consumer<Reply>>> waiting = new TreeMap<>();

  private boolean stopped;

  private final ArrayDeque<Pending> pending = new ArrayDeque<>();

  /** The member that held up the oldest pending message when last looked at. */
  private String blocking;

  private long lastSeq;
  private long lastTimestamp;

  private GroupManager(
      ActorContext<Command> ctx,
      Setup setup,
      JournalStore.TargetState state,
      ActorRef<Directory.Command> directory,
      ParticipantSession.Context context) {
    super(ctx);
    this.target = setup.target();
    this.inbox = Names.isInbox(target);
    this.tdMillis = setup.tdMillis();
    this.lastSeq = state.lastSeq();
    this.directory = directory;
    this.context = context;
    this.journal = context.journal();
    this.clock = context.clock();
    this.journalAdapter = ctx.messageAdapter(MessageJournal.AppendResult.class, Journaled::new);
    this.meters = context.metrics().group(target);
    for (MembershipRecord m : state.memberships()) {
      Member member = new Member(m.joinSeq(), null);
      member.acked = m.cursor();
      members.put(m.member(), member);
    }
    ended.addAll(state.ended());
    // A sender whose MSEND got no answer before the coordinator stopped sends it again.
    for (StoredMessage msg : state.recent()) {
      if (msg.msgId() != null) {
        rememberId(msg.sender(), msg.msgId(), msg.seq());
      }
      lastTimestamp = Math.max(lastTimestamp, msg.timestamp());
    }
    if (!inbox) {
      context.publishers().register(target, this);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Publish.class, locked(this::onPublish))
        .onMessage(PublishFrom.class, locked(this::onPublishFrom))
        .onMessage(Journaled.class, locked(this::onJournaled))
        .onMessage(Progress.class, locked(this::onProgress))
        .onMessage(ProgressBatch.class, locked(this::onProgressBatch))
        .onMessage(Join.class, locked(this::onJoin))
        .onMessage(Leave.class, locked(this::onLeave))
        .onMessage(MembershipStored.class, locked(this::onMembershipStored))
        .onMessage(Bind.class, locked(this::onBind))
        .onMessage(Presence.class, locked(this::onPresence))
        .onMessage(Expired.class, locked(this::onExpired))
        .onMessage(GetInfo.class, locked(this::onGetInfo))
        .onMessage(
            GetSize.class,
            locked(
                g -> {
                  g.replyTo().tell(new Size(members.size(), lastSeq));
                  return this;
                }))
        .onMessage(ListMembers.class, locked(this::onListMembers))
        .onMessage(Status.class, locked(this::onStatus))
        .onMessage(GetSnapshot.class, locked(this::onGetSnapshot))
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  /**
   * Every handler runs under the manager's lock, which {@link #publish} from the command port's
   * thread takes too: the group's state has one owner at a time, held for microseconds, never
   * across a wait. Lock order: a manager's lock, then a session's (the fan-out), never the other
   * way.
   */
  private <M> org.apache.pekko.japi.function.Function<M, Behavior<Command>> locked(
      org.apache.pekko.japi.function.Function<M, Behavior<Command>> handler) {
    return m -> {
      synchronized (this) {
        return handler.apply(m);
      }
    };
  }

  private synchronized Behavior<Command> onPostStop() {
    stopped = true;
    context.publishers().unregister(target, this);
    // Nobody binds any more: what waited for it is answered, so that no caller waits for ever.
    awaitingBind.forEach(
        (member, waiting) ->
            waiting.forEach(
                w ->
                    w.answer()
                        .accept(
                            new Reply.Error(
                                Reply.ErrorCode.INTERNAL,
                                "group " + target + " stopped; send it again"))));
    awaitingBind.clear();
    return this;
  }

  @Override
  public synchronized boolean publish(
      String member, String credential, String msgId, byte[] text, Consumer<Reply> answer) {
    if (stopped) {
      return false;
    }
    publish(new Publish(member, credential, msgId, text, null), answer);
    return true;
  }

  // ------------------------------------------------------------------ messages

  private Behavior<Command> onPublish(Publish p) {
    publish(p, p.replyTo()::tell);
    return this;
  }

  private void publish(Publish p, Consumer<Reply> answer) {
    Member m = members.get(p.member());
    if (m == null) {
      answer.accept(
          new Reply.Error(
              Reply.ErrorCode.NOT_MEMBER,
              p.member() + " is not a member of group " + target + ": JOIN it first"));
    } else if (!m.bound) {
      awaitingBind
          .computeIfAbsent(p.member(), k -> new ArrayList<>())
          .add(new AwaitingBind(p, answer));
    } else if (!m.admits(p.credential())) {
      answer.accept(forbidden(p.member()));
    } else if (!m.present) {
      answer.accept(
          new Reply.Error(Reply.ErrorCode.NOT_ONLINE, p.member() + " is offline: RECONNECT first"));
    } else {
      store(p.member(), p.msgId(), p.text(), answer);
    }
  }

  private Behavior<Command> onPublishFrom(PublishFrom p) {
    store(p.member(), p.msgId(), p.text(), p.replyTo()::tell);
    return this;
  }

  private void store(String sender, String msgId, byte[] text, Consumer<Reply> answer) {
    if (msgId != null) {
      Map<String, Long> ids = recentIds.get(sender);
      Long seen = ids == null ? null : ids.get(msgId);
      if (seen != null) {
        List<Consumer<Reply>> stillWaiting = waiting.get(seen);
        if (stillWaiting != null) {
          stillWaiting.add(answer);
        } else {
          answer.accept(new Reply.Sent(target, seen)); // a retry of a stored message
        }
        return;
      }
    }
    long seq = ++lastSeq;
    // Timestamps never go backwards within a target, even if the wall clock does.
    lastTimestamp = Math.max(lastTimestamp, clock.millis());
    StoredMessage msg = new StoredMessage(target, seq, lastTimestamp, sender, msgId, text);
    if (msgId != null) {
      rememberId(sender, msgId, seq);
    }
    // The journal answers this sender itself once stored; retries of it that arrive meanwhile
    // wait here.
    waiting.put(seq, new ArrayList<>(1));
    journal.tell(new MessageJournal.Append(msg, journalAdapter, answer));
  }

  private void rememberId(String sender, String msgId, long seq) {
    recentIds
        .computeIfAbsent(
            sender,
            s ->
                new LinkedHashMap<>(16, 0.75f, false) {
                  @Override
                  protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                    return size() > RECENT_IDS;
                  }
                })
        .put(msgId, seq);
  }

  private Behavior<Command> onJournaled(Journaled j) {
    if (j.result() instanceof MessageJournal.Appended a) {
      List<StoredMessage> msgs = a.messages();
      meters.stored(msgs.size());
      List<ByteString> lines = new ArrayList<>(msgs.size());
      for (StoredMessage msg : msgs) {
        lines.add(msg.deliveryLine());
        Reply ok = new Reply.Sent(target, msg.seq());
        List<Consumer<Reply>> w = waiting.remove(msg.seq());
        if (w != null) {
          w.forEach(r -> r.accept(ok));
        }
        awaitDelivery(msg);
      }
      ParticipantSession.Deliver deliver =
          new ParticipantSession.Deliver(target, msgs, List.copyOf(lines));
      for (Member m : members.values()) {
        if (m.feed != null && m.feed.offer(deliver)) {
          continue;
        }
        if (m.session != null) {
          m.session.tell(deliver);
        }
      }
    } else if (j.result() instanceof MessageJournal.AppendFailed f) {
      Reply error =
          new Reply.Error(Reply.ErrorCode.STORAGE, "the message was not stored: " + f.reason());
      for (StoredMessage msg : f.messages()) {
        List<Consumer<Reply>> w = waiting.remove(msg.seq());
        if (w != null) {
          w.forEach(r -> r.accept(error));
        }
        Map<String, Long> ids = recentIds.get(msg.sender());
        if (ids != null && msg.msgId() != null) {
          ids.remove(msg.msgId()); // so that a retry can store it
        }
      }
    }
    return this;
  }

  // ------------------------------------------------------------------ the delivered notice

  private void awaitDelivery(StoredMessage msg) {
    if (members.isEmpty()) {
      return;
    }
    if (pending.size() >= NOTICES_PENDING) {
      pending.pollFirst();
    }
    pending.addLast(new Pending(msg.seq(), msg.timestamp(), msg.sender()));
    if (pending.size() == 1) {
      blocking = null;
    }
  }

  private Behavior<Command> onProgress(Progress p) {
    if (progressed(p)) {
      noticeDelivered(p.at());
    }
    return this;
  }

  private Behavior<Command> onProgressBatch(ProgressBatch b) {
    long at = Long.MIN_VALUE;
    for (Progress p : b.moves()) {
      if (progressed(p)) {
        at = Math.max(at, p.at());
      }
    }
    if (at != Long.MIN_VALUE) {
      noticeDelivered(at);
    }
    return this;
  }

  /** Whether the member's cursor moved so that the oldest pending message may now be delivered. */
  private boolean progressed(Progress p) {
    Member m = members.get(p.member());
    if (m != null && p.cursor() > m.acked) {
      meters.acknowledged(p.cursor() - m.acked);
      m.acked = p.cursor();
      return blocking == null || blocking.equals(p.member());
    }
    return false;
  }

  /**
   * Tells the senders of the oldest messages that have reached every recipient, in order: one
   * notice per message, gathered into one delivery per sender. A member's cursor never goes below
   * where its membership began, so "every member acknowledged seq" is "the lowest cursor is at
   * least seq".
   */
  private void noticeDelivered(long deliveredAt) {
    if (pending.isEmpty()) {
      blocking = null;
      return;
    }
    long lowest = Long.MAX_VALUE;
    String lowestMember = null;
    for (Map.Entry<String, Member> e : members.entrySet()) {
      if (e.getValue().acked < lowest) {
        lowest = e.getValue().acked;
        lowestMember = e.getKey();
      }
    }
    Map<String, org.apache.pekko.util.ByteStringBuilder> notices = new HashMap<>();
    while (!pending.isEmpty()
        && (pending.peekFirst().seq <= lowest || pending.peekFirst().undeliverable)) {
      Pending p = pending.pollFirst();
      if (!p.undeliverable) {
        meters.deliveredToAll(deliveredAt - p.timestamp);
        notices
            .computeIfAbsent(p.sender, x -> new org.apache.pekko.util.ByteStringBuilder())
            .append(Lines.line(DeliveryCodec.delivered(target, p.seq)));
      }
    }
    blocking = pending.isEmpty() ? null : lowestMember;
    notices.forEach(
        (sender, lines) -> {
          ParticipantSession.Notice n = new ParticipantSession.Notice(lines.result(), deliveredAt);
          Member m = members.get(sender);
          if (m != null && m.feed != null) {
            m.feed.notice(n);
          } else if (m != null && m.session != null) {
            m.session.tell(n);
          } else {
            directory.tell(new Directory.ToParticipant(sender, n)); // a direct message's sender
          }
        });
  }

  private Behavior<Command> onExpired(Expired e) {
    for (Pending p : pending) {
      if (p.seq > e.cursor() && p.timestamp < e.notBefore()) {
        p.undeliverable = true;
      }
    }
    noticeDelivered(clock.millis());
    return this;
  }

  // ------------------------------------------------------------------ membership

  private Behavior<Command> onJoin(Join j) {
    if (members.containsKey(j.member())) {
      j.replyTo()
          .tell(
              Joined.failed(
                  Reply.ErrorCode.ALREADY_MEMBER,
                  j.member() + " is already a member of group " + target));
      return this;
    }
    // A new entrant is owed what is sent from now on.
    long joinSeq = lastSeq;
    Member m = new Member(joinSeq, j.secretHash());
    m.session = j.session();
    m.feed = j.feed();
    m.present = j.present();
    m.reachable = j.reachable();
    m.bound = true;
    members.put(j.member(), m);
    broadcast(j.member(), DeliveryCodec.EventKind.JOINED);
    Joined ok = new Joined(target, joinSeq, tdMillis, getContext().getSelf(), null);
    persist(
        ref ->
            new MessageJournal.SaveMembership(
                new MembershipRecord(target, j.member(), joinSeq, joinSeq), ref),
        () -> j.replyTo().tell(ok),
        "cannot store the membership",
        error -> {
          if (members.get(j.member()) == m) {
            members.remove(j.member());
          }
          j.replyTo().tell(new Joined(null, -1, -1, null, error));
        });
    return this;
  }

  private Behavior<Command> onLeave(Leave l) {
    Member m = members.remove(l.member());
    if (m == null) {
      l.replyTo()
          .tell(
              new Left(
                  new Reply.Error(
                      Reply.ErrorCode.NOT_MEMBER,
                      l.member() + " is not a member of group " + target + ": nothing to leave")));
      return this;
    }
    long endSeq = lastSeq;
    ended.add(new EndedMembership(target, l.member(), m.joinSeq, endSeq));
    for (Pending p : pending) {
      if (p.seq > m.acked && p.seq > m.joinSeq) {
        p.undeliverable = true; // it will never reach this one
      }
    }
    if (l.member().equals(blocking)) {
      blocking = null;
    }
    noticeDelivered(clock.millis());
    broadcast(l.member(), DeliveryCodec.EventKind.LEFT);
    persist(
        ref ->
            new MessageJournal.EndMembership(
                new MembershipRecord(target, l.member(), m.joinSeq, m.acked), endSeq, ref),
        () -> l.replyTo().tell(new Left(new Reply.Left(target, l.member()))),
        "cannot store the departure",
        error -> l.replyTo().tell(new Left(error)));
    return this;
  }

  /** Sends a journal write; runs one of the outcomes once it is done. */
  private void persist(
      java.util.function.Function<ActorRef<MessageJournal.Saved>, MessageJournal.Command> write,
      Runnable onSuccess,
      String what,
      java.util.function.Consumer<Reply.Error> onFailure) {
    getContext()
        .ask(
            MessageJournal.Saved.class,
            journal,
            context.settings().askTimeout(),
            write::apply,
            (saved, err) -> {
              MessageJournal.Saved s = err == null ? saved : new MessageJournal.Saved("timed out");
              Reply.Error e = new Reply.Error(Reply.ErrorCode.STORAGE, what + ": " + s.error());
              return new MembershipStored(s.ok() ? onSuccess : () -> onFailure.accept(e));
            });
  }

  private Behavior<Command> onMembershipStored(MembershipStored s) {
    s.then().run();
    return this;
  }

  private Behavior<Command> onBind(Bind b) {
    Member m = members.get(b.member());
    if (m != null) {
      m.session = b.session();
      m.feed = b.feed();
      m.secretHash = b.secretHash();
      m.present = b.present();
      m.bound = true;
    }
    List<AwaitingBind> waiting = awaitingBind.remove(b.member());
    if (waiting != null) {
      waiting.forEach(w -> publish(w.publish(), w.answer()));
    }
    return this;
  }

  private Behavior<Command> onPresence(Presence p) {
    Member m = members.get(p.member());
    if (m == null) {
      return this;
    }
    m.present = p.present();
    if (m.reachable != p.reachable()) {
      m.reachable = p.reachable();
      broadcast(
          p.member(),
          p.reachable() ? DeliveryCodec.EventKind.ONLINE : DeliveryCodec.EventKind.OFFLINE);
    }
    return this;
  }

  /** Tells every other member whose receiver is reachable what happened to {@code member}. */
  private void broadcast(String member, DeliveryCodec.EventKind kind) {
    if (inbox) {
      return;
    }
    ParticipantSession.Notice notice =
        new ParticipantSession.Notice(
            Lines.line(DeliveryCodec.event(target, member, kind)), ParticipantSession.NOW);
    for (Map.Entry<String, Member> e : members.entrySet()) {
      if (!e.getKey().equals(member) && e.getValue().reachable && e.getValue().session != null) {
        e.getValue().session.tell(notice);
      }
    }
  }

  // ------------------------------------------------------------------ queries

  private Behavior<Command> onGetInfo(GetInfo g) {
    int online = 0;
    for (Member m : members.values()) {
      if (m.reachable) {
        online++;
      }
    }
    g.replyTo().tell(new Reply.GroupInfo(target, members.size(), online, tdMillis));
    return this;
  }

  private Behavior<Command> onGetSnapshot(GetSnapshot g) {
    List<MemberSnapshot> list = new ArrayList<>(members.size());
    members.forEach(
        (id, m) -> list.add(new MemberSnapshot(id, m.present, m.reachable, m.joinSeq, m.acked)));
    g.replyTo().tell(new Snapshot(target, tdMillis, lastSeq, lastTimestamp, list));
    return this;
  }

  private Behavior<Command> onListMembers(ListMembers l) {
    List<Reply.MemberInfo> list = new ArrayList<>(members.size());
    members.forEach((id, m) -> list.add(new Reply.MemberInfo(id, m.reachable)));
    l.replyTo().tell(new Reply.MemberList(target, list));
    return this;
  }

  private Behavior<Command> onStatus(Status s) {
    if (s.seq() > lastSeq) {
      s.replyTo()
          .tell(
              new Reply.Error(
                  Reply.ErrorCode.NO_MESSAGE,
                  "there is no message #"
                      + s.seq()
                      + " in "
                      + target
                      + " (the last is #"
                      + lastSeq
                      + ")"));
      return this;
    }
    List<MessageJournal.Recipient> recipients = new ArrayList<>();
    members.forEach(
        (id, m) -> {
          if (m.joinSeq < s.seq()) {
            recipients.add(new MessageJournal.Recipient(id, m.joinSeq, -1));
          }
        });
    for (Iterator<EndedMembership> it = ended.iterator(); it.hasNext(); ) {
      EndedMembership e = it.next();
      if (e.joinSeq() < s.seq() && s.seq() <= e.endSeq()) {
        recipients.add(new MessageJournal.Recipient(e.member(), e.joinSeq(), e.endSeq()));
      }
    }
    journal.tell(
        new MessageJournal.QueryStatus(
            target, s.seq(), s.requester(), recipients, tdMillis, s.replyTo()));
    return this;
  }

  private static Reply.Error forbidden(String member) {
    return new Reply.Error(
        Reply.ErrorCode.FORBIDDEN,
        member + " is protected by a secret: send AUTH with it on this connection first");
  }
}
