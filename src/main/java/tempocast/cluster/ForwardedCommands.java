package tempocast.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import tempocast.coordinator.CommandRoute;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.coordinator.LocalCommands;
import tempocast.protocol.ClientCommand;

/**
 * A cluster node's command port sends every command to the coordinator role, wherever it runs, and
 * writes back the reply line it answers. While the role moves (its node died: the cluster downs it,
 * and the next node loads the journal) what was sent to the old holder gets no answer; a command
 * that may safely run twice (an MSEND or SEND with its message ID, which the role recognises; a
 * question) is sent again every {@code tryTimeout} until {@code retryFor} has passed, others are
 * answered with an error to retry after ask-timeout plus connect-timeout.
 *
 * <p>A connection's commands are numbered, and each carries the number of its oldest unanswered
 * one: a new holder then runs them in the connection's order although a command sent again comes
 * after later ones that waited in the singleton's buffer (a pipelining sender keeps its FIFO order
 * across a failover). A command given up on is reported, so that later ones stop waiting.
 *
 * <p>Every answer comes to one actor of this node, which completes the command's reply: no
 * temporary actor and no timer per command (an ask's), and one reference to say where to answer,
 * which the nodes' transport compresses. Timeouts are counted in sweeps of {@link #SWEEP}.
 */
public final class ForwardedCommands implements CommandRoute {

  /** How often unanswered commands are looked at, to be sent again or given up on. */
  static final Duration SWEEP = Duration.ofMillis(500);

  private static final AtomicLong instances = new AtomicLong();

  private final ActorRef<CoordinatorRole.Command> role;
  private final ActorRef<CoordinatorRole.Answer> answers;

  /** This node's connections' names begin with it: unique among the cluster's nodes and lives. */
  private final String node =
      Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);

  private final AtomicLong connectionIds = new AtomicLong();
  private final Map<String, Connection> connections = new ConcurrentHashMap<>();
  private final long tryTicks;
  private final long retryTicks;
  private final long onceTicks;

  /**
   * Sweeps so far: the clock of the timeouts (moved by the scheduler, also a test's manual one).
   */
  private volatile long tick;

  public ForwardedCommands(
      ActorSystem<?> system,
      ActorRef<CoordinatorRole.Command> role,
      CoordinatorSettings settings,
      Duration tryTimeout,
      Duration retryFor) {
    this.role = role;
    this.tryTicks = ticks(tryTimeout);
    this.retryTicks = ticks(retryFor);
    this.onceTicks = ticks(settings.askTimeout().plus(settings.connectTimeout()));
    this.answers =
        system.systemActorOf(
            Behaviors.receive(CoordinatorRole.Answer.class)
                .onMessage(
                    CoordinatorRole.Answer.class,
                    a -> {
                      Connection c = connections.get(a.origin());
                      if (c != null) {
                        c.answered(a.n(), a.line());
                      }
                      return Behaviors.same();
                    })
                .build(),
            "forwarded-answers-" + instances.incrementAndGet(),
            Props.empty());
    system.scheduler().scheduleAtFixedRate(SWEEP, SWEEP, this::sweep, system.executionContext());
  }

  private static long ticks(Duration d) {
    return Math.max(1, (d.toMillis() + SWEEP.toMillis() - 1) / SWEEP.toMillis());
  }

  @Override
  public Stream open() {
    Connection c = new Connection(node + "-" + connectionIds.incrementAndGet());
    connections.put(c.origin, c);
    return c;
  }

  private void sweep() {
    long now = ++tick;
    for (Connection c : connections.values()) {
      c.sweep(now);
    }
  }

  /** A command without its answer yet. */
  private static final class Pending {
    final byte[] line;
    final String credential;
    final boolean repeatable;
    final long firstTick;
    long sentTick;
    final CompletableFuture<ByteString> reply = new CompletableFuture<>();

    Pending(byte[] line, String credential, boolean repeatable, long tick) {
      this.line = line;
      this.credential = credential;
      this.repeatable = repeatable;
      this.firstTick = tick;
      this.sentTick = tick;
    }
  }

  /** One connection's commands, numbered from 1 in the order they were read. */
  private final class Connection implements Stream {
    final String origin;

    // Guarded by this: routed from the command loop, answered and swept on other threads.
    private long last;
    private final TreeMap<Long, Pending> unanswered = new TreeMap<>();

    Connection(String origin) {
      this.origin = origin;
    }

    @Override
    public CompletionStage<ByteString> route(
        ClientCommand command, ByteString line, String credential) {
      Pending p = new Pending(line.toArray(), credential, repeatable(command), tick);
      CoordinatorRole.Forward forward;
      synchronized (this) {
        long n = ++last;
        unanswered.put(n, p);
        forward = forward(n, p);
      }
      role.tell(forward);
      return p.reply;
    }

    /** Called with this held. */
    private CoordinatorRole.Forward forward(long n, Pending p) {
      return new CoordinatorRole.Forward(
          origin, n, unanswered.firstKey(), p.line, p.credential, answers);
    }

    void answered(long n, byte[] line) {
      Pending p;
      synchronized (this) {
        p = unanswered.remove(n);
      }
      if (p != null) {
        p.reply.complete(ByteString.fromArray(line));
      }
    }

    void sweep(long now) {
      List<CoordinatorRole.Command> toRole = new ArrayList<>();
      List<Pending> givenUp = new ArrayList<>();
      synchronized (this) {
        for (var it = unanswered.entrySet().iterator(); it.hasNext(); ) {
          var e = it.next();
          Pending p = e.getValue();
          if (p.repeatable ? now - p.sentTick < tryTicks : now - p.sentTick < onceTicks) {
            continue;
          }
          if (p.repeatable && now - p.firstTick < retryTicks) {
            p.sentTick = now;
            toRole.add(forward(e.getKey(), p));
          } else {
            it.remove();
            givenUp.add(p);
            toRole.add(new CoordinatorRole.GivenUp(origin, e.getKey()));
          }
        }
      }
      toRole.forEach(role::tell);
      givenUp.forEach(p -> p.reply.complete(LocalCommands.rendered(LocalCommands.timeout())));
    }

    @Override
    public void closed() {
      connections.remove(origin);
      role.tell(new CoordinatorRole.Closed(origin));
    }
  }

  /** Whether running {@code command} twice does what running it once does. */
  static boolean repeatable(ClientCommand command) {
    if (command instanceof ClientCommand.MSend m) {
      return m.msgId() != null;
    }
    if (command instanceof ClientCommand.Send s) {
      return s.msgId() != null;
    }
    return command instanceof ClientCommand.Status
        || command instanceof ClientCommand.Members
        || command instanceof ClientCommand.ListGroups;
  }
}
