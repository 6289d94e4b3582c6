package tempocast.coordinator;

import java.time.Clock;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import tempocast.journal.JournalStore;
import tempocast.journal.MessageJournal;
import tempocast.metrics.Metrics;

/**
 * What holds a coordinator's groups and participants: the journal over its store, the directory
 * with the groups' managers and the participants' sessions, and the delivery loop that writes to
 * the receivers. A lone coordinator starts one for its life; in a cluster the node that holds the
 * coordinator role starts one when it takes the role and stops it when it hands it on.
 */
public record CoordinatorCore(
    ActorRef<MessageJournal.Command> journal,
    ActorRef<Directory.Command> directory,
    Publishers publishers,
    DeliveryLoop deliveryLoop) {

  /** Spawns the actors as children of {@code ctx}, over {@code store} as {@code recovered}. */
  public static CoordinatorCore spawn(
      ActorContext<?> ctx,
      CoordinatorSettings settings,
      JournalStore store,
      JournalStore.Snapshot recovered,
      Metrics metrics) {
    DeliveryLoop deliveryLoop = new DeliveryLoop(settings, metrics);
    Publishers publishers = new Publishers();
    ActorRef<MessageJournal.Command> journal =
        ctx.spawn(
            MessageJournal.create(
                new MessageJournal.Settings(
                    settings.td(),
                    settings.pruneInterval(),
                    settings.fsync(),
                    settings.maxAppendBatch()),
                store,
                recovered,
                Clock.systemUTC(),
                metrics),
            "journal",
            DispatcherSelector.fromConfig("tempocast.blocking-io-dispatcher"));
    ActorRef<Directory.Command> directory =
        ctx.spawn(
            Directory.create(
                new ParticipantSession.Context(
                    settings, journal, deliveryLoop, Clock.systemUTC(), metrics, publishers),
                recovered),
            "directory");
    return new CoordinatorCore(journal, directory, publishers, deliveryLoop);
  }

  /** The commands of the command port, run here. */
  public LocalCommands commands(
      org.apache.pekko.actor.typed.ActorSystem<?> system,
      CoordinatorSettings settings,
      Metrics metrics) {
    return new LocalCommands(system, settings, directory, publishers, metrics);
  }
}
