package tempocast.participant;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
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
import tempocast.protocol.CommandCodec;
import tempocast.protocol.Lines;
import tempocast.protocol.Names;
import tempocast.protocol.ProtocolException;
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;

/**
 * The participant's command connection to the coordinator: requests go out in order and the n-th
 * reply answers the n-th request. It connects when first needed and again after the connection
 * broke. Used by one actor only; the stream completes the replies from its own thread.
 */
public final class CoordinatorClient {

  /** The coordinator could not be reached or did not answer. */
  public static final class Unreachable extends RuntimeException {
    public Unreachable(String message) {
      super(message, null, false, false);
    }
  }

  private final ActorSystem<?> system;
  private final ParticipantSettings settings;
  private Connection connection;

  public CoordinatorClient(ActorSystem<?> system, ParticipantSettings settings) {
    this.system = system;
    this.settings = settings;
  }

  private static final class Connection {
    final BoundedSourceQueue<ByteString> out;
    final ConcurrentLinkedQueue<CompletableFuture<String>> pending = new ConcurrentLinkedQueue<>();
    final CompletionStage<Tcp.OutgoingConnection> established;
    volatile boolean closed;

    Connection(
        BoundedSourceQueue<ByteString> out, CompletionStage<Tcp.OutgoingConnection> established) {
      this.out = out;
      this.established = established;
    }

    void fail(String reason) {
      closed = true;
      try {
        out.fail(new Unreachable(reason));
      } catch (IllegalStateException alreadyEnded) {
        // the stream ended first; the pending replies are failed below all the same
      }
      CompletableFuture<String> p;
      while ((p = pending.poll()) != null) {
        p.completeExceptionally(new Unreachable(reason));
      }
    }
  }

  /** Both ends of the command connection: the coordinator, and our interface it reaches. */
  public record Ends(java.net.InetAddress coordinator, InetSocketAddress local) {}

  /** The ends of the command connection, connecting first if needed. */
  public CompletionStage<Ends> localAddress() {
    return connection()
        .established
        .handle(
            (c, err) -> {
              if (err != null) {
                throw new Unreachable(
                    "cannot reach the coordinator at "
                        + settings.coordinatorHost()
                        + ":"
                        + settings.coordinatorPort()
                        + " ("
                        + Failures.rootMessage(err)
                        + "); is it running?");
              }
              return new Ends(c.remoteAddress().getAddress(), c.localAddress());
            });
  }

  /** Sends one command line; its reply, decoded ({@link Replies#parse}). */
  public CompletionStage<Reply> request(String line) {
    Connection c = connection();
    CompletableFuture<String> reply = new CompletableFuture<>();
    c.pending.add(reply);
    boolean sent;
    try {
      sent = c.out.offer(Lines.line(line)) == QueueOfferResult.enqueued();
    } catch (IllegalStateException ended) {
      sent = false; // the connection ended between our check and the offer
    }
    if (!sent) {
      c.fail("the connection to the coordinator is closed");
    }
    reply
        .orTimeout(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (r, err) -> {
              if (err instanceof java.util.concurrent.TimeoutException) {
                // Replies would no longer match requests: start afresh next time.
                c.fail(
                    "the coordinator did not answer within "
                        + settings.requestTimeout().toSeconds()
                        + " s");
              }
            });
    return reply.thenApply(Replies::parse);
  }

  public void close() {
    if (connection != null && !connection.closed) {
      connection.closed = true;
      connection.out.complete();
    }
  }

  private Connection connection() {
    if (connection != null && !connection.closed) {
      return connection;
    }
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, org.apache.pekko.NotUsed>> q =
        Source.<ByteString>queue(1024).preMaterialize(system);
    String where = settings.coordinatorHost() + ":" + settings.coordinatorPort();
    Connection[] self = new Connection[1];
    Pair<CompletionStage<Tcp.OutgoingConnection>, CompletionStage<org.apache.pekko.Done>> run =
        q.second()
            .viaMat(
                Tcp.get(system)
                    .outgoingConnection(
                        new InetSocketAddress(
                            settings.coordinatorHost(), settings.coordinatorPort()),
                        Optional.empty(),
                        List.of(),
                        false,
                        Optional.of(settings.connectTimeout()),
                        Optional.empty()),
                Keep.right())
            .via(Framing.delimiter(Lines.NEWLINE, Lines.MAX_LINE_BYTES, FramingTruncation.DISALLOW))
            .toMat(
                Sink.foreach(
                    bytes -> {
                      CompletableFuture<String> p = self[0].pending.poll();
                      if (p != null) {
                        try {
                          p.complete(Lines.decode(bytes));
                        } catch (ProtocolException e) {
                          p.complete("ERROR bad-reply " + e.getMessage());
                        }
                      }
                    }),
                Keep.both())
            .run(system);
    Connection c = new Connection(q.first(), run.first());
    self[0] = c;
    run.second()
        .whenComplete(
            (done, err) ->
                c.fail(
                    err == null
                        ? "the coordinator at " + where + " closed the connection"
                        : "cannot reach the coordinator at "
                            + where
                            + " ("
                            + Failures.rootMessage(err)
                            + ")"));
    run.first()
        .whenComplete(
            (ok, err) -> {
              if (err != null) {
                c.fail(
                    "cannot reach the coordinator at "
                        + where
                        + " ("
                        + Failures.rootMessage(err)
                        + ")");
              }
            });
    connection = c;
    if (settings.secret() != null) {
      // First on every connection: prove we may act for our ID (docs/PROTOCOL.md, "Secrets").
      CompletableFuture<String> proof = new CompletableFuture<>();
      c.pending.add(proof);
      c.out.offer(
          Lines.line(CommandCodec.auth(Names.DEFAULT_GROUP, settings.id(), settings.secret())));
      proof.thenAccept(
          reply -> {
            if (Replies.parse(reply) instanceof Reply.Error e) {
              c.fail(
                  "the coordinator refused our secret: " + e.code().code + " " + e.explanation());
            }
          });
    }
    return c;
  }
}
