package tempocast.cluster;

import java.time.Duration;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
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
 * question) is sent again until {@code retryFor} has passed, others are answered with an error to
 * retry.
 *
 * <p>A connection's commands are numbered, and each carries the number of its oldest unanswered
 * one: a new holder then runs them in the connection's order although a command sent again comes
 * after later ones that waited in the singleton's buffer (a pipelining sender keeps its FIFO order
 * across a failover). A command given up on is reported, so that later ones stop waiting.
 */
public final class ForwardedCommands implements CommandRoute {
  private final ActorRef<CoordinatorRole.Command> role;
  private final Scheduler scheduler;
  private final Duration tryTimeout;
  private final Duration retryFor;
  private final Duration onceTimeout;

  public ForwardedCommands(
      ActorRef<CoordinatorRole.Command> role,
      Scheduler scheduler,
      CoordinatorSettings settings,
      Duration tryTimeout,
      Duration retryFor) {
    this.role = role;
    this.scheduler = scheduler;
    this.tryTimeout = tryTimeout;
    this.retryFor = retryFor;
    this.onceTimeout = settings.askTimeout().plus(settings.connectTimeout());
  }

  @Override
  public Stream open() {
    return new Connection(UUID.randomUUID().toString());
  }

  /** One connection's commands, numbered from 1 in the order they were read. */
  private final class Connection implements Stream {
    private final String origin;

    // Guarded by this: routed from the command loop, answered on other threads.
    private long last;
    private final TreeSet<Long> unanswered = new TreeSet<>();

    Connection(String origin) {
      this.origin = origin;
    }

    @Override
    public CompletionStage<ByteString> route(
        ClientCommand command, ByteString line, String credential) {
      long n;
      synchronized (this) {
        n = ++last;
        unanswered.add(n);
      }
      byte[] bytes = line.toArray();
      CompletionStage<ByteString> reply =
          repeatable(command)
              ? attempt(n, bytes, credential, System.nanoTime() + retryFor.toNanos())
              : forward(n, bytes, credential, onceTimeout);
      return reply.handle(
          (answer, err) -> {
            synchronized (this) {
              unanswered.remove(n);
            }
            if (err != null) {
              role.tell(new CoordinatorRole.GivenUp(origin, n));
              return LocalCommands.rendered(LocalCommands.timeout());
            }
            return answer;
          });
    }

    private CompletionStage<ByteString> attempt(
        long n, byte[] line, String credential, long deadline) {
      return forward(n, line, credential, tryTimeout)
          .handle(
              (reply, err) ->
                  err == null || System.nanoTime() - deadline >= 0
                      ? (err == null
                          ? CompletableFuture.completedFuture(reply)
                          : CompletableFuture.<ByteString>failedFuture(err))
                      : attempt(n, line, credential, deadline))
          .thenCompose(stage -> stage);
    }

    private CompletionStage<ByteString> forward(
        long n, byte[] line, String credential, Duration timeout) {
      long oldest;
      synchronized (this) {
        oldest = unanswered.first();
      }
      return AskPattern.<CoordinatorRole.Command, CoordinatorRole.Answer>ask(
              role,
              r -> new CoordinatorRole.Forward(origin, n, oldest, line, credential, r),
              timeout,
              scheduler)
          .thenApply(a -> ByteString.fromArray(a.line()));
    }

    @Override
    public void closed() {
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
