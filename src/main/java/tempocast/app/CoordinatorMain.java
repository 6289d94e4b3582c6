package tempocast.app;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import tempocast.Failures;
import tempocast.config.ConfigException;
import tempocast.coordinator.CommandServer;
import tempocast.coordinator.CoordinatorConfigFile;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.coordinator.DeliveryLoop;
import tempocast.coordinator.Directory;
import tempocast.coordinator.ParticipantSession;
import tempocast.journal.JournalStore;
import tempocast.journal.MessageJournal;
import tempocast.journal.RocksDbJournalStore;
import tempocast.journal.StoreException;

/** Starts a coordinator in the foreground; returns the process exit status. */
public final class CoordinatorMain {
  private CoordinatorMain() {}

  public static int run(Path configFile) {
    CoordinatorSettings settings;
    try {
      settings = CoordinatorConfigFile.load(configFile);
    } catch (ConfigException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    }
    RocksDbJournalStore store;
    JournalStore.Snapshot recovered;
    try {
      store = RocksDbJournalStore.open(settings.dataDir());
      recovered = store.load();
    } catch (StoreException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    DeliveryLoop deliveryLoop = new DeliveryLoop(settings);
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.setup(
                ctx -> {
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
                              Clock.systemUTC()),
                          "journal",
                          DispatcherSelector.fromConfig("tempocast.blocking-io-dispatcher"));
                  ActorRef<Directory.Command> directory =
                      ctx.spawn(
                          Directory.create(
                              new ParticipantSession.Context(
                                  settings, journal, deliveryLoop, Clock.systemUTC()),
                              recovered),
                          "directory");
                  new CommandServer(ctx.getSystem(), settings, directory)
                      .bind()
                      .whenComplete(
                          (binding, err) -> {
                            if (err != null) {
                              System.err.println(
                                  "error: cannot listen on "
                                      + settings.bind()
                                      + ":"
                                      + settings.port()
                                      + ": "
                                      + Failures.rootMessage(err)
                                      + " (is another coordinator running on this port?)");
                              exit.complete(1);
                              ctx.getSystem().terminate();
                              return;
                            }
                            System.out.println(
                                "tempocast coordinator listening on "
                                    + settings.bind()
                                    + ":"
                                    + binding.localAddress().getPort()
                                    + " (td "
                                    + settings.tdText()
                                    + " s, data "
                                    + settings.dataDir()
                                    + ", fsync "
                                    + (settings.fsync() ? "always" : "never")
                                    + ")");
                            System.out.flush();
                            CoordinatedShutdown.get(ctx.getSystem())
                                .addTask(
                                    CoordinatedShutdown.PhaseServiceUnbind(),
                                    "unbind-command-port",
                                    () -> binding.unbind().thenApply(u -> Done.getInstance()));
                          });
                  return Behaviors.empty();
                }),
            "tempocast-coordinator");
    system.getWhenTerminated().toCompletableFuture().join();
    deliveryLoop.close();
    return exit.getNow(0);
  }
}
