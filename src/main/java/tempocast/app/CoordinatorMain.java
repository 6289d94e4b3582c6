package tempocast.app;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.Pair;
import tempocast.Failures;
import tempocast.cluster.ClusterNode;
import tempocast.config.ConfigException;
import tempocast.coordinator.CommandServer;
import tempocast.coordinator.CoordinatorConfigFile;
import tempocast.coordinator.CoordinatorCore;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.coordinator.Directory;
import tempocast.http.HttpServer;
import tempocast.http.Monitor;
import tempocast.journal.JournalStore;
import tempocast.journal.MessageJournal;
import tempocast.journal.PostgresJournalStore;
import tempocast.journal.RocksDbJournalStore;
import tempocast.journal.StoreException;
import tempocast.metrics.Metrics;

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
    if (settings.clustered()) {
      return ClusterNode.run(settings);
    }
    JournalStore store = null;
    JournalStore.Snapshot recovered;
    try {
      store = openStore(settings);
      recovered = store.load();
    } catch (StoreException e) {
      if (store != null) {
        store.close();
      }
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    JournalStore journalStore = store;
    String data =
        journalStore instanceof PostgresJournalStore pg
            ? pg.describe()
            : settings.dataDir().toString();
    Metrics metrics =
        settings.httpEnabled()
            ? Metrics.prometheus(settings.metricsGroupCap())
            : Metrics.disabled();
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.setup(
                ctx -> {
                  CoordinatorCore core =
                      CoordinatorCore.spawn(ctx, settings, journalStore, recovered, metrics);
                  ActorRef<MessageJournal.Command> journal = core.journal();
                  ActorRef<Directory.Command> directory = core.directory();
                  CompletionStage<String> http =
                      settings.httpEnabled()
                          ? startHttp(ctx.getSystem(), settings, directory, journal, metrics, ctx)
                          : CompletableFuture.completedFuture(null);
                  CommandServer commands =
                      new CommandServer(
                          settings, core.commands(ctx.getSystem(), settings, metrics));
                  http.thenApply(
                          httpLine -> {
                            try {
                              return Pair.create(httpLine, commands.bind());
                            } catch (java.io.IOException | RuntimeException err) {
                              throw cannotListen(
                                  settings.bind() + ":" + settings.port(),
                                  err,
                                  " (is another coordinator running on this port?)");
                            }
                          })
                      .whenComplete(
                          (pair, err) -> {
                            if (err != null) {
                              System.err.println("error: " + Failures.rootMessage(err));
                              exit.complete(1);
                              ctx.getSystem().terminate();
                              return;
                            }
                            if (pair.first() != null) {
                              System.out.println(pair.first());
                            }
                            java.net.InetSocketAddress bound = pair.second();
                            System.out.println(settings.listeningLine(bound.getPort(), data, ""));
                            System.out.flush();
                            commands.closeOnShutdown(ctx.getSystem());
                          });
                  return Behaviors.empty();
                }),
            "tempocast-coordinator");
    system.getWhenTerminated().toCompletableFuture().join();
    metrics.close();
    return exit.getNow(0);
  }

  /** How often a standby tries the journal that another coordinator holds. */
  private static final Duration STANDBY_POLL = Duration.ofMillis(200);

  /**
   * The journal store the settings name: RocksDB in the data directory, or PostgreSQL, held for
   * this coordinator alone. A standby waits while another coordinator holds it.
   */
  private static JournalStore openStore(CoordinatorSettings settings) {
    if (!settings.postgresStore()) {
      return whileInUse(
          settings,
          settings.dataDir().toString(),
          () -> RocksDbJournalStore.open(settings.dataDir()));
    }
    PostgresJournalStore store =
        PostgresJournalStore.open(settings.store(), settings.storeUser(), settings.storePassword());
    try {
      return whileInUse(
          settings,
          store.describe(),
          () -> {
            store.claim();
            return store;
          });
    } catch (StoreException e) {
      store.close();
      throw e;
    }
  }

  /** Opens with {@code open}; a standby tries again while another coordinator uses the journal. */
  private static JournalStore whileInUse(
      CoordinatorSettings settings, String where, Supplier<JournalStore> open) {
    boolean announced = false;
    while (true) {
      try {
        return open.get();
      } catch (StoreException e) {
        if (!e.inUse() || !settings.standby()) {
          throw e;
        }
        if (!announced) {
          System.out.println(
              "standby: another coordinator is using the journal in "
                  + where
                  + "; this one takes over when it stops");
          System.out.flush();
          announced = true;
        }
        try {
          Thread.sleep(STANDBY_POLL.toMillis());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /**
   * The HTTP port: the monitor that collects what it shows (on the HTTP dispatcher), then the
   * server; completes with the line to print, or fails with one saying why it cannot listen.
   */
  private static CompletionStage<String> startHttp(
      ActorSystem<?> system,
      CoordinatorSettings settings,
      ActorRef<Directory.Command> directory,
      ActorRef<MessageJournal.Command> journal,
      Metrics metrics,
      org.apache.pekko.actor.typed.javadsl.ActorContext<?> ctx) {
    Duration refresh = Duration.ofSeconds(1);
    ActorRef<Monitor.Command> monitor =
        ctx.spawn(
            Monitor.create(settings, directory, journal, metrics, refresh, Clock.systemUTC()),
            "monitor",
            DispatcherSelector.fromConfig("tempocast.http-dispatcher"));
    String where = settings.bind() + ":" + settings.httpPort();
    return new HttpServer(system, settings, directory, monitor, metrics, refresh)
        .bind()
        .handle(
            (binding, err) -> {
              if (err != null) {
                throw cannotListen(where + " for HTTP (http-port)", err, "");
              }
              CoordinatedShutdown.get(system)
                  .addTask(
                      CoordinatedShutdown.PhaseServiceUnbind(),
                      "unbind-http-port",
                      () -> binding.unbind().thenApply(u -> Done.getInstance()));
              return "tempocast coordinator serving HTTP on http://"
                  + where
                  + "/ (dashboard; metrics at /metrics"
                  + (settings.httpToken().isEmpty() ? "" : "; http-token required")
                  + ")";
            });
  }

  /**
   * A port that cannot be bound, in one line for standard error (without the "[/ADDRESS] " that
   * Pekko puts before the reason: the line names the address already).
   */
  private static CompletionException cannotListen(String where, Throwable err, String hint) {
    String reason = Failures.rootMessage(err).replaceFirst("^\\[[^\\]]*\\] ", "");
    return new CompletionException(
        new IllegalStateException("cannot listen on " + where + ": " + reason + hint));
  }
}
