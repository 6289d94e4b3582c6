package tempocast.cluster;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.util.ByteString;
import tempocast.coordinator.CoordinatorCore;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.coordinator.LocalCommands;
import tempocast.journal.JournalStore;
import tempocast.journal.PostgresJournalStore;
import tempocast.journal.StoreException;
import tempocast.metrics.Metrics;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.Lines;
import tempocast.protocol.ProtocolException;
import tempocast.protocol.Reply;

/**
 * The coordinator role of a cluster: one node at a time holds it (a cluster singleton, on the
 * oldest node), and with it the groups, the participants' sessions and their delivery connections,
 * over the journal in PostgreSQL that all nodes share. Every node's command port forwards its
 * commands here; when the holder leaves or is downed, the next oldest node takes the role, loads
 * the journal and reconnects to the receivers of the members that were online.
 *
 * <p>Two holders never write at once: besides the singleton's own guarantee (which needs the
 * split-brain resolver to have downed a node before its role moves), the role claims the journal
 * with PostgreSQL's advisory lock, which a node that is cut off but still running keeps until its
 * session ends; a new holder waits for it.
 */
public final class CoordinatorRole {
  private CoordinatorRole() {}

  public sealed interface Command {}

  /**
   * Command {@code n} of connection {@code origin} (numbered from 1), as the line a node's command
   * port read ({@code credential}: what the connection proved with AUTH for the command's member,
   * or null); answered with the reply line. {@code oldest}: the connection's oldest command without
   * an answer when this was sent; every one before it was answered, so run.
   */
  public record Forward(
      String origin, long n, long oldest, byte[] line, String credential, ActorRef<Answer> replyTo)
      implements Command, CrossNodeMessage {}

  /** The node stopped waiting for command {@code n}'s answer: later ones need not wait for it. */
  public record GivenUp(String origin, long n) implements Command, CrossNodeMessage {}

  /** The connection closed. */
  public record Closed(String origin) implements Command, CrossNodeMessage {}

  /** The reply line to command {@code n} of connection {@code origin}, with its line end. */
  public record Answer(String origin, long n, byte[] line) implements CrossNodeMessage {}

  /** A journal store claimed for this node alone, and what it holds. */
  public record Opened(JournalStore store, String where, JournalStore.Snapshot recovered)
      implements Command {}

  /**
   * Opens and claims the journal, blocking; throws {@link StoreException} (in use by another node,
   * or unreachable).
   */
  @FunctionalInterface
  public interface Journal {
    Opened open();
  }

  private record OpenFailed(StoreException error) implements Command {}

  private enum Retry implements Command {
    INSTANCE
  }

  /** Commands held while the journal is loaded; more are answered with an error to retry. */
  private static final int STASH = 10_000;

  /** How often a journal that another node still holds is tried again. */
  private static final Duration IN_USE_RETRY = Duration.ofMillis(200);

  /** How often a journal that cannot be reached is tried again. */
  private static final Duration UNREACHABLE_RETRY = Duration.ofSeconds(1);

  /** The role over the PostgreSQL journal that {@code settings} name. */
  public static Behavior<Command> create(CoordinatorSettings settings, Metrics metrics) {
    return create(settings, metrics, () -> openPostgres(settings));
  }

  private static Opened openPostgres(CoordinatorSettings settings) {
    PostgresJournalStore store =
        PostgresJournalStore.open(settings.store(), settings.storeUser(), settings.storePassword());
    try {
      store.claim();
      return new Opened(store, store.describe(), store.load());
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  public static Behavior<Command> create(
      CoordinatorSettings settings, Metrics metrics, Journal journal) {
    return Behaviors.withStash(
        STASH,
        stash ->
            Behaviors.setup(
                ctx ->
                    Behaviors.withTimers(
                        timers -> {
                          Executor blocking =
                              ctx.getSystem()
                                  .dispatchers()
                                  .lookup(
                                      DispatcherSelector.fromConfig(
                                          "tempocast.blocking-io-dispatcher"));
                          open(ctx, journal, blocking);
                          return opening(
                              ctx, timers, stash, settings, metrics, journal, blocking, null);
                        })));
  }

  private static void open(ActorContext<Command> ctx, Journal journal, Executor blocking) {
    ctx.pipeToSelf(
        CompletableFuture.supplyAsync(journal::open, blocking),
        (opened, err) -> {
          if (opened != null) {
            return opened;
          }
          Throwable cause =
              err instanceof java.util.concurrent.CompletionException ? err.getCause() : err;
          return new OpenFailed(
              cause instanceof StoreException se
                  ? se
                  : new StoreException("cannot open the journal: " + cause, cause));
        });
  }

  private static Behavior<Command> opening(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      StashBuffer<Command> stash,
      CoordinatorSettings settings,
      Metrics metrics,
      Journal journal,
      Executor blocking,
      String lastProblem) {
    return Behaviors.receive(Command.class)
        .onMessage(
            Forward.class,
            f -> {
              if (stash.isFull()) {
                f.replyTo()
                    .tell(
                        answer(
                            f,
                            new Reply.Error(
                                Reply.ErrorCode.INTERNAL,
                                "the coordinator is taking over the journal; retry in a moment")));
              } else {
                stash.stash(f);
              }
              return Behaviors.same();
            })
        .onMessage(GivenUp.class, g -> held(stash, g))
        .onMessage(Closed.class, c -> held(stash, c))
        .onMessage(
            OpenFailed.class,
            failed -> {
              String problem = failed.error().getMessage();
              if (!failed.error().inUse() && !problem.equals(lastProblem)) {
                ctx.getLog().warn("Coordinator role: {}; trying again every second", problem);
              }
              timers.startSingleTimer(
                  Retry.INSTANCE, failed.error().inUse() ? IN_USE_RETRY : UNREACHABLE_RETRY);
              return opening(ctx, timers, stash, settings, metrics, journal, blocking, problem);
            })
        .onMessage(
            Retry.class,
            r -> {
              open(ctx, journal, blocking);
              return Behaviors.same();
            })
        .onMessage(
            Opened.class,
            o -> {
              CoordinatorCore core =
                  CoordinatorCore.spawn(ctx, settings, o.store(), o.recovered(), metrics);
              System.out.println(
                  "this node holds the coordinator role now: "
                      + o.recovered().participants().size()
                      + " participants and "
                      + o.recovered().groups().size()
                      + " groups from the journal in "
                      + o.where());
              System.out.flush();
              LocalCommands commands = core.commands(ctx.getSystem(), settings, metrics);
              return stash.unstashAll(holding(core, commands));
            })
        .build();
  }

  /** A connection's news while the journal loads: kept for after, as far as there is room. */
  private static Behavior<Command> held(StashBuffer<Command> stash, Command news) {
    if (!stash.isFull()) {
      stash.stash(news);
    }
    return Behaviors.same();
  }

  private static Behavior<Command> holding(CoordinatorCore core, LocalCommands commands) {
    Map<String, ConnectionOrder> connections = new HashMap<>();
    return Behaviors.receive(Command.class)
        .onMessage(
            Forward.class,
            f -> {
              connections
                  .computeIfAbsent(f.origin(), o -> new ConnectionOrder(f.oldest()))
                  .arrived(f, forward -> run(commands, forward));
              return Behaviors.same();
            })
        .onMessage(
            GivenUp.class,
            g -> {
              ConnectionOrder order = connections.get(g.origin());
              if (order != null) {
                order.givenUp(g.n(), forward -> run(commands, forward));
              }
              return Behaviors.same();
            })
        .onMessage(
            Closed.class,
            c -> {
              connections.remove(c.origin());
              return Behaviors.same();
            })
        .onSignal(
            PostStop.class,
            s -> {
              // The journal and sessions (children) have stopped: no session writes any more.
              core.deliveryLoop().close();
              return Behaviors.same();
            })
        .build();
  }

  /**
   * Runs one connection's commands in its order. In the steady state each arrives as the next and
   * runs at once. After the role moved, a command may arrive before an earlier one that the old
   * holder never ran (the node sends that one again when its answer does not come): it waits for
   * it, or for the node to give up on it.
   */
  static final class ConnectionOrder {
    /** The lowest number not known to have run. */
    private long next;

    /** Commands that came before their turn; null: given up on. */
    private final TreeMap<Long, Forward> waiting = new TreeMap<>();

    ConnectionOrder(long oldest) {
      this.next = oldest;
    }

    void arrived(Forward f, Consumer<Forward> run) {
      // Everything below the sender's oldest unanswered command was answered: it ran.
      next = Math.max(next, f.oldest());
      if (f.n() < next) {
        run.accept(f); // sent again: a repeatable command, recognised as what it was
      } else {
        waiting.put(f.n(), f);
      }
      drain(run);
    }

    void givenUp(long n, Consumer<Forward> run) {
      if (n >= next) {
        waiting.put(n, null);
        drain(run);
      }
    }

    private void drain(Consumer<Forward> run) {
      while (!waiting.isEmpty() && waiting.firstKey() <= next) {
        Map.Entry<Long, Forward> e = waiting.pollFirstEntry();
        if (e.getValue() != null) {
          run.accept(e.getValue());
        }
        if (e.getKey() == next) {
          next++;
        }
      }
    }
  }

  private static void run(LocalCommands commands, Forward f) {
    ClientCommand command;
    try {
      command = CommandCodec.parse(Lines.decode(ByteString.fromArray(f.line())));
    } catch (ProtocolException e) {
      f.replyTo().tell(answer(f, new Reply.Error(Reply.ErrorCode.of(e.code()), e.getMessage())));
      return;
    }
    // A fresh cache per command: a group removed meanwhile must not answer from a stale manager.
    commands
        .run(command, f.credential(), new HashMap<>())
        .whenComplete(
            (reply, err) ->
                f.replyTo()
                    .tell(
                        answer(
                            f,
                            err == null
                                ? reply
                                : new Reply.Error(
                                    Reply.ErrorCode.INTERNAL,
                                    "the coordinator failed on this command; retry it"))));
  }

  private static Answer answer(Forward f, Reply reply) {
    return new Answer(f.origin(), f.n(), LocalCommands.rendered(reply).toArray());
  }
}
