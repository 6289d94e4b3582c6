package tempocast.coordinator;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.util.ByteString;
import tempocast.journal.MemberRecord;
import tempocast.journal.MessageJournal;
import tempocast.protocol.Replies;
import tempocast.protocol.StoredMessage;

/**
 * Owns one group: who is registered, who is online, and the group's one order. It assigns each
 * message its sequence number and timestamp, has the journal store it, acknowledges the sender once
 * it is stored and hands it to every member's session. Replies are protocol reply lines.
 */
public final class GroupManager extends AbstractBehavior<GroupManager.Command> {

  public sealed interface Command {}

  // Each command carries the credential its connection proved for the member (the SHA-256 of
  // the secret it sent with AUTH), or null; see docs/PROTOCOL.md, "Secrets".

  public record Register(
      String member, String host, int port, ActorRef<String> replyTo, String credential)
      implements Command {
    public Register(String member, String host, int port, ActorRef<String> replyTo) {
      this(member, host, port, replyTo, null);
    }
  }

  public record Reconnect(
      String member, String host, int port, ActorRef<String> replyTo, String credential)
      implements Command {
    public Reconnect(String member, String host, int port, ActorRef<String> replyTo) {
      this(member, host, port, replyTo, null);
    }
  }

  public record Disconnect(String member, ActorRef<String> replyTo, String credential)
      implements Command {
    public Disconnect(String member, ActorRef<String> replyTo) {
      this(member, replyTo, null);
    }
  }

  public record Deregister(String member, ActorRef<String> replyTo, String credential)
      implements Command {
    public Deregister(String member, ActorRef<String> replyTo) {
      this(member, replyTo, null);
    }
  }

  public record Publish(
      String member, String msgId, byte[] text, ActorRef<String> replyTo, String credential)
      implements Command {
    public Publish(String member, String msgId, byte[] text, ActorRef<String> replyTo) {
      this(member, msgId, text, replyTo, null);
    }
  }

  /** The members and their state, for tests and diagnostics. */
  public record GetMembers(ActorRef<Members> replyTo) implements Command {}

  public record Members(Map<String, Boolean> onlineByMember, long lastSeq) {}

  private record AttachDone(
      String member,
      ActorRef<MemberSession.Command> session,
      boolean fresh,
      MemberSession.Attached result,
      ActorRef<String> replyTo)
      implements Command {}

  private record Journaled(MessageJournal.AppendResult result) implements Command {}

  /**
   * A membership change reached the journal (or not): reply {@code okReply}, or say what failed.
   */
  private record MembershipStored(
      String okReply, String change, MessageJournal.Saved saved, ActorRef<String> replyTo)
      implements Command {}

  /** How many recent message IDs per member are remembered to recognise a retried MSEND. */
  private static final int RECENT_IDS = 1024;

  private static final class Member {
    final ActorRef<MemberSession.Command> session;
    final long incarnation;
    final String secretHash;

    /**
     * Online by the member's own account: registered or reconnected, and no DISCONNECT since. Its
     * receiver may be unreachable for a while; the session reaches it again by itself.
     */
    boolean online;

    boolean attaching;
    final Map<String, Long> recentIds =
        new LinkedHashMap<>(16, 0.75f, false) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > RECENT_IDS;
          }
        };

    Member(ActorRef<MemberSession.Command> session, long incarnation, String secretHash) {
      this.session = session;
      this.incarnation = incarnation;
      this.secretHash = secretHash;
    }

    /** Whether a connection with this credential may act for the member. */
    boolean admits(String credential) {
      return secretHash == null || secretHash.equals(credential);
    }
  }

  public static Behavior<Command> create(
      String group,
      long lastSeq,
      List<MemberRecord> recovered,
      List<StoredMessage> recent,
      CoordinatorSettings settings,
      ActorRef<MessageJournal.Command> journal,
      DeliveryLink.Connector connector,
      Clock clock) {
    return Behaviors.setup(
        ctx ->
            new GroupManager(
                ctx, group, lastSeq, recovered, recent, settings, journal, connector, clock));
  }

  private final String group;
  private final CoordinatorSettings settings;
  private final ActorRef<MessageJournal.Command> journal;
  private final DeliveryLink.Connector connector;
  private final Clock clock;
  private final ActorRef<MessageJournal.AppendResult> journalAdapter;
  private final Map<String, Member> members = new HashMap<>();

  /** Senders waiting for their message to be stored, by seq. */
  private final TreeMap<Long, List<ActorRef<String>>> waiting = new TreeMap<>();

  private long lastSeq;
  private long lastTimestamp;
  private long sessionCount;

  private GroupManager(
      ActorContext<Command> ctx,
      String group,
      long lastSeq,
      List<MemberRecord> recovered,
      List<StoredMessage> recent,
      CoordinatorSettings settings,
      ActorRef<MessageJournal.Command> journal,
      DeliveryLink.Connector connector,
      Clock clock) {
    super(ctx);
    this.group = group;
    this.lastSeq = lastSeq;
    this.settings = settings;
    this.journal = journal;
    this.connector = connector;
    this.clock = clock;
    this.journalAdapter = ctx.messageAdapter(MessageJournal.AppendResult.class, Journaled::new);
    for (MemberRecord r : recovered) {
      Member m = new Member(spawnSession(r, lastSeq), r.incarnation(), r.secretHash());
      // Online when the coordinator stopped: its session reaches its receiver again unasked.
      m.online = r.online();
      members.put(r.member(), m);
    }
    // A sender whose MSEND got no answer before the coordinator stopped sends it again.
    for (StoredMessage msg : recent) {
      Member m = members.get(msg.sender());
      if (m != null && msg.msgId() != null && msg.seq() > m.incarnation) {
        m.recentIds.put(msg.msgId(), msg.seq());
      }
      lastTimestamp = Math.max(lastTimestamp, msg.timestamp());
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Publish.class, this::onPublish)
        .onMessage(Journaled.class, this::onJournaled)
        .onMessage(Register.class, this::onRegister)
        .onMessage(Reconnect.class, this::onReconnect)
        .onMessage(AttachDone.class, this::onAttachDone)
        .onMessage(Disconnect.class, this::onDisconnect)
        .onMessage(MembershipStored.class, this::onMembershipStored)
        .onMessage(Deregister.class, this::onDeregister)
        .onMessage(GetMembers.class, this::onGetMembers)
        .build();
  }

  private ActorRef<MemberSession.Command> spawnSession(MemberRecord r, long headSeq) {
    String name =
        "member-"
            + URLEncoder.encode(r.member(), StandardCharsets.UTF_8)
            + "-"
            + (++sessionCount); // unique, so a quick re-register never meets a stopping namesake
    return getContext()
        .spawn(MemberSession.create(r, headSeq, settings, journal, connector, clock), name);
  }

  private Behavior<Command> onPublish(Publish p) {
    Member m = members.get(p.member());
    if (m == null) {
      p.replyTo().tell(notRegistered(p.member()));
      return this;
    }
    if (!m.admits(p.credential())) {
      p.replyTo().tell(forbidden(p.member()));
      return this;
    }
    if (!m.online) {
      p.replyTo()
          .tell(Replies.error(Replies.NOT_ONLINE, p.member() + " is offline: RECONNECT first"));
      return this;
    }
    if (p.msgId() != null) {
      Long seen = m.recentIds.get(p.msgId());
      if (seen != null) {
        List<ActorRef<String>> stillWaiting = waiting.get(seen);
        if (stillWaiting != null) {
          stillWaiting.add(p.replyTo());
        } else {
          p.replyTo().tell(Replies.sent(group, seen)); // a retry of a stored message
        }
        return this;
      }
    }
    long seq = ++lastSeq;
    // Timestamps never go backwards within a group, even if the wall clock does.
    lastTimestamp = Math.max(lastTimestamp, clock.millis());
    StoredMessage msg =
        new StoredMessage(group, seq, lastTimestamp, p.member(), p.msgId(), p.text());
    if (p.msgId() != null) {
      m.recentIds.put(p.msgId(), seq);
    }
    List<ActorRef<String>> w = new ArrayList<>(1);
    w.add(p.replyTo());
    waiting.put(seq, w);
    journal.tell(new MessageJournal.Append(msg, journalAdapter));
    return this;
  }

  private Behavior<Command> onJournaled(Journaled j) {
    if (j.result() instanceof MessageJournal.Appended a) {
      List<StoredMessage> msgs = a.messages();
      List<ByteString> lines = new ArrayList<>(msgs.size());
      for (StoredMessage msg : msgs) {
        lines.add(msg.deliveryLine());
        String ok = Replies.sent(group, msg.seq());
        List<ActorRef<String>> w = waiting.remove(msg.seq());
        if (w != null) {
          w.forEach(r -> r.tell(ok));
        }
      }
      MemberSession.Deliver deliver = new MemberSession.Deliver(msgs, List.copyOf(lines));
      for (Member m : members.values()) {
        m.session.tell(deliver);
      }
    } else if (j.result() instanceof MessageJournal.AppendFailed f) {
      String error = Replies.error(Replies.STORAGE, "the message was not stored: " + f.reason());
      for (StoredMessage msg : f.messages()) {
        List<ActorRef<String>> w = waiting.remove(msg.seq());
        if (w != null) {
          w.forEach(r -> r.tell(error));
        }
        Member m = members.get(msg.sender());
        if (m != null && msg.msgId() != null) {
          m.recentIds.remove(msg.msgId()); // so that a retry can store it
        }
      }
    }
    return this;
  }

  private Behavior<Command> onRegister(Register r) {
    if (members.containsKey(r.member())) {
      r.replyTo()
          .tell(
              Replies.error(
                  Replies.ALREADY_REGISTERED,
                  r.member() + " is already registered in group " + group + "; use RECONNECT"));
      return this;
    }
    // A new entrant is owed what is sent from now on: its cursor starts at the last seq.
    MemberRecord record =
        new MemberRecord(
            group,
            r.member(),
            lastSeq,
            false,
            clock.millis(),
            lastSeq,
            r.host(),
            r.port(),
            r.credential());
    Member m = new Member(spawnSession(record, lastSeq), lastSeq, r.credential());
    members.put(r.member(), m);
    attach(r.member(), m, r.host(), r.port(), true, r.replyTo());
    return this;
  }

  private Behavior<Command> onReconnect(Reconnect r) {
    Member m = members.get(r.member());
    if (m == null) {
      r.replyTo().tell(notRegistered(r.member()));
    } else if (!m.admits(r.credential())) {
      r.replyTo().tell(forbidden(r.member()));
    } else if (m.attaching) {
      r.replyTo().tell(busy(r.member()));
    } else {
      m.online = false;
      attach(r.member(), m, r.host(), r.port(), false, r.replyTo());
    }
    return this;
  }

  private void attach(
      String member, Member m, String host, int port, boolean fresh, ActorRef<String> replyTo) {
    m.attaching = true;
    getContext()
        .ask(
            MemberSession.Attached.class,
            m.session,
            settings.askTimeout().plus(settings.connectTimeout()),
            ref -> new MemberSession.Attach(host, port, fresh, ref),
            (res, err) ->
                new AttachDone(
                    member,
                    m.session,
                    fresh,
                    err == null
                        ? res
                        : new MemberSession.Attached(member, Replies.INTERNAL, "timed out"),
                    replyTo));
  }

  private Behavior<Command> onAttachDone(AttachDone d) {
    Member m = members.get(d.member());
    if (m == null || m.session != d.session()) {
      if (d.replyTo() != null) {
        d.replyTo().tell(Replies.error(Replies.NOT_REGISTERED, d.member() + " left the group"));
      }
      return this;
    }
    m.attaching = false;
    MemberSession.Attached res = d.result();
    if (res.ok()) {
      m.online = true;
      if (d.replyTo() != null) {
        d.replyTo()
            .tell(
                d.fresh()
                    ? Replies.registered(group, d.member(), m.incarnation + 1)
                    : Replies.reconnected(group, d.member()));
      }
      return this;
    }
    if (d.fresh()) {
      // The registration never took effect: forget it.
      members.remove(d.member());
      getContext().stop(m.session);
    }
    if (d.replyTo() != null) {
      d.replyTo().tell(Replies.error(res.code(), res.error()));
    }
    return this;
  }

  private Behavior<Command> onDisconnect(Disconnect d) {
    Member m = members.get(d.member());
    if (m == null) {
      d.replyTo().tell(notRegistered(d.member()));
    } else if (!m.admits(d.credential())) {
      d.replyTo().tell(forbidden(d.member()));
    } else if (m.attaching) {
      d.replyTo().tell(busy(d.member()));
    } else if (!m.online) {
      d.replyTo().tell(Replies.error(Replies.NOT_ONLINE, d.member() + " is already offline"));
    } else {
      m.online = false;
      getContext()
          .ask(
              MessageJournal.Saved.class,
              m.session,
              settings.askTimeout(),
              MemberSession.Detach::new,
              (saved, err) ->
                  new MembershipStored(
                      Replies.disconnected(group, d.member()),
                      "the disconnect",
                      err == null ? saved : new MessageJournal.Saved("timed out"),
                      d.replyTo()));
    }
    return this;
  }

  private Behavior<Command> onMembershipStored(MembershipStored s) {
    s.replyTo()
        .tell(
            s.saved().ok()
                ? s.okReply()
                : Replies.error(
                    Replies.STORAGE, "cannot store " + s.change() + ": " + s.saved().error()));
    return this;
  }

  private Behavior<Command> onDeregister(Deregister d) {
    Member m = members.get(d.member());
    if (m == null) {
      d.replyTo().tell(notRegistered(d.member()));
      return this;
    }
    if (!m.admits(d.credential())) {
      d.replyTo().tell(forbidden(d.member()));
      return this;
    }
    members.remove(d.member());
    getContext().stop(m.session);
    getContext()
        .ask(
            MessageJournal.Saved.class,
            journal,
            settings.askTimeout(),
            ref -> new MessageJournal.RemoveMember(group, d.member(), ref),
            (saved, err) ->
                new MembershipStored(
                    Replies.deregistered(group, d.member()),
                    "the deregistration",
                    err == null ? saved : new MessageJournal.Saved("timed out"),
                    d.replyTo()));
    return this;
  }

  private Behavior<Command> onGetMembers(GetMembers g) {
    Map<String, Boolean> state = new TreeMap<>();
    members.forEach((id, m) -> state.put(id, m.online));
    g.replyTo().tell(new Members(Map.copyOf(state), lastSeq));
    return this;
  }

  private String notRegistered(String member) {
    return Replies.error(Replies.NOT_REGISTERED, member + " is not registered in group " + group);
  }

  private static String forbidden(String member) {
    return Replies.error(
        Replies.FORBIDDEN,
        member + " is protected by a secret: send AUTH with it on this connection first");
  }

  private String busy(String member) {
    return Replies.error("busy", "a REGISTER or RECONNECT for " + member + " is in progress");
  }
}
