package tempocast.coordinator;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import tempocast.Failures;
import tempocast.metrics.Metrics;
import tempocast.protocol.DeliveryCodec;
import tempocast.protocol.Lines;
import tempocast.protocol.ProtocolException;

/**
 * Delivery connections over Pekko TCP streams. Outbound: a bounded queue of delivery lines, with a
 * PING every heartbeat interval. Inbound: ACK and PONG lines; silence longer than the heartbeat
 * timeout fails the link, which is how a dead or unreachable participant is noticed.
 */
public final class TcpDeliveryConnector implements DeliveryLink.Connector {
  private static final ByteString PING = Lines.line(DeliveryCodec.PING);

  /** Room for notices (EVENT, DELIVERED), which the delivery window does not count. */
  private static final int NOTICE_ROOM = 4096;

  private static final int BATCH = 1024;

  private final ActorSystem<?> system;
  private final CoordinatorSettings settings;
  private final Metrics metrics;

  public TcpDeliveryConnector(ActorSystem<?> system, CoordinatorSettings settings) {
    this(system, settings, Metrics.disabled());
  }

  public TcpDeliveryConnector(
      ActorSystem<?> system, CoordinatorSettings settings, Metrics metrics) {
    this.system = system;
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public CompletionStage<DeliveryLink> connect(
      String host,
      int port,
      String member,
      int linkId,
      boolean awaitAnswer,
      ActorRef<ParticipantSession.Command> events) {
    // The session never has more than delivery-window messages in flight, one element or more
    // each, so this queue cannot overflow.
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, org.apache.pekko.NotUsed>> queue =
        Source.<ByteString>queue(settings.deliveryWindow() + NOTICE_ROOM).preMaterialize(system);
    ByteString hello = Lines.line(DeliveryCodec.hello(member));
    Source<ByteString, org.apache.pekko.NotUsed> outbound =
        queue
            .second()
            .prepend(Source.single(awaitAnswer ? hello.concat(PING) : hello))
            // A PING every interval, however busy the connection: notices (EVENT, DELIVERED) get
            // no answer, so outbound traffic alone does not show that the receiver is alive.
            .merge(
                Source.tick(settings.heartbeatInterval(), settings.heartbeatInterval(), PING)
                    .mapMaterializedValue(c -> org.apache.pekko.NotUsed.getInstance()),
                true)
            // What queued up while the socket was busy (runs of many groups, notices) goes out
            // in one write.
            .batch(BATCH, bytes -> bytes, ByteString::concat);
    CompletableFuture<Void> answered = new CompletableFuture<>();
    Pair<CompletionStage<Tcp.OutgoingConnection>, CompletionStage<org.apache.pekko.Done>> run =
        outbound
            .viaMat(
                Tcp.get(system)
                    .outgoingConnection(
                        new InetSocketAddress(host, port),
                        Optional.empty(),
                        List.of(),
                        false, // closing our side closes the connection
                        Optional.of(settings.connectTimeout()),
                        Optional.empty()),
                Keep.right())
            .idleTimeout(settings.heartbeatTimeout())
            .via(Framing.delimiter(Lines.NEWLINE, 256, FramingTruncation.ALLOW))
            .toMat(
                Sink.foreach(
                    bytes -> {
                      answered.complete(null);
                      DeliveryCodec.Ack ack = parseAck(bytes);
                      if (ack != null) {
                        events.tell(
                            new ParticipantSession.LinkAcked(linkId, ack.group(), ack.seq()));
                      }
                    }),
                Keep.both())
            .run(system);
    run.second()
        .whenComplete(
            (done, err) -> {
              String reason = closeReason(err);
              answered.completeExceptionally(new IllegalStateException(reason));
              events.tell(new ParticipantSession.LinkClosed(linkId, reason));
            });
    BoundedSourceQueue<ByteString> q = queue.first();
    DeliveryLink link =
        new DeliveryLink() {
          // The connection may end at any moment (the receiver died): offering to or closing the
          // queue of an ended stream throws, and the session hears of the end as LinkClosed.
          @Override
          public void send(ByteString lines) {
            try {
              if (q.offer(lines) != QueueOfferResult.enqueued()) {
                // Cannot happen while the window holds; if it does, drop the link and replay.
                q.fail(new IllegalStateException("delivery queue overflow"));
              }
            } catch (IllegalStateException ended) {
              // already ended
            }
          }

          @Override
          public void close() {
            try {
              q.complete();
            } catch (IllegalStateException ended) {
              // already ended
            }
          }
        };
    CompletionStage<Tcp.OutgoingConnection> connected = run.first();
    return awaitAnswer
        ? connected.thenCompose(c -> answered).thenApply(a -> link)
        : connected.thenApply(c -> link);
  }

  /** Why a delivery connection ended, in words for the log rather than the stream's exception. */
  private String closeReason(Throwable err) {
    if (err == null) {
      return "its receiver closed the connection";
    }
    if (err instanceof TimeoutException || err.getCause() instanceof TimeoutException) {
      metrics.heartbeatTimeout();
      long ms = settings.heartbeatTimeout().toMillis();
      return "its receiver said nothing for "
          + (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0))
          + " s (heartbeat-timeout)";
    }
    return "the connection to its receiver broke (" + Failures.firstMessage(err) + ")";
  }

  private static DeliveryCodec.Ack parseAck(ByteString bytes) {
    try {
      return DeliveryCodec.parseAck(Lines.decode(bytes));
    } catch (ProtocolException e) {
      return null;
    }
  }
}
