package tempocast.participant;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.pattern.Patterns;
import tempocast.Failures;
import tempocast.console.ConsoleCommand;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.Names;

/**
 * The participant: runs console commands one at a time against the coordinator and owns the
 * receiver while online. Each command's network steps run as a future whose outcome comes back as a
 * message; commands that arrive meanwhile wait in the stash.
 */
public final class Participant extends AbstractBehavior<Participant.Command> {

  public sealed interface Command {}

  public record Execute(ConsoleCommand command, ActorRef<Result> replyTo) implements Command {}

  /** The console's result line; {@code quit} when the participant is done. */
  public record Result(String line, boolean quit) {}

  private record Finished(Step step, ActorRef<Result> replyTo) implements Command {}

  /** What a command's network steps ended with. */
  private record Step(ConsoleCommand command, Receiver receiver, String reply, Throwable error) {}

  static final String GROUP = Names.DEFAULT_GROUP;

  /** {@code notices}: where lines for the console that are not command results go. */
  public static Behavior<Command> create(
      ParticipantSettings settings, ActorRef<MessageLog.Command> log, Consumer<String> notices) {
    return Behaviors.withStash(
        64, stash -> Behaviors.setup(ctx -> new Participant(ctx, stash, settings, log, notices)));
  }

  private final StashBuffer<Command> stash;
  private final ParticipantSettings settings;
  private final ActorRef<MessageLog.Command> log;
  private final CoordinatorClient client;
  private final Consumer<String> notices;
  private final String msgIdPrefix = Long.toString(System.currentTimeMillis(), 36) + "-";
  private long msgCounter;
  private boolean busy;
  private Receiver receiver; // non-null exactly while online

  private Participant(
      ActorContext<Command> ctx,
      StashBuffer<Command> stash,
      ParticipantSettings settings,
      ActorRef<MessageLog.Command> log,
      Consumer<String> notices) {
    super(ctx);
    this.stash = stash;
    this.settings = settings;
    this.log = log;
    this.notices = notices;
    this.client = new CoordinatorClient(ctx.getSystem(), settings);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Execute.class, this::onExecute)
        .onMessage(Finished.class, this::onFinished)
        .build();
  }

  private Behavior<Command> onExecute(Execute e) {
    if (busy) {
      stash.stash(e);
      return this;
    }
    ConsoleCommand cmd = e.command();
    String refused = refusal(cmd);
    if (refused != null) {
      e.replyTo().tell(new Result(refused, false));
      return this;
    }
    if (cmd instanceof ConsoleCommand.Help) {
      e.replyTo().tell(new Result(ConsoleCommand.HELP + "\nOK help", false));
      return this;
    }
    busy = true;
    getContext()
        .pipeToSelf(
            run(cmd),
            (step, err) ->
                new Finished(err == null ? step : new Step(cmd, null, null, err), e.replyTo()));
    return this;
  }

  /** The refusal for a command that the participant's own state rules out, or null. */
  private String refusal(ConsoleCommand cmd) {
    boolean online = receiver != null;
    if (cmd instanceof ConsoleCommand.Invalid i) {
      return "ERROR " + i.reason();
    }
    if (cmd instanceof ConsoleCommand.Register && online) {
      return "ERROR already registered and online";
    }
    if (cmd instanceof ConsoleCommand.Reconnect && online) {
      return "ERROR already online";
    }
    if (cmd instanceof ConsoleCommand.Disconnect && !online) {
      return "ERROR not online: nothing to disconnect";
    }
    if (cmd instanceof ConsoleCommand.MSend && !online) {
      return "ERROR not online: register or reconnect first; nothing was sent";
    }
    return null;
  }

  private CompletionStage<Step> run(ConsoleCommand cmd) {
    String id = settings.id();
    if (cmd instanceof ConsoleCommand.Register r) {
      return attach(cmd, r.port(), (host, port) -> CommandCodec.register(GROUP, id, host, port));
    }
    if (cmd instanceof ConsoleCommand.Reconnect r) {
      return attach(cmd, r.port(), (host, port) -> CommandCodec.reconnect(GROUP, id, host, port));
    }
    if (cmd instanceof ConsoleCommand.MSend m) {
      String msgId = msgIdPrefix + (++msgCounter);
      return sendUntilStored(
          cmd,
          CommandCodec.msend(GROUP, id, msgId, m.text()),
          System.nanoTime() + settings.msendRetryFor().toNanos(),
          0);
    }
    if (cmd instanceof ConsoleCommand.Disconnect) {
      return releasingReceiver(ask(cmd, CommandCodec.disconnect(GROUP, id)), false);
    }
    if (cmd instanceof ConsoleCommand.Deregister) {
      return releasingReceiver(ask(cmd, CommandCodec.deregister(GROUP, id)), false);
    }
    // quit: leave the group's state as a disconnect would, then let go of the port
    if (receiver != null) {
      return releasingReceiver(ask(cmd, CommandCodec.disconnect(GROUP, id)), true);
    }
    return CompletableFuture.completedFuture(new Step(cmd, null, "OK", null));
  }

  /** Frees the receiver's port once the coordinator agreed (or, for quit, in any case). */
  private CompletionStage<Step> releasingReceiver(CompletionStage<Step> step, boolean always) {
    Receiver r = receiver;
    return step.thenCompose(
        s ->
            r != null && (always || succeeded(s))
                ? r.release().handle((done, err) -> s)
                : CompletableFuture.completedFuture(s));
  }

  private static boolean succeeded(Step s) {
    return s.error() == null && s.reply() != null && s.reply().startsWith("OK");
  }

  private interface AttachLine {
    String line(String host, int port);
  }

  private CompletionStage<Step> attach(ConsoleCommand cmd, int port, AttachLine line) {
    return client
        .localAddress()
        .thenCompose(
            local -> {
              String host = local.local().getAddress().getHostAddress();
              return Receiver.bind(
                      getContext().getSystem(),
                      settings.id(),
                      host,
                      port,
                      local.coordinator(),
                      log,
                      settings.requestTimeout(),
                      settings.coordinatorSilence(),
                      settings.notifyDelivered(),
                      notices)
                  .exceptionally(
                      err -> {
                        throw new PortUnavailable(port, Failures.rootMessage(err));
                      })
                  .thenCompose(
                      r ->
                          client
                              .request(line.line(host, r.port()))
                              .handle((reply, err) -> new Step(cmd, r, reply, err)));
            });
  }

  /**
   * Sends an MSEND and, while the coordinator cannot be reached, sends it again with the same
   * message ID until it answers: the coordinator stores a message ID once, so the user sees one OK
   * and every log one line, whether or not an earlier attempt had been stored.
   */
  private CompletionStage<Step> sendUntilStored(
      ConsoleCommand cmd, String line, long deadline, int attempt) {
    return ask(cmd, line)
        .thenCompose(
            step -> {
              if (!(Failures.unwrap(step.error()) instanceof CoordinatorClient.Unreachable)
                  || System.nanoTime() > deadline) {
                return CompletableFuture.completedFuture(step);
              }
              if (attempt == 0) {
                notices.accept(
                    "coordinator unreachable ("
                        + Failures.unwrap(step.error()).getMessage()
                        + "); retrying the msend");
              }
              Duration backoff = Duration.ofMillis(Math.min(1000, 100L << Math.min(attempt, 4)));
              return Patterns.after(
                  backoff,
                  getContext().getSystem().classicSystem().scheduler(),
                  getContext().getSystem().executionContext(),
                  () -> sendUntilStored(cmd, line, deadline, attempt + 1));
            });
  }

  private CompletionStage<Step> ask(ConsoleCommand cmd, String line) {
    return client.request(line).handle((reply, err) -> new Step(cmd, null, reply, err));
  }

  private static final class PortUnavailable extends RuntimeException {
    PortUnavailable(int port, String reason) {
      super(
          "cannot listen on port "
              + port
              + " ("
              + reason
              + "): choose another port, or 0 for any free one",
          null,
          false,
          false);
    }
  }

  private Behavior<Command> onFinished(Finished f) {
    busy = false;
    Step s = f.step();
    Result result = apply(s);
    f.replyTo().tell(result);
    if (result.quit()) {
      client.close();
      return Behaviors.stopped();
    }
    return stash.unstashAll(this);
  }

  private Result apply(Step s) {
    ConsoleCommand cmd = s.command();
    boolean ok = succeeded(s);
    if (cmd instanceof ConsoleCommand.Quit) {
      receiver = null;
      return new Result("OK bye", true);
    }
    if (!ok) {
      if (s.receiver() != null) {
        s.receiver().release(); // bound for an attach the coordinator refused
      }
      return new Result(errorLine(s), false);
    }
    String id = settings.id();
    if (cmd instanceof ConsoleCommand.Register) {
      receiver = s.receiver();
      long nextSeq = Long.parseLong(s.reply().substring(s.reply().lastIndexOf(' ') + 1));
      log.tell(new MessageLog.SetFloor(GROUP, nextSeq - 1));
      return new Result(
          "OK registered " + id + " in group " + GROUP + ", receiver on port " + receiver.port(),
          false);
    }
    if (cmd instanceof ConsoleCommand.Reconnect) {
      receiver = s.receiver();
      return new Result(
          "OK reconnected " + id + " to group " + GROUP + ", receiver on port " + receiver.port(),
          false);
    }
    if (cmd instanceof ConsoleCommand.MSend) {
      return new Result("OK sent #" + s.reply().substring(s.reply().lastIndexOf(' ') + 1), false);
    }
    receiver = null; // released by the command's own steps
    if (cmd instanceof ConsoleCommand.Disconnect) {
      return new Result("OK disconnected " + id, false);
    }
    return new Result("OK deregistered " + id, false);
  }

  /** One line that says what went wrong and what to do. */
  private static String errorLine(Step s) {
    if (s.error() != null) {
      Throwable t = Failures.unwrap(s.error());
      if (t instanceof CoordinatorClient.Unreachable || t instanceof PortUnavailable) {
        return "ERROR " + t.getMessage();
      }
      return "ERROR " + Failures.rootMessage(t);
    }
    String reply = s.reply();
    String[] f = reply.split(" ", 3);
    String code = f.length > 1 ? f[1] : "";
    String explanation = f.length > 2 ? f[2] : reply;
    return switch (code) {
      case "already-registered" ->
          "ERROR already registered: use 'reconnect PORT' to come back online";
      case "not-registered" -> "ERROR not registered: use 'register PORT' first";
      case "not-online" ->
          s.command() instanceof ConsoleCommand.MSend
              ? "ERROR offline: use 'reconnect PORT' first; nothing was sent"
              : "ERROR not online: " + explanation;
      case "unreachable" ->
          "ERROR the coordinator cannot reach this participant's receiver: " + explanation;
      default -> "ERROR " + explanation;
    };
  }
}
