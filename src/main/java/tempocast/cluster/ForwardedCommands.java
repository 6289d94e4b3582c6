package tempocast.cluster;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.util.ByteString;
import tempocast.coordinator.CommandRoute;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.coordinator.GroupManager;
import tempocast.coordinator.LocalCommands;
import tempocast.protocol.ClientCommand;

/**
 * A cluster node's command port sends every command to the coordinator role, wherever it runs, and
 * writes back the reply line it answers. While the role moves (its node died: the cluster downs it,
 * and the next node loads the journal) what was sent to the old holder gets no answer; a command
 * that may safely run twice (an MSEND or SEND with its message ID, which the role recognises; a
 * question) is sent again until {@code retryFor} has passed, others are answered with an error to
 * retry.
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
  public CompletionStage<ByteString> route(
      ClientCommand command,
      ByteString line,
      String credential,
      Map<String, ActorRef<GroupManager.Command>> knownGroups) {
    byte[] bytes = line.toArray();
    if (!repeatable(command)) {
      return forward(bytes, credential, onceTimeout)
          .exceptionally(err -> LocalCommands.rendered(LocalCommands.timeout()));
    }
    return attempt(bytes, credential, System.nanoTime() + retryFor.toNanos());
  }

  private CompletionStage<ByteString> attempt(byte[] line, String credential, long deadline) {
    return forward(line, credential, tryTimeout)
        .handle(
            (reply, err) -> {
              if (err == null) {
                return CompletableFuture.completedFuture(reply);
              }
              if (System.nanoTime() - deadline >= 0) {
                return CompletableFuture.completedFuture(
                    LocalCommands.rendered(LocalCommands.timeout()));
              }
              return attempt(line, credential, deadline);
            })
        .thenCompose(stage -> stage);
  }

  private CompletionStage<ByteString> forward(byte[] line, String credential, Duration timeout) {
    return AskPattern.<CoordinatorRole.Command, CoordinatorRole.Answer>ask(
            role, r -> new CoordinatorRole.Forward(line, credential, r), timeout, scheduler)
        .thenApply(a -> ByteString.fromArray(a.line()));
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
