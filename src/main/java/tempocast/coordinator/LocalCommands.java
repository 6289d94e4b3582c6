package tempocast.coordinator;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.util.ByteString;
import tempocast.metrics.Metrics;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.Lines;
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;

/**
 * Commands run in this process: an MSEND goes straight to its group's manager, which checks the
 * sender itself; everything else to the directory. Replies come back on the answering actor's
 * thread (see {@link CommandServer}).
 */
public final class LocalCommands implements CommandRoute {

  /**
   * Continuations of an ask run where the answer arrives (the answering actor's thread): the
   * futures that Pekko's ask returns would otherwise run even {@code thenApply} on another pool, a
   * thread hand-off per command.
   */
  static final Executor IN_PLACE = Runnable::run;

  private final ActorSystem<?> system;
  private final CoordinatorSettings settings;
  private final ActorRef<Directory.Command> directory;
  private final Publishers publishers;
  private final Metrics metrics;

  public LocalCommands(
      ActorSystem<?> system,
      CoordinatorSettings settings,
      ActorRef<Directory.Command> directory,
      Publishers publishers,
      Metrics metrics) {
    this.system = system;
    this.settings = settings;
    this.directory = directory;
    this.publishers = publishers;
    this.metrics = metrics;
  }

  /** Each connection caches the managers of the groups it sends to. */
  @Override
  public Stream open() {
    Map<String, ActorRef<GroupManager.Command>> knownGroups = new ConcurrentHashMap<>();
    return (command, line, credential) ->
        run(command, credential, knownGroups).thenApplyAsync(LocalCommands::rendered, IN_PLACE);
  }

  /** The reply as the line that goes back to the client. */
  public static ByteString rendered(Reply reply) {
    return Lines.line(Replies.render(reply));
  }

  /** Runs {@code cmd} for a connection that proved {@code credential} (or null). */
  public CompletionStage<Reply> run(
      ClientCommand cmd,
      String credential,
      Map<String, ActorRef<GroupManager.Command>> knownGroups) {
    Directory.Caller caller = new Directory.Caller(credential);
    if (cmd instanceof ClientCommand.MSend s) {
      long start = System.nanoTime();
      return msend(s, caller, knownGroups)
          .thenApplyAsync(
              reply -> {
                metrics.msendAnswered(reply, start);
                return reply;
              },
              IN_PLACE);
    }
    return ask(directory, r -> new Directory.Handle(cmd, caller, r));
  }

  private CompletionStage<Reply> msend(
      ClientCommand.MSend s,
      Directory.Caller caller,
      Map<String, ActorRef<GroupManager.Command>> knownGroups) {
    Publishers.Publisher direct = publishers.get(s.group());
    if (direct != null) {
      // Sequenced here, under the manager's lock, and handed to the journal, which answers. No
      // timeout: the journal answers every append, stored or refused, also when it restarts.
      CompletableFuture<Reply> answer = new CompletableFuture<>();
      if (direct.publish(s.member(), caller.credential(), s.msgId(), s.text(), answer::complete)) {
        return answer.thenComposeAsync(
            reply ->
                isNotMember(reply)
                    // the directory says whether it is registered at all
                    ? ask(directory, r -> new Directory.Handle(s, caller, r))
                    : done(reply),
            IN_PLACE);
      }
    }
    ActorRef<GroupManager.Command> known = knownGroups.get(s.group());
    if (known != null) {
      return ask(
              known,
              r ->
                  new GroupManager.Publish(s.member(), caller.credential(), s.msgId(), s.text(), r))
          .thenComposeAsync(
              reply ->
                  isNotMember(reply)
                      // the directory says whether it is registered at all
                      ? ask(directory, r -> new Directory.Handle(s, caller, r))
                      : done(reply),
              IN_PLACE);
    }
    return AskPattern.<Directory.Command, Directory.ManagerRef>ask(
            directory,
            r -> new Directory.GetManager(s.group(), r),
            settings.askTimeout(),
            system.scheduler())
        .thenComposeAsync(
            ref -> {
              if (ref.ref() != null) {
                knownGroups.put(s.group(), ref.ref());
              }
              return ask(directory, r -> new Directory.Handle(s, caller, r));
            },
            IN_PLACE)
        .exceptionallyAsync(err -> timeout(), IN_PLACE);
  }

  private static boolean isNotMember(Reply reply) {
    return reply instanceof Reply.Error e && e.code() == Reply.ErrorCode.NOT_MEMBER;
  }

  private <T> CompletionStage<Reply> ask(
      ActorRef<T> target, java.util.function.Function<ActorRef<Reply>, T> command) {
    return AskPattern.ask(
            target,
            command::apply,
            settings.askTimeout().plus(settings.connectTimeout()),
            system.scheduler())
        .exceptionallyAsync(err -> timeout(), IN_PLACE);
  }

  private static CompletionStage<Reply> done(Reply reply) {
    return CompletableFuture.completedFuture(reply);
  }

  /** A command whose answer did not come in time. */
  public static Reply timeout() {
    return new Reply.Error(
        Reply.ErrorCode.INTERNAL,
        "the coordinator did not answer in time; the outcome is unknown, retry with the same MSGID");
  }
}
