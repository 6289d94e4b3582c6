package tempocast.participant;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import tempocast.protocol.DeliveryCodec;
import tempocast.protocol.Lines;
import tempocast.protocol.ProtocolException;

/**
 * The participant's receiver port, bound only while the participant is online. Each delivery
 * connection is a stream: lines are framed, runs of messages that arrive together are written to
 * the log in one go, and one cumulative {@code ACK} per group or inbox goes back once they are
 * flushed. The notices on the connection ({@code EVENT}, {@code DELIVERED}) go to the console,
 * never to the log, and are not acknowledged.
 */
public final class Receiver {
  private static final ByteString PONG = Lines.line(DeliveryCodec.PONG);
  private static final int MAX_RUN = 1024;

  private final Tcp.ServerBinding binding;
  private final SharedKillSwitch connections;
  private final AtomicBoolean released;

  private Receiver(
      Tcp.ServerBinding binding, SharedKillSwitch connections, AtomicBoolean released) {
    this.binding = binding;
    this.connections = connections;
    this.released = released;
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  /**
   * Binds {@code host:port} (0 for any free port); fails if the port is taken. Connections from any
   * address but the coordinators' (any of those the participant may use) are closed unread, and so
   * are those whose first line is not {@code HELLO member}: deliveries meant for another
   * participant (one that used this port before) never reach this one's log. {@code notices} hears,
   * in words for the console, when the coordinator's connection is lost (it died, or was silent for
   * {@code silence}) and when it is back, and the membership events and (if {@code
   * notifyDelivered}) delivered notices the coordinator sends.
   */
  public static CompletionStage<Receiver> bind(
      ActorSystem<?> system,
      String member,
      String host,
      int port,
      Set<InetAddress> coordinators,
      ActorRef<MessageLog.Command> log,
      Duration timeout,
      Duration silence,
      boolean notifyDelivered,
      Consumer<String> notices) {
    SharedKillSwitch kill = KillSwitches.shared("receiver-" + port);
    AtomicBoolean released = new AtomicBoolean();
    AtomicBoolean lost = new AtomicBoolean();
    // The coordinator may open a new delivery connection before this side has seen the old one
    // end (after a freeze, say): the connection is lost only when none is left open.
    AtomicInteger open = new AtomicInteger();
    return Tcp.get(system)
        .bind(host, port)
        .to(
            Sink.foreach(
                c -> {
                  InetAddress from = c.remoteAddress().getAddress();
                  if (!coordinators.contains(from)) {
                    system
                        .log()
                        .warn(
                            "Refused a delivery connection from {}: only the coordinators at {} may deliver",
                            from,
                            coordinators);
                    c.handleWith(Flow.fromSinkAndSource(Sink.ignore(), Source.empty()), system);
                    return;
                  }
                  if (open.getAndIncrement() == 0 && lost.getAndSet(false)) {
                    notices.accept("coordinator connection restored; deliveries resume");
                  }
                  c.handleWith(
                          Flow.of(ByteString.class)
                              .via(kill.flow())
                              .idleTimeout(silence)
                              .via(
                                  deliveryFlow(
                                      system, member, log, timeout, notifyDelivered, notices))
                              .watchTermination(Keep.right()),
                          system)
                      .whenComplete(
                          (done, err) -> {
                            if (open.decrementAndGet() == 0
                                && !released.get()
                                && !lost.getAndSet(true)) {
                              notices.accept(
                                  "coordinator connection lost"
                                      + (err instanceof java.util.concurrent.TimeoutException
                                          ? " (silent for " + silence.toSeconds() + " s)"
                                          : "")
                                      + "; deliveries resume when it is back");
                            }
                          });
                }))
        .run(system)
        .thenApply(b -> new Receiver(b, kill, released));
  }

  /** Closes the port and every open delivery connection, so that another process can bind it. */
  public CompletionStage<Void> release() {
    released.set(true);
    connections.shutdown();
    return binding.unbind().thenApply(d -> null);
  }

  private sealed interface Incoming {}

  private record Message(DeliveryCodec.Delivery delivery) implements Incoming {}

  /** A line for the console: a membership event or a delivered notice. */
  private record Notice(String line) implements Incoming {}

  /** The coordinator's {@code OWED N}: for the catch-up's progress. */
  private record Owed(long count) implements Incoming {}

  private enum Ping implements Incoming {
    INSTANCE
  }

  private enum Other implements Incoming {
    INSTANCE
  }

  /** A delivery connection that does not open with this participant's HELLO. */
  static final class ForeignHello extends RuntimeException {
    ForeignHello(String message) {
      super(message, null, false, false);
    }
  }

  static Flow<ByteString, ByteString, NotUsed> deliveryFlow(
      ActorSystem<?> system,
      String member,
      ActorRef<MessageLog.Command> log,
      Duration timeout,
      boolean notifyDelivered,
      Consumer<String> notices) {
    CatchUp catchUp = new CatchUp(notices, System::nanoTime); // one per connection
    return Flow.of(ByteString.class)
        .via(Framing.delimiter(Lines.NEWLINE, Lines.MAX_LINE_BYTES, FramingTruncation.DISALLOW))
        .statefulMap(
            () -> Boolean.FALSE,
            (greeted, bytes) -> {
              if (greeted) {
                return Pair.create(true, parse(bytes, notifyDelivered));
              }
              checkHello(system, member, bytes);
              return Pair.create(true, (Incoming) Other.INSTANCE);
            },
            greeted -> Optional.empty())
        // While the log is busy, what arrives meanwhile forms the next run.
        .batch(
            MAX_RUN,
            first -> {
              List<Incoming> run = new ArrayList<>();
              run.add(first);
              return run;
            },
            (run, next) -> {
              run.add(next);
              return run;
            })
        .mapAsync(1, run -> handleRun(system, log, timeout, notices, catchUp, run));
  }

  private static void checkHello(ActorSystem<?> system, String member, ByteString bytes) {
    String line;
    try {
      line = Lines.decode(bytes);
      if (DeliveryCodec.parseFrame(line) instanceof DeliveryCodec.Hello h
          && h.member().equals(member)) {
        return;
      }
    } catch (ProtocolException e) {
      line = "a line that is not HELLO";
    }
    system
        .log()
        .warn(
            "Refused a delivery connection that opened with [{}]: this receiver is {}'s",
            line,
            member);
    throw new ForeignHello("delivery connection for another member: " + line);
  }

  private static Incoming parse(ByteString bytes, boolean notifyDelivered) {
    try {
      String line = Lines.decode(bytes);
      if (line.equals(DeliveryCodec.PING)) {
        return Ping.INSTANCE;
      }
      DeliveryCodec.Frame f = DeliveryCodec.parseFrame(line);
      if (f instanceof DeliveryCodec.Msg m) {
        return new Message(m.delivery());
      }
      if (f instanceof DeliveryCodec.Event e) {
        return new Notice(e.group() + ": " + e.member() + " " + e.kind().word);
      }
      if (f instanceof DeliveryCodec.Owed o) {
        return new Owed(o.count());
      }
      if (f instanceof DeliveryCodec.Delivered d && notifyDelivered) {
        return new Notice("delivered " + d.target() + " #" + d.seq());
      }
      return Other.INSTANCE;
    } catch (ProtocolException e) {
      return Other.INSTANCE;
    }
  }

  private static CompletionStage<ByteString> handleRun(
      ActorSystem<?> system,
      ActorRef<MessageLog.Command> log,
      Duration timeout,
      Consumer<String> notices,
      CatchUp catchUp,
      List<Incoming> run) {
    List<DeliveryCodec.Delivery> deliveries = new ArrayList<>();
    boolean ping = false;
    for (Incoming i : run) {
      if (i instanceof Message m) {
        deliveries.add(m.delivery());
      } else if (i instanceof Notice n) {
        notices.accept(n.line()); // for the console only: not logged, not acknowledged
      } else if (i instanceof Owed o) {
        catchUp.owed(o.count());
      } else if (i == Ping.INSTANCE) {
        ping = true;
      }
    }
    if (ping && deliveries.isEmpty()) {
      catchUp.quiet();
    }
    ByteString pong = ping ? PONG : ByteString.emptyByteString();
    if (deliveries.isEmpty()) {
      return CompletableFuture.completedFuture(pong);
    }
    return AskPattern.<MessageLog.Command, MessageLog.Written>ask(
            log, r -> new MessageLog.Write(List.copyOf(deliveries), r), timeout, system.scheduler())
        .thenApply(
            written -> {
              if (written.error() != null) {
                // Not in the log, so not acknowledged: drop the connection and be sent it again.
                throw new IllegalStateException("message log write failed: " + written.error());
              }
              catchUp.received(deliveries.size());
              ByteStringBuilder out = new ByteStringBuilder();
              for (Map.Entry<String, Long> e : written.lastSeqByGroup().entrySet()) {
                out.append(Lines.line(DeliveryCodec.ack(e.getKey(), e.getValue())));
              }
              out.append(pong);
              return out.result();
            });
  }
}
