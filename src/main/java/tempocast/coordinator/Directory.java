package tempocast.coordinator;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import tempocast.journal.GroupRecord;
import tempocast.journal.JournalStore;
import tempocast.journal.MembershipRecord;
import tempocast.journal.MessageJournal;
import tempocast.journal.ParticipantRecord;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.Names;
import tempocast.protocol.Reply;

/**
 * The coordinator's names: one {@link GroupManager} per group and per inbox, one {@link
 * ParticipantSession} per registered participant. It checks who may do what (registered, the secret
 * proved), then hands each command to the actor that owns what it is about.
 */
public final class Directory extends AbstractBehavior<Directory.Command> {

  public sealed interface Command {}

  /** Who sent a command: the credential its connection proved for the member, or null. */
  public record Caller(String credential) {}

  public record Handle(ClientCommand command, Caller caller, ActorRef<Reply> replyTo)
      implements Command {}

  /** Replies with the target's manager, or null if there is none. */
  public record GetManager(String target, ActorRef<ManagerRef> replyTo) implements Command {}

  public record ManagerRef(ActorRef<GroupManager.Command> ref) {}

  /** For the dashboard and the HTTP API: every target's manager, and the registered IDs. */
  public record ListTargets(ActorRef<Targets> replyTo) implements Command {}

  public record Targets(
      Map<String, ActorRef<GroupManager.Command>> managers, Set<String> participants) {
    public Targets {
      managers = Map.copyOf(managers);
      participants = Set.copyOf(participants);
    }
  }

  /** Passes a command to a participant's session, if it is registered. */
  public record ToParticipant(String id, ParticipantSession.Command command) implements Command {}

  /** The session says it deregistered: the ID is free again. */
  public record Deregistered(String id, ActorRef<ParticipantSession.Command> session)
      implements Command {}

  private record SessionStopped(String id, ActorRef<ParticipantSession.Command> session)
      implements Command {}

  private record Answer(ActorRef<Reply> replyTo, Reply reply) implements Command {}

  private record RemoveChecked(
      String name,
      ActorRef<GroupManager.Command> manager,
      GroupManager.Size size,
      ActorRef<Reply> replyTo)
      implements Command {}

  private record GroupStored(
      String group,
      long tdMillis,
      String member,
      ActorRef<Reply> replyTo,
      MessageJournal.Saved saved)
      implements Command {}

  private static final class Entry {
    final ActorRef<ParticipantSession.Command> session;
    final String secretHash;

    Entry(ActorRef<ParticipantSession.Command> session, String secretHash) {
      this.session = session;
      this.secretHash = secretHash;
    }

    boolean admits(Caller caller) {
      return secretHash == null || secretHash.equals(caller.credential());
    }
  }

  public static Behavior<Command> create(
      ParticipantSession.Context context, JournalStore.Snapshot recovered) {
    return Behaviors.setup(ctx -> new Directory(ctx, context, recovered));
  }

  private final ParticipantSession.Context context;
  private final Map<String, ActorRef<GroupManager.Command>> managers = new HashMap<>();
  private final Map<String, Long> tdByGroup = new HashMap<>();
  private final Map<String, Entry> participants = new HashMap<>();

  /** The last seq of each removed group: one created again under its name goes on from there. */
  private final Map<String, Long> retiredSeqs = new HashMap<>();

  private long sessions;
  private long spawned;

  private Directory(
      ActorContext<Command> ctx, ParticipantSession.Context context, JournalStore.Snapshot r) {
    super(ctx);
    this.context = context;
    long defaultTd = context.settings().td().toMillis();
    for (GroupRecord g : r.groups()) {
      tdByGroup.put(g.name(), g.tdMillis());
    }
    Set<String> targets = new TreeSet<>(r.lastSeqByTarget().keySet());
    r.memberships().forEach(m -> targets.add(m.target()));
    targets.addAll(tdByGroup.keySet());
    targets.add(Names.DEFAULT_GROUP);
    Set<String> withMembers = new TreeSet<>();
    r.memberships().forEach(m -> withMembers.add(m.target()));
    for (String t : targets) {
      if (!Names.isInbox(t)
          && !tdByGroup.containsKey(t)
          && !withMembers.contains(t)
          && !t.equals(Names.DEFAULT_GROUP)) {
        retiredSeqs.put(t, r.lastSeqByTarget().get(t)); // a removed group
        continue;
      }
      if (!Names.isInbox(t) && !tdByGroup.containsKey(t)) {
        // main, or a group of a journal from before groups had records: the coordinator's td
        tdByGroup.put(t, defaultTd);
        context.journal().tell(new MessageJournal.SaveGroup(new GroupRecord(t, defaultTd), null));
      }
      // Each manager loads the rest of its state itself (members, ended memberships, the
      // message IDs of its latest messages), holding its commands until it has.
      spawnManager(
          new GroupManager.Setup(t, Names.isInbox(t) ? defaultTd : tdByGroup.get(t), null));
    }
    for (ParticipantRecord p : r.participants()) {
      List<ParticipantSession.Recovered> subs = new ArrayList<>();
      boolean hasInbox = false;
      for (MembershipRecord m : r.memberships()) {
        if (m.member().equals(p.id())) {
          subs.add(
              new ParticipantSession.Recovered(
                  m,
                  r.lastSeqByTarget().getOrDefault(m.target(), 0L),
                  tdOf(m.target()),
                  managers.get(m.target())));
          hasInbox |= m.target().equals(Names.inbox(p.id()));
        }
      }
      ActorRef<ParticipantSession.Command> session = spawnSession(p, subs, false);
      if (!hasInbox) {
        // registered before participants had inboxes: give it one now
        session.tell(
            new ParticipantSession.Join(
                Names.inbox(p.id()), inbox(p.id()), getContext().getSystem().ignoreRef()));
      }
    }
  }

  private long tdOf(String target) {
    return Names.isInbox(target)
        ? context.settings().td().toMillis()
        : tdByGroup.getOrDefault(target, context.settings().td().toMillis());
  }

  private ActorRef<GroupManager.Command> spawnManager(GroupManager.Setup setup) {
    ActorRef<GroupManager.Command> ref =
        getContext()
            .spawn(
                GroupManager.create(setup, getContext().getSelf(), context),
                // unique, so that a group created again never meets its removed namesake
                (Names.isInbox(setup.target())
                        ? "inbox-" + setup.target().substring(1)
                        : "group-" + setup.target())
                    + "-"
                    + (++spawned));
    managers.put(setup.target(), ref);
    return ref;
  }

  private ActorRef<GroupManager.Command> inbox(String id) {
    String target = Names.inbox(id);
    ActorRef<GroupManager.Command> ref = managers.get(target);
    if (ref == null) {
      ref =
          spawnManager(
              new GroupManager.Setup(target, tdOf(target), JournalStore.TargetState.empty(0)));
    }
    return ref;
  }

  private ActorRef<ParticipantSession.Command> spawnSession(
      ParticipantRecord p, List<ParticipantSession.Recovered> subs, boolean fresh) {
    String name =
        "participant-"
            + URLEncoder.encode(p.id(), StandardCharsets.UTF_8)
            + "-"
            + (++sessions); // unique, so a quick re-register never meets a stopping namesake
    ActorRef<ParticipantSession.Command> ref =
        getContext()
            .spawn(
                ParticipantSession.create(p, subs, fresh, context, getContext().getSelf()), name);
    getContext().watchWith(ref, new SessionStopped(p.id(), ref));
    participants.put(p.id(), new Entry(ref, p.secretHash()));
    return ref;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Handle.class, this::onHandle)
        .onMessage(GetManager.class, this::onGetManager)
        .onMessage(
            ListTargets.class,
            l -> {
              l.replyTo().tell(new Targets(managers, participants.keySet()));
              return this;
            })
        .onMessage(ToParticipant.class, this::onToParticipant)
        .onMessage(Answer.class, this::onAnswer)
        .onMessage(GroupStored.class, this::onGroupStored)
        .onMessage(RemoveChecked.class, this::onRemoveChecked)
        .onMessage(Deregistered.class, this::onDeregistered)
        .onMessage(SessionStopped.class, this::onSessionStopped)
        .build();
  }

  private Behavior<Command> onGetManager(GetManager g) {
    g.replyTo().tell(new ManagerRef(managers.get(g.target())));
    return this;
  }

  private Behavior<Command> onToParticipant(ToParticipant t) {
    Entry e = participants.get(t.id());
    if (e != null) {
      e.session.tell(t.command());
    }
    return this;
  }

  private Behavior<Command> onAnswer(Answer a) {
    a.replyTo().tell(a.reply());
    return this;
  }

  private Behavior<Command> onDeregistered(Deregistered d) {
    Entry e = participants.get(d.id());
    if (e != null && e.session.equals(d.session())) {
      participants.remove(d.id());
    }
    return this;
  }

  private Behavior<Command> onSessionStopped(SessionStopped s) {
    Entry e = participants.get(s.id());
    if (e != null && e.session.equals(s.session())) {
      participants.remove(s.id()); // a registration that never took effect
    }
    return this;
  }

  // ------------------------------------------------------------------ commands

  private Behavior<Command> onHandle(Handle h) {
    ClientCommand c = h.command();
    ActorRef<Reply> replyTo = h.replyTo();
    if (c instanceof ClientCommand.Register r) {
      return register(r, h.caller(), replyTo);
    }
    String member = c.member();
    boolean anyone = member.isEmpty(); // GROUPS and MEMBERS from nc, naming nobody
    if (anyone && c instanceof ClientCommand.ListGroups) {
      return listGroups(replyTo);
    }
    if (anyone && c instanceof ClientCommand.Members m) {
      return listMembers(m, replyTo);
    }
    if (c instanceof ClientCommand.Remove r) {
      return remove(r.group(), replyTo);
    }
    Entry e = participants.get(member);
    if (e == null) {
      replyTo.tell(
          new Reply.Error(
              Reply.ErrorCode.NOT_REGISTERED, member + " is not registered: REGISTER first"));
      return this;
    }
    if (!e.admits(h.caller())) {
      replyTo.tell(
          new Reply.Error(
              Reply.ErrorCode.FORBIDDEN,
              member + " is protected by a secret: send AUTH with it on this connection first"));
      return this;
    }
    if (c instanceof ClientCommand.ListGroups) {
      return listGroups(replyTo);
    }
    if (c instanceof ClientCommand.Members m) {
      return listMembers(m, replyTo);
    }
    if (c instanceof ClientCommand.MSend s) {
      ActorRef<GroupManager.Command> g = group(s.group(), replyTo);
      if (g != null) {
        g.tell(
            new GroupManager.Publish(
                s.member(), h.caller().credential(), s.msgId(), s.text(), replyTo));
      }
    } else if (c instanceof ClientCommand.Reconnect r) {
      e.session.tell(new ParticipantSession.Reconnect(r.group(), r.host(), r.port(), replyTo));
    } else if (c instanceof ClientCommand.Disconnect d) {
      e.session.tell(new ParticipantSession.Disconnect(d.group(), replyTo));
    } else if (c instanceof ClientCommand.Deregister d) {
      e.session.tell(new ParticipantSession.Deregister(d.group(), replyTo));
    } else if (c instanceof ClientCommand.Send s) {
      if (!participants.containsKey(s.to())) {
        replyTo.tell(
            new Reply.Error(
                Reply.ErrorCode.UNKNOWN_RECIPIENT,
                "there is no participant " + s.to() + ": direct messages go to registered IDs"));
      } else {
        e.session.tell(
            new ParticipantSession.SendDirect(inbox(s.to()), s.msgId(), s.text(), replyTo));
      }
    } else if (c instanceof ClientCommand.Create cr) {
      create(cr, replyTo);
    } else if (c instanceof ClientCommand.Join j) {
      ActorRef<GroupManager.Command> g = group(j.group(), replyTo);
      if (g != null) {
        join(
            e,
            j.group(),
            g,
            replyTo,
            joined -> new Reply.Joined(j.group(), member, joined.joinSeq() + 1));
      }
    } else if (c instanceof ClientCommand.Leave l) {
      if (group(l.group(), replyTo) != null) {
        e.session.tell(new ParticipantSession.Leave(l.group(), replyTo));
      }
    } else if (c instanceof ClientCommand.Status s) {
      ActorRef<GroupManager.Command> g = managers.get(s.target());
      if (g == null) {
        replyTo.tell(
            Names.isInbox(s.target())
                ? new Reply.Error(
                    Reply.ErrorCode.NO_MESSAGE,
                    "there is no message #" + s.seq() + " in " + s.target())
                : unknownGroup(s.target()));
      } else {
        g.tell(new GroupManager.Status(member, s.seq(), replyTo));
      }
    } else {
      replyTo.tell(new Reply.Error(Reply.ErrorCode.BAD_REQUEST, "unsupported command"));
    }
    return this;
  }

  /** The group's manager, or null after telling {@code replyTo} there is no such group. */
  private ActorRef<GroupManager.Command> group(String name, ActorRef<Reply> replyTo) {
    ActorRef<GroupManager.Command> g = Names.isInbox(name) ? null : managers.get(name);
    if (g == null) {
      replyTo.tell(unknownGroup(name));
    }
    return g;
  }

  private static Reply.Error unknownGroup(String name) {
    return new Reply.Error(
        Reply.ErrorCode.UNKNOWN_GROUP, "there is no group " + name + ": CREATE it, or see GROUPS");
  }

  private Behavior<Command> register(
      ClientCommand.Register r, Caller caller, ActorRef<Reply> replyTo) {
    if (participants.containsKey(r.member())) {
      replyTo.tell(
          new Reply.Error(
              Reply.ErrorCode.ALREADY_REGISTERED,
              r.member() + " is already registered; use RECONNECT"));
      return this;
    }
    ActorRef<GroupManager.Command> g = group(r.group(), replyTo);
    if (g == null) {
      return this;
    }
    ParticipantRecord record =
        new ParticipantRecord(
            r.member(), false, context.clock().millis(), r.host(), r.port(), caller.credential());
    ActorRef<ParticipantSession.Command> session = spawnSession(record, List.of(), true);
    session.tell(new ParticipantSession.Register(r.group(), g, inbox(r.member()), replyTo));
    return this;
  }

  private void join(
      Entry e,
      String name,
      ActorRef<GroupManager.Command> g,
      ActorRef<Reply> replyTo,
      java.util.function.Function<GroupManager.Joined, Reply> ok) {
    getContext()
        .ask(
            GroupManager.Joined.class,
            e.session,
            context.settings().askTimeout(),
            ref -> new ParticipantSession.Join(name, g, ref),
            (joined, err) ->
                new Answer(
                    replyTo,
                    err != null
                        ? new Reply.Error(
                            Reply.ErrorCode.INTERNAL, "the group did not answer in time")
                        : joined.ok() ? ok.apply(joined) : joined.error()));
  }

  private void create(ClientCommand.Create c, ActorRef<Reply> replyTo) {
    if (managers.containsKey(c.group())) {
      replyTo.tell(
          new Reply.Error(
              Reply.ErrorCode.GROUP_EXISTS,
              "group " + c.group() + " exists: JOIN it, or CREATE another name"));
      return;
    }
    long td = c.tdMillis() < 0 ? context.settings().td().toMillis() : c.tdMillis();
    tdByGroup.put(c.group(), td);
    long lastSeq = retiredSeqs.getOrDefault(c.group(), 0L);
    spawnManager(new GroupManager.Setup(c.group(), td, JournalStore.TargetState.empty(lastSeq)));
    getContext()
        .ask(
            MessageJournal.Saved.class,
            context.journal(),
            context.settings().askTimeout(),
            ref -> new MessageJournal.SaveGroup(new GroupRecord(c.group(), td), ref),
            (saved, err) ->
                new GroupStored(
                    c.group(),
                    td,
                    c.member(),
                    replyTo,
                    err == null ? saved : new MessageJournal.Saved("timed out")));
  }

  private Behavior<Command> onGroupStored(GroupStored s) {
    ActorRef<GroupManager.Command> g = managers.get(s.group());
    if (!s.saved().ok()) {
      managers.remove(s.group());
      tdByGroup.remove(s.group());
      if (g != null) {
        getContext().stop(g);
      }
      s.replyTo()
          .tell(
              new Reply.Error(
                  Reply.ErrorCode.STORAGE,
                  "cannot store group " + s.group() + ": " + s.saved().error()));
      return this;
    }
    Entry e = participants.get(s.member());
    if (e == null) {
      s.replyTo()
          .tell(new Reply.Error(Reply.ErrorCode.NOT_REGISTERED, s.member() + " is not registered"));
      return this;
    }
    join(
        e,
        s.group(),
        g,
        s.replyTo(),
        joined -> new Reply.Created(s.group(), s.tdMillis(), joined.joinSeq() + 1));
    return this;
  }

  /**
   * Removes an empty group: it is out of the directory at once, so that no command reaches it
   * meanwhile, and back if it turns out to have members.
   */
  private Behavior<Command> remove(String name, ActorRef<Reply> replyTo) {
    if (name.equals(Names.DEFAULT_GROUP)) {
      replyTo.tell(new Reply.Error(Reply.ErrorCode.BAD_REQUEST, "group main always exists"));
      return this;
    }
    ActorRef<GroupManager.Command> g = group(name, replyTo);
    if (g == null) {
      return this;
    }
    managers.remove(name);
    getContext()
        .ask(
            GroupManager.Size.class,
            g,
            context.settings().askTimeout(),
            GroupManager.GetSize::new,
            (size, err) -> new RemoveChecked(name, g, size, replyTo));
    return this;
  }

  private Behavior<Command> onRemoveChecked(RemoveChecked r) {
    if (r.size() == null || r.size().members() > 0) {
      managers.put(r.name(), r.manager());
      r.replyTo()
          .tell(
              r.size() == null
                  ? new Reply.Error(Reply.ErrorCode.INTERNAL, "the group did not answer in time")
                  : new Reply.Error(
                      Reply.ErrorCode.NOT_EMPTY,
                      "group "
                          + r.name()
                          + " has "
                          + r.size().members()
                          + " members; it can be removed once the last has left"));
      return this;
    }
    getContext().stop(r.manager());
    tdByGroup.remove(r.name());
    retiredSeqs.put(r.name(), r.size().lastSeq());
    getContext()
        .ask(
            MessageJournal.Saved.class,
            context.journal(),
            context.settings().askTimeout(),
            ref -> new MessageJournal.RemoveGroup(r.name(), ref),
            (saved, err) ->
                new Answer(
                    r.replyTo(),
                    err == null && saved.ok()
                        ? new Reply.Removed(r.name())
                        : new Reply.Error(
                            Reply.ErrorCode.STORAGE,
                            "cannot remove group "
                                + r.name()
                                + ": "
                                + (err == null ? saved.error() : "timed out"))));
    return this;
  }

  private Behavior<Command> listMembers(ClientCommand.Members m, ActorRef<Reply> replyTo) {
    ActorRef<GroupManager.Command> g = group(m.group(), replyTo);
    if (g != null) {
      g.tell(new GroupManager.ListMembers(replyTo));
    }
    return this;
  }

  private Behavior<Command> listGroups(ActorRef<Reply> replyTo) {
    List<CompletableFuture<Reply.GroupInfo>> infos = new ArrayList<>();
    managers.forEach(
        (name, g) -> {
          if (!Names.isInbox(name)) {
            infos.add(
                AskPattern.<GroupManager.Command, Reply.GroupInfo>ask(
                        g,
                        GroupManager.GetInfo::new,
                        context.settings().askTimeout(),
                        getContext().getSystem().scheduler())
                    .toCompletableFuture());
          }
        });
    getContext()
        .pipeToSelf(
            CompletableFuture.allOf(infos.toArray(CompletableFuture[]::new))
                .thenApply(
                    done -> {
                      List<Reply.GroupInfo> list = new ArrayList<>();
                      infos.forEach(f -> list.add(f.join()));
                      list.sort(Comparator.comparing(Reply.GroupInfo::name));
                      return list;
                    }),
            (list, err) ->
                new Answer(
                    replyTo,
                    err == null
                        ? new Reply.GroupList(list)
                        : new Reply.Error(
                            Reply.ErrorCode.INTERNAL, "a group did not answer in time")));
    return this;
  }
}
