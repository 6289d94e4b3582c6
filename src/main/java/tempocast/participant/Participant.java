package tempocast.participant;

import java.time.Duration;
import java.time.Instant;
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
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;

/**
 * The participant: runs console commands one at a time against the coordinator and owns the
 * receiver while online. Each command's network steps run as a future whose outcome comes back as a
 * message; commands that arrive meanwhile wait in the stash.
 */
public final class Participant extends AbstractBehavior<Participant.Command> {

  public sealed interface Command {}

  public record Execute(ConsoleCommand command, ActorRef<Result> replyTo) implements Command {}

  /**
   * The console's result: the lines of a listing, if any, then the result line; {@code quit} when
   * the participant is done.
   */
  public record Result(String line, boolean quit) {
    /** The lines before the result line, each ending with a newline; empty if there are none. */
    public String listing() {
      int end = line.lastIndexOf('\n');
      return end < 0 ? "" : line.substring(0, end + 1);
    }
  }

  /** What a command's network steps ended with: the coordinator's reply, or why there is none. */
  private record Step(ConsoleCommand command, Receiver receiver, Reply reply, Throwable error) {}

  /** When the command's network steps began ({@link System#nanoTime}), for the send latency. */
  private record Finished(Step step, ActorRef<Result> replyTo, long startNanos)
      implements Command {}

  static final String GROUP = Names.DEFAULT_GROUP;

  /** {@code notices}: where lines for the console that are not command results go. */
  public static Behavior<Command> create(
      ParticipantSettings settings, ActorRef<MessageLog.Command> log, Consumer<String> notices) {
    return create(settings, log, notices, new ParticipantStats());
  }

  /** {@code stats}: what {@code stats} prints; the message log adds what it receives. */
  public static Behavior<Command> create(
      ParticipantSettings settings,
      ActorRef<MessageLog.Command> log,
      Consumer<String> notices,
      ParticipantStats stats) {
    return Behaviors.withStash(
        64,
        stash ->
            Behaviors.setup(ctx -> new Participant(ctx, stash, settings, log, notices, stats)));
  }

  private final StashBuffer<Command> stash;
  private final ParticipantSettings settings;
  private final ActorRef<MessageLog.Command> log;
  private final CoordinatorClient client;
  private final Consumer<String> notices;
  private final ParticipantStats stats;
  private final String msgIdPrefix = Long.toString(System.currentTimeMillis(), 36) + "-";
  private long msgCounter;
  private boolean busy;
  private Receiver receiver; // non-null exactly while online
  private String current = GROUP; // the target of msend: only 'use' changes it

  private Participant(
      ActorContext<Command> ctx,
      StashBuffer<Command> stash,
      ParticipantSettings settings,
      ActorRef<MessageLog.Command> log,
      Consumer<String> notices,
      ParticipantStats stats) {
    super(ctx);
    this.stash = stash;
    this.settings = settings;
    this.log = log;
    this.notices = notices;
    this.stats = stats;
    this.client = new CoordinatorClient(ctx.getSystem(), settings, notices);
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
    if (cmd instanceof ConsoleCommand.Stats) {
      e.replyTo().tell(new Result(statsLines() + "OK stats", false));
      return this;
    }
    busy = true;
    long start = System.nanoTime();
    getContext()
        .pipeToSelf(
            run(cmd),
            (step, err) ->
                new Finished(
                    err == null ? step : new Step(cmd, null, null, err), e.replyTo(), start));
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
    if ((cmd instanceof ConsoleCommand.MSend || cmd instanceof ConsoleCommand.Send) && !online) {
      return "ERROR not online: register or reconnect first; nothing was sent";
    }
    return null;
  }

  private CompletionStage<Step> run(ConsoleCommand cmd) {
    String id = settings.id();
    if (cmd instanceof ConsoleCommand.Register r) {
      log.tell(new MessageLog.Entering(GROUP));
      log.tell(new MessageLog.Entering(Names.inbox(id)));
      return attach(cmd, r.port(), (host, port) -> CommandCodec.register(GROUP, id, host, port));
    }
    if (cmd instanceof ConsoleCommand.Reconnect r) {
      return attach(cmd, r.port(), (host, port) -> CommandCodec.reconnect(GROUP, id, host, port));
    }
    if (cmd instanceof ConsoleCommand.MSend m) {
      return sendUntilStored(
          cmd,
          CommandCodec.msend(current, id, nextMsgId(), m.text()),
          "msend",
          System.nanoTime() + settings.msendRetryFor().toNanos(),
          0);
    }
    if (cmd instanceof ConsoleCommand.Send m) {
      return sendUntilStored(
          cmd,
          CommandCodec.send(id, m.to(), nextMsgId(), m.text()),
          "send",
          System.nanoTime() + settings.msendRetryFor().toNanos(),
          0);
    }
    if (cmd instanceof ConsoleCommand.Create c) {
      log.tell(new MessageLog.Entering(c.group()));
      return ask(cmd, CommandCodec.create(c.group(), id, c.tdMillis()));
    }
    if (cmd instanceof ConsoleCommand.Join j) {
      log.tell(new MessageLog.Entering(j.group()));
      return ask(cmd, CommandCodec.join(j.group(), id));
    }
    if (cmd instanceof ConsoleCommand.Leave l) {
      return ask(cmd, CommandCodec.leave(l.group(), id));
    }
    if (cmd instanceof ConsoleCommand.Groups) {
      return ask(cmd, CommandCodec.groups(settings.id()));
    }
    if (cmd instanceof ConsoleCommand.Members m) {
      return ask(cmd, CommandCodec.members(m.group() == null ? current : m.group(), settings.id()));
    }
    if (cmd instanceof ConsoleCommand.Use u) {
      // local state, but only for a group this participant is a member of
      return ask(cmd, CommandCodec.members(u.group(), settings.id()));
    }
    if (cmd instanceof ConsoleCommand.Status st) {
      return ask(cmd, CommandCodec.status(id, st.target(), st.seq()));
    }
    if (cmd instanceof ConsoleCommand.Disconnect) {
      return releasingReceiver(ask(cmd, CommandCodec.disconnect(GROUP, id)), false);
    }
    if (cmd instanceof ConsoleCommand.Deregister) {
      return releasingReceiver(ask(cmd, CommandCodec.deregister(GROUP, id)), false);
    }
    // quit: leave the participant's state as a disconnect would, then let go of the port
    if (receiver != null) {
      return releasingReceiver(ask(cmd, CommandCodec.disconnect(GROUP, id)), true);
    }
    return CompletableFuture.completedFuture(new Step(cmd, null, null, null));
  }

  /** The lines of {@code stats}, each ending with a newline. */
  private String statsLines() {
    StringBuilder b = new StringBuilder();
    for (String l : stats.lines()) {
      b.append(l).append('\n');
    }
    return b.toString();
  }

  private String nextMsgId() {
    return msgIdPrefix + (++msgCounter);
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
    return s.error() == null && s.reply() != null && !(s.reply() instanceof Reply.Error);
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
                      client.coordinatorAddresses(local.coordinator()),
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
   * Sends an MSEND or SEND and, while the coordinator cannot be reached, sends it again with the
   * same message ID until it answers: the coordinator stores a message ID once, so the user sees
   * one OK and every log one line, whether or not an earlier attempt had been stored.
   */
  private CompletionStage<Step> sendUntilStored(
      ConsoleCommand cmd, String line, String what, long deadline, int attempt) {
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
                        + "); retrying the "
                        + what);
              }
              Duration backoff = Duration.ofMillis(Math.min(1000, 100L << Math.min(attempt, 4)));
              return Patterns.after(
                  backoff,
                  getContext().getSystem().classicSystem().scheduler(),
                  getContext().getSystem().executionContext(),
                  () -> sendUntilStored(cmd, line, what, deadline, attempt + 1));
            });
  }

  private CompletionStage<Step> ask(ConsoleCommand cmd, String line) {
    // the reply arrives decoded: Replies.parse, the same codec the coordinator renders with
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
    if (s.reply() instanceof Reply.Sent) {
      String text =
          s.command() instanceof ConsoleCommand.MSend m
              ? m.text()
              : s.command() instanceof ConsoleCommand.Send d ? d.text() : "";
      stats.sent(ParticipantStats.utf8Length(text), f.startNanos(), System.nanoTime());
    }
    f.replyTo().tell(result);
    if (result.quit()) {
      client.close();
      return Behaviors.stopped();
    }
    return stash.unstashAll(this);
  }

  private Result apply(Step s) {
    ConsoleCommand cmd = s.command();
    if (cmd instanceof ConsoleCommand.Quit) {
      receiver = null;
      return new Result(statsLines() + "OK bye", true); // the figures once more, on the way out
    }
    if (!succeeded(s)) {
      if (s.receiver() != null) {
        s.receiver().release(); // bound for an attach the coordinator refused
      }
      return new Result(errorLine(s), false);
    }
    String line = okLine(cmd, s.reply(), s.receiver());
    return new Result(line != null ? line : unexpected(s), false);
  }

  /**
   * The result line (after any listing) for a command the coordinator accepted; null if the reply
   * does not answer it.
   */
  private String okLine(ConsoleCommand cmd, Reply reply, Receiver attached) {
    String id = settings.id();
    if (cmd instanceof ConsoleCommand.Register && reply instanceof Reply.Registered r) {
      receiver = attached;
      log.tell(new MessageLog.SetFloor(GROUP, r.nextSeq() - 1));
      // a new registration is owed only direct messages sent from now on
      log.tell(new MessageLog.SetFloor(Names.inbox(id), 0));
      return "OK registered " + id + " in group " + GROUP + ", receiver on port " + receiver.port();
    }
    if (cmd instanceof ConsoleCommand.Reconnect && reply instanceof Reply.Reconnected) {
      receiver = attached;
      return "OK reconnected "
          + id
          + " to group "
          + GROUP
          + ", receiver on port "
          + receiver.port();
    }
    if (cmd instanceof ConsoleCommand.MSend && reply instanceof Reply.Sent sent) {
      return "OK sent #" + sent.seq() + " to " + sent.target();
    }
    if (cmd instanceof ConsoleCommand.Send && reply instanceof Reply.Sent sent) {
      return "OK sent #" + sent.seq() + " to " + sent.target();
    }
    if (cmd instanceof ConsoleCommand.Create c && reply instanceof Reply.Created r) {
      log.tell(new MessageLog.SetFloor(c.group(), r.nextSeq() - 1));
      return "OK created group " + c.group() + " (td " + Replies.seconds(r.tdMillis()) + " s)";
    }
    if (cmd instanceof ConsoleCommand.Join j && reply instanceof Reply.Joined r) {
      log.tell(new MessageLog.SetFloor(j.group(), r.nextSeq() - 1));
      return "OK joined group " + j.group();
    }
    if (cmd instanceof ConsoleCommand.Leave l && reply instanceof Reply.Left) {
      return "OK left group " + l.group();
    }
    if (cmd instanceof ConsoleCommand.Groups && reply instanceof Reply.GroupList list) {
      StringBuilder b = new StringBuilder();
      for (Reply.GroupInfo g : list.groups()) {
        b.append("group ").append(g.name()).append(" members ").append(g.members());
        b.append(" online ")
            .append(g.online())
            .append(" td ")
            .append(Replies.seconds(g.tdMillis()));
        b.append('\n');
      }
      return b.append("OK ").append(list.groups().size()).append(" groups").toString();
    }
    if (cmd instanceof ConsoleCommand.Members && reply instanceof Reply.MemberList list) {
      StringBuilder b = new StringBuilder();
      for (Reply.MemberInfo m : list.members()) {
        b.append("member ").append(m.id()).append(m.online() ? " online\n" : " offline\n");
      }
      return b.append("OK ")
          .append(list.members().size())
          .append(" members in ")
          .append(list.group())
          .toString();
    }
    if (cmd instanceof ConsoleCommand.Use u && reply instanceof Reply.MemberList list) {
      if (list.members().stream().noneMatch(m -> m.id().equals(id))) {
        return "ERROR not a member of group "
            + u.group()
            + ": 'join "
            + u.group()
            + "' first, or 'use' a group you are in ('groups' lists them); still sending to "
            + current;
      }
      current = u.group();
      return "OK sending to group " + current;
    }
    if (cmd instanceof ConsoleCommand.Status st && reply instanceof Reply.MessageStatus ms) {
      StringBuilder b = new StringBuilder();
      int delivered = 0;
      int sent = 0;
      int expired = 0;
      for (Reply.RecipientState r : ms.recipients()) {
        b.append(r.recipient());
        switch (r.state()) {
          case DELIVERED -> {
            delivered++;
            b.append(" delivered ")
                .append(MessageLog.TIMESTAMP.format(Instant.ofEpochMilli(r.deliveredAt())));
          }
          case EXPIRED -> {
            expired++;
            b.append(" expired");
          }
          case SENT -> {
            sent++;
            b.append(" sent");
          }
        }
        b.append('\n');
      }
      return b.append("OK status ")
          .append(st.target())
          .append(" #")
          .append(st.seq())
          .append(": ")
          .append(delivered)
          .append(" delivered, ")
          .append(sent)
          .append(" sent, ")
          .append(expired)
          .append(" expired")
          .toString();
    }
    if (cmd instanceof ConsoleCommand.Disconnect && reply instanceof Reply.Disconnected) {
      receiver = null; // released by the command's own steps
      return "OK disconnected " + id;
    }
    if (cmd instanceof ConsoleCommand.Deregister && reply instanceof Reply.Deregistered) {
      receiver = null; // released by the command's own steps
      return "OK deregistered " + id;
    }
    return null;
  }

  private static String unexpected(Step s) {
    return "ERROR unexpected reply from the coordinator ("
        + Replies.render(s.reply())
        + "); the command's outcome is unknown";
  }

  /** One line that says what went wrong and what to do, from the coordinator's error code. */
  private String errorLine(Step s) {
    if (s.error() != null) {
      Throwable t = Failures.unwrap(s.error());
      if (t instanceof CoordinatorClient.Unreachable || t instanceof PortUnavailable) {
        return "ERROR " + t.getMessage();
      }
      return "ERROR " + Failures.rootMessage(t);
    }
    Reply.Error e = (Reply.Error) s.reply();
    ConsoleCommand cmd = s.command();
    boolean sending = cmd instanceof ConsoleCommand.MSend || cmd instanceof ConsoleCommand.Send;
    String group = groupOf(cmd);
    return switch (e.code()) {
      case ALREADY_REGISTERED ->
          "ERROR already registered: use 'reconnect PORT' to come back online";
      case NOT_REGISTERED -> "ERROR not registered: use 'register PORT' first";
      case UNKNOWN_RECIPIENT ->
          "ERROR cannot send to "
              + (cmd instanceof ConsoleCommand.Send send ? send.to() : "that ID")
              + ": no participant is registered under that ID; nothing was sent";
      case NOT_ONLINE ->
          sending
              ? "ERROR offline: use 'reconnect PORT' first; nothing was sent"
              : "ERROR not online: " + e.explanation();
      case UNREACHABLE ->
          "ERROR the coordinator cannot reach this participant's receiver: " + e.explanation();
      case UNKNOWN_GROUP ->
          "ERROR there is no group "
              + group
              + ": 'groups' lists the groups, 'create "
              + group
              + "' makes it"
              + (sending ? "; nothing was sent" : "");
      case GROUP_EXISTS ->
          "ERROR group "
              + group
              + " exists already: 'join "
              + group
              + "' to become a member, or create another name";
      case ALREADY_MEMBER ->
          "ERROR already a member of group "
              + group
              + ": nothing to join; 'use "
              + group
              + "' sends to it";
      case NOT_MEMBER ->
          cmd instanceof ConsoleCommand.MSend
              ? "ERROR not a member of group "
                  + group
                  + " (you left it): 'use GROUP' to send to another of your groups, or 'join "
                  + group
                  + "' again; nothing was sent"
              : "ERROR not a member of group " + group + ": nothing to leave ('groups' lists them)";
      case NO_MESSAGE ->
          cmd instanceof ConsoleCommand.Status st
              ? "ERROR there is no message #"
                  + st.seq()
                  + " in "
                  + st.target()
                  + " (or it was older than td and owed to no one): give a TARGET and #SEQ"
                  + " from an 'OK sent #SEQ to TARGET' line"
              : "ERROR " + e.explanation();
      case NOT_SENDER ->
          cmd instanceof ConsoleCommand.Status st
              ? "ERROR message #"
                  + st.seq()
                  + " of "
                  + st.target()
                  + " was sent by someone else: only its sender may ask its status"
              : "ERROR " + e.explanation();
      case FORBIDDEN ->
          "ERROR forbidden: "
              + e.explanation()
              + " (this ID is protected by a secret: check 'secret' in the configuration file)";
      case BUSY -> "ERROR busy: " + e.explanation() + "; try again";
      default -> "ERROR " + e.explanation();
    };
  }

  /** The group a command names, or for msend the current group; null if none. */
  private String groupOf(ConsoleCommand cmd) {
    if (cmd instanceof ConsoleCommand.Create c) {
      return c.group();
    }
    if (cmd instanceof ConsoleCommand.Join j) {
      return j.group();
    }
    if (cmd instanceof ConsoleCommand.Leave l) {
      return l.group();
    }
    if (cmd instanceof ConsoleCommand.Use u) {
      return u.group();
    }
    if (cmd instanceof ConsoleCommand.Members m) {
      return m.group() == null ? current : m.group();
    }
    if (cmd instanceof ConsoleCommand.Status st) {
      return st.target();
    }
    if (cmd instanceof ConsoleCommand.MSend) {
      return current;
    }
    return GROUP;
  }
}
