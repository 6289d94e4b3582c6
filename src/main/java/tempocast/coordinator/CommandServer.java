package tempocast.coordinator;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.LineFramer;
import tempocast.protocol.Lines;
import tempocast.protocol.ProtocolException;
import tempocast.protocol.Replies;

/**
 * The coordinator's command port: one stream per connection that frames lines, routes each command
 * to its group's manager and writes the replies back in the order of the commands, so a client may
 * pipeline.
 */
public final class CommandServer {
  /** Commands in flight per connection; more wait in TCP's buffers (backpressure). */
  private static final int PIPELINE = 1024;

  private final ActorSystem<?> system;
  private final CoordinatorSettings settings;
  private final ActorRef<Groups.Command> groups;

  public CommandServer(
      ActorSystem<?> system, CoordinatorSettings settings, ActorRef<Groups.Command> groups) {
    this.system = system;
    this.settings = settings;
    this.groups = groups;
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
        .mapAsync(PIPELINE, line -> handle(line, knownGroups, credentials))
        .map(Lines::line)
        .recoverWithRetries(
            1, TimeoutException.class, () -> org.apache.pekko.stream.javadsl.Source.empty());
  }

  /**
   * {@code credentials}: what this connection proved with AUTH, by "GROUP MEMBER"; the connection
   * then carries it with each command for that member.
   */
  private CompletionStage<String> handle(
      ByteString bytes,
      Map<String, ActorRef<GroupManager.Command>> knownGroups,
      Map<String, String> credentials) {
    if (bytes == LineFramer.TOO_LONG) {
      return CompletableFuture.completedFuture(
          Replies.error(
              Replies.TOO_LONG,
              "line longer than "
                  + Lines.MAX_LINE_BYTES
                  + " bytes; it was skipped up to its line end"));
    }
    ClientCommand cmd;
    try {
      cmd = CommandCodec.parse(Lines.decode(bytes));
    } catch (ProtocolException e) {
      return CompletableFuture.completedFuture(e.toReply());
    }
    if (cmd instanceof ClientCommand.Ping) {
      return CompletableFuture.completedFuture(Replies.PONG);
    }
    if (cmd instanceof ClientCommand.MSend s) {
      String c = credentials.get(s.group() + " " + s.member());
      return route(
          s.group(),
          false,
          knownGroups,
          g -> ask(g, r -> new GroupManager.Publish(s.member(), s.msgId(), s.text(), r, c)));
    }
    if (cmd instanceof ClientCommand.Auth a) {
      credentials.put(a.group() + " " + a.member(), Secrets.hash(a.secret()));
      return CompletableFuture.completedFuture(Replies.authenticated(a.group(), a.member()));
    }
    if (cmd instanceof ClientCommand.Register r) {
      String c = credentials.get(r.group() + " " + r.member());
      return route(
          r.group(),
          true,
          knownGroups,
          g -> ask(g, ref -> new GroupManager.Register(r.member(), r.host(), r.port(), ref, c)));
    }
    if (cmd instanceof ClientCommand.Reconnect r) {
      String c = credentials.get(r.group() + " " + r.member());
      return route(
          r.group(),
          false,
          knownGroups,
          g -> ask(g, ref -> new GroupManager.Reconnect(r.member(), r.host(), r.port(), ref, c)));
    }
    if (cmd instanceof ClientCommand.Disconnect d) {
      String c = credentials.get(d.group() + " " + d.member());
      return route(
          d.group(),
          false,
          knownGroups,
          g -> ask(g, ref -> new GroupManager.Disconnect(d.member(), ref, c)));
    }
    if (cmd instanceof ClientCommand.Deregister d) {
      String c = credentials.get(d.group() + " " + d.member());
      return route(
          d.group(),
          false,
          knownGroups,
          g -> ask(g, ref -> new GroupManager.Deregister(d.member(), ref, c)));
    }
    return CompletableFuture.completedFuture(
        Replies.error(Replies.BAD_REQUEST, "unsupported command"));
  }

  private CompletionStage<String> route(
      String group,
      boolean create,
      Map<String, ActorRef<GroupManager.Command>> knownGroups,
      Function<ActorRef<GroupManager.Command>, CompletionStage<String>> send) {
    ActorRef<GroupManager.Command> known = knownGroups.get(group);
    if (known != null) {
      return send.apply(known);
    }
    return AskPattern.<Groups.Command, Groups.GroupRef>ask(
            groups,
            r -> new Groups.GetGroup(group, create, r),
            settings.askTimeout(),
            system.scheduler())
        .thenCompose(
            ref -> {
              if (ref.ref() == null) {
                return CompletableFuture.completedFuture(
                    Replies.error(Replies.UNKNOWN_GROUP, "there is no group " + group));
              }
              knownGroups.put(group, ref.ref());
              return send.apply(ref.ref());
            })
        .exceptionally(err -> timeout());
  }

  private CompletionStage<String> ask(
      ActorRef<GroupManager.Command> group,
      Function<ActorRef<String>, GroupManager.Command> command) {
    return AskPattern.ask(
            group,
            command::apply,
            settings.askTimeout().plus(settings.connectTimeout()),
            system.scheduler())
        .exceptionally(err -> timeout());
  }

  private static String timeout() {
    return Replies.error(
        Replies.INTERNAL,
        "the coordinator did not answer in time; the outcome is unknown, retry with the same MSGID");
  }
}
