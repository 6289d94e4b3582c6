package tempocast.coordinator;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import tempocast.journal.JournalStore;
import tempocast.journal.MemberRecord;
import tempocast.journal.MessageJournal;
import tempocast.protocol.Names;
import tempocast.protocol.StoredMessage;

/** The coordinator's named groups: one {@link GroupManager} each, created on first registration. */
public final class Groups extends AbstractBehavior<Groups.Command> {

  public sealed interface Command {}

  /** Replies with the group's manager, or null if it does not exist and {@code create} is false. */
  public record GetGroup(String name, boolean create, ActorRef<GroupRef> replyTo)
      implements Command {}

  public record GroupRef(ActorRef<GroupManager.Command> ref) {}

  public static Behavior<Command> create(
      CoordinatorSettings settings,
      ActorRef<MessageJournal.Command> journal,
      JournalStore.Snapshot recovered,
      DeliveryLink.Connector connector,
      Clock clock) {
    return Behaviors.setup(ctx -> new Groups(ctx, settings, journal, recovered, connector, clock));
  }

  private final CoordinatorSettings settings;
  private final ActorRef<MessageJournal.Command> journal;
  private final DeliveryLink.Connector connector;
  private final Clock clock;
  private final Map<String, ActorRef<GroupManager.Command>> groups = new HashMap<>();

  private Groups(
      ActorContext<Command> ctx,
      CoordinatorSettings settings,
      ActorRef<MessageJournal.Command> journal,
      JournalStore.Snapshot recovered,
      DeliveryLink.Connector connector,
      Clock clock) {
    super(ctx);
    this.settings = settings;
    this.journal = journal;
    this.connector = connector;
    this.clock = clock;
    Map<String, List<MemberRecord>> byGroup = new HashMap<>();
    for (MemberRecord r : recovered.members()) {
      byGroup.computeIfAbsent(r.group(), g -> new java.util.ArrayList<>()).add(r);
    }
    java.util.Set<String> names = new java.util.TreeSet<>(recovered.lastSeqByGroup().keySet());
    names.addAll(byGroup.keySet());
    names.add(Names.DEFAULT_GROUP);
    for (String name : names) {
      spawn(
          name,
          recovered.lastSeqByGroup().getOrDefault(name, 0L),
          byGroup.getOrDefault(name, List.of()),
          recovered.recentByGroup().getOrDefault(name, List.of()));
    }
  }

  private ActorRef<GroupManager.Command> spawn(
      String name, long lastSeq, List<MemberRecord> members, List<StoredMessage> recent) {
    ActorRef<GroupManager.Command> ref =
        getContext()
            .spawn(
                GroupManager.create(
                    name, lastSeq, members, recent, settings, journal, connector, clock),
                "group-" + name);
    groups.put(name, ref);
    return ref;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(GetGroup.class, this::onGetGroup).build();
  }

  private Behavior<Command> onGetGroup(GetGroup g) {
    ActorRef<GroupManager.Command> ref = groups.get(g.name());
    if (ref == null && g.create()) {
      ref = spawn(g.name(), 0L, List.of(), List.of());
    }
    g.replyTo().tell(new GroupRef(ref));
    return this;
  }
}
