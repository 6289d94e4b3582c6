package tempocast.coordinator;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import tempocast.metrics.Metrics;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.LineFramer;
import tempocast.protocol.Lines;
import tempocast.protocol.ProtocolException;
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;

/**
 * The coordinator's command port: one stream per connection that frames lines, hands each command
 * to the actor that owns it and writes the typed replies back as lines, in the order of the
 * commands, so a client may pipeline. An MSEND goes straight to its group's manager, which checks
 * the sender itself: one hop on the hot path.
 */
public final class CommandServer {
  /** Commands in flight per connection; more wait in TCP's buffers (backpressure). */
  private static final int PIPELINE = 1024;

  /**
   * Continuations of an ask run where the answer arrives (the answering actor's thread): the
   * futures that Pekko's ask returns would otherwise run even {@code thenApply} on another pool, a
   * thread hand-off per command.
   */
  private static final Executor IN_PLACE = Runnable::run;

  private final ActorSystem<?> system;
  private final CoordinatorSettings settings;
  private final ActorRef<Directory.Command> directory;
  private final Metrics metrics;

  public CommandServer(
      ActorSystem<?> system, CoordinatorSettings settings, ActorRef<Directory.Command> directory) {
    this(system, settings, directory, Metrics.disabled());
  }

  public CommandServer(
      ActorSystem<?> system,
      CoordinatorSettings settings,
      ActorRef<Directory.Command> directory,
      Metrics metrics) {
    this.system = system;
    this.settings = settings;
    this.directory = directory;
    this.metrics = metrics;
  }

  public CompletionStage<Tcp.ServerBinding> bind() {
    return Tcp.get(system)
        .bind(settings.bind(), settings.port())
        .to(Sink.foreach(c -> c.handleWith(connectionFlow(), system)))
        .run(system);
  }

  Flow<ByteString, ByteString, NotUsed> connectionFlow() {
    Map<String, ActorRef<GroupManager.Command>> knownGroups = new ConcurrentHashMap<>();
    Map<String, String> credentials = new ConcurrentHashMap<>();
    return Flow.of(ByteString.class)
        .idleTimeout(settings.idleTimeout())
        .via(LineFramer.lines(Lines.MAX_LINE_BYTES))
        .mapAsync(
            PIPELINE,
            line ->
                handle(line, knownGroups, credentials).thenApplyAsync(Replies::render, IN_PLACE))
        .map(Lines::line)
        .recoverWithRetries(
            1, TimeoutException.class, () -> org.apache.pekko.stream.javadsl.Source.empty());
  }

  /**
   * {@code credentials}: what this connection proved with AUTH, by member; the connection then
   * carries it with each command for that member.
   */
  private CompletionStage<Reply> handle(
      ByteString bytes,
      Map<String, ActorRef<GroupManager.Command>> knownGroups,
      Map<String, String> credentials) {
    if (bytes == LineFramer.TOO_LONG) {
      return done(
          new Reply.Error(
              Reply.ErrorCode.TOO_LONG,
              "line longer than "
                  + Lines.MAX_LINE_BYTES
                  + " bytes; it was skipped up to its line end"));
    }
    ClientCommand cmd;
    try {
      cmd = CommandCodec.parse(Lines.decode(bytes));
    } catch (ProtocolException e) {
      return done(new Reply.Error(Reply.ErrorCode.of(e.code()), e.getMessage()));
    }
    if (cmd instanceof ClientCommand.Ping) {
      return done(Reply.Pong.INSTANCE);
    }
    if (cmd instanceof ClientCommand.Auth a) {
      credentials.put(a.member(), Secrets.hash(a.secret()));
      return done(new Reply.Authenticated(a.group(), a.member()));
    }
    Directory.Caller caller = new Directory.Caller(credentials.get(cmd.member()));
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

  private static Reply timeout() {
    return new Reply.Error(
        Reply.ErrorCode.INTERNAL,
        "the coordinator did not answer in time; the outcome is unknown, retry with the same MSGID");
  }
}
