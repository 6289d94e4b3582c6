package tempocast.participant;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
import tempocast.participant.ParticipantSettings.CoordinatorAddress;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.Lines;
import tempocast.protocol.Names;
import tempocast.protocol.ProtocolException;
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;

/**
 * The participant's command connection to the coordinator: requests go out in order and the n-th
 * reply answers the n-th request. It connects when first needed and again after the connection
 * broke. With several coordinator addresses it uses one at a time, the first to begin with, and
 * fails over to the next (round-robin) when the connection to the current one fails: refused,
 * reset, or no answer within {@code request-timeout}. A connection the coordinator closes in order
 * (its idle timeout, say) is opened again to the same address. A request whose connection never
 * came up was never sent, so it is sent to the next address at once, until each was tried; one
 * whose connection broke after it went out fails, and the caller decides whether to send it again
 * (MSEND and SEND are, with the same message ID). A secret is proven with {@code AUTH} first on
 * every connection, whichever the address. Used by one actor, one command at a time; the stream
 * completes the replies from its own thread.
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
  private final List<CoordinatorAddress> addresses;
  private final Consumer<String> notices;
  private int current; // guarded by this: the index of the address new connections go to
  private CoordinatorAddress lastUp; // guarded by this: where the last connection came up
  private Connection connection; // guarded by this

  /** {@code notices}: hears one line when the client goes over to another coordinator. */
  public CoordinatorClient(
      ActorSystem<?> system, ParticipantSettings settings, Consumer<String> notices) {
    this.system = system;
    this.settings = settings;
    this.addresses = settings.coordinators();
    this.notices = notices;
    this.lastUp = addresses.get(0);
  }

  private static final class Connection {
    final CoordinatorAddress address;
    final BoundedSourceQueue<ByteString> out;
    final ConcurrentLinkedQueue<CompletableFuture<String>> pending = new ConcurrentLinkedQueue<>();
    final CompletionStage<Tcp.OutgoingConnection> established;
    volatile boolean closed;
    boolean movedOn; // guarded by the client

    Connection(
        CoordinatorAddress address,
        BoundedSourceQueue<ByteString> out,
        CompletionStage<Tcp.OutgoingConnection> established) {
      this.address = address;
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
  public record Ends(InetAddress coordinator, InetSocketAddress local) {}

  /**
   * The ends of the command connection, connecting first if needed (to the next address if the
   * current one cannot be reached).
   */
  public CompletionStage<Ends> localAddress() {
    return localAddress(addresses.size() - 1);
  }

  private CompletionStage<Ends> localAddress(int switchesLeft) {
    Connection c = connection();
    return c.established
        .handle(
            (conn, err) -> {
              if (err == null) {
                return CompletableFuture.completedFuture(
                    new Ends(conn.remoteAddress().getAddress(), conn.localAddress()));
              }
              String why = "cannot reach the coordinator at " + c.address;
              failed(c, why + " (" + Failures.rootMessage(err) + ")", true);
              if (switchesLeft > 0) {
                return localAddress(switchesLeft - 1);
              }
              return CompletableFuture.<Ends>failedFuture(
                  new Unreachable(
                      (addresses.size() > 1 ? "cannot reach any coordinator (" + all() + ")" : why)
                          + " ("
                          + Failures.rootMessage(err)
                          + "); is it running?"));
            })
        .thenCompose(x -> x);
  }

  /**
   * Every address the coordinators' names stand for, and {@code reached}: where deliveries may come
   * from. A name that does not resolve now is left out.
   */
  public Set<InetAddress> coordinatorAddresses(InetAddress reached) {
    Set<InetAddress> out = new HashSet<>();
    out.add(reached);
    for (CoordinatorAddress a : addresses) {
      try {
        out.addAll(List.of(InetAddress.getAllByName(a.host())));
      } catch (UnknownHostException e) {
        // not resolvable now: no delivery connection can come from it
      }
    }
    return Set.copyOf(out);
  }

  /**
   * Sends one command line; its reply, decoded ({@link Replies#parse}). If the connection cannot be
   * opened, the line goes to the next address.
   */
  public CompletionStage<Reply> request(String line) {
    return request(line, addresses.size() - 1);
  }

  private CompletionStage<Reply> request(String line, int switchesLeft) {
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
      failed(c, "the connection to the coordinator at " + c.address + " is closed", false);
    }
    reply
        .orTimeout(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (r, err) -> {
              if (err instanceof java.util.concurrent.TimeoutException) {
                // Replies would no longer match requests: start afresh next time, elsewhere.
                failed(
                    c,
                    "the coordinator at "
                        + c.address
                        + " did not answer within "
                        + settings.requestTimeout().toSeconds()
                        + " s",
                    true);
              }
            });
    return reply
        .handle(
            (r, err) -> {
              if (err == null) {
                return CompletableFuture.completedFuture(Replies.parse(r));
              }
              if (err instanceof java.util.concurrent.TimeoutException && addresses.size() > 1) {
                // Another coordinator may answer: say so as for a broken connection, so that an
                // MSEND is sent again, there.
                String why =
                    "the coordinator at "
                        + c.address
                        + " did not answer within "
                        + settings.requestTimeout().toSeconds()
                        + " s";
                failed(c, why, true);
                return CompletableFuture.<Reply>failedFuture(new Unreachable(why));
              }
              if (switchesLeft <= 0 || !(err instanceof Unreachable)) {
                return CompletableFuture.<Reply>failedFuture(err);
              }
              // Never connected: the line was not sent, so the next address may have it.
              return c.established
                  .handle((ok, connectErr) -> connectErr != null)
                  .thenCompose(
                      neverUp -> {
                        if (!neverUp) {
                          return CompletableFuture.<Reply>failedFuture(err);
                        }
                        failed(c, err.getMessage(), true);
                        return request(line, switchesLeft - 1);
                      });
            })
        .thenCompose(x -> x);
  }

  public synchronized void close() {
    if (connection != null && !connection.closed) {
      connection.closed = true;
      connection.out.complete();
    }
  }

  private String all() {
    StringBuilder b = new StringBuilder();
    for (CoordinatorAddress a : addresses) {
      b.append(b.length() == 0 ? "" : ", ").append(a);
    }
    return b.toString();
  }

  /**
   * Ends {@code c}, failing what waits on it; if {@code moveOn}, new connections go to the address
   * after {@code c}'s (once per connection, and only if no other connection moved on already).
   */
  private void failed(Connection c, String reason, boolean moveOn) {
    synchronized (this) {
      if (moveOn && !c.movedOn) {
        c.movedOn = true;
        if (addresses.get(current).equals(c.address)) {
          current = (current + 1) % addresses.size();
        }
      }
    }
    c.fail(reason);
  }

  /** Says so on the console when a connection comes up at another address than the last one. */
  private void up(Connection c) {
    String notice = null;
    synchronized (this) {
      if (!lastUp.equals(c.address)) {
        notice = "coordinator " + lastUp + " unreachable, now using " + c.address;
        lastUp = c.address;
      }
    }
    if (notice != null) {
      notices.accept(notice);
    }
  }

  private synchronized Connection connection() {
    if (connection != null && !connection.closed) {
      return connection;
    }
    CoordinatorAddress address = addresses.get(current);
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, org.apache.pekko.NotUsed>> q =
        Source.<ByteString>queue(1024).preMaterialize(system);
    Connection[] self = new Connection[1];
    Pair<CompletionStage<Tcp.OutgoingConnection>, CompletionStage<org.apache.pekko.Done>> run =
        q.second()
            .viaMat(
                Tcp.get(system)
                    .outgoingConnection(
                        new InetSocketAddress(address.host(), address.port()),
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
    Connection c = new Connection(address, q.first(), run.first());
    self[0] = c;
    run.second()
        .whenComplete(
            (done, err) -> {
              if (err == null) {
                failed(c, "the coordinator at " + address + " closed the connection", false);
              } else {
                failed(c, unreachable(address, err), true);
              }
            });
    run.first()
        .whenComplete(
            (ok, err) -> {
              if (err != null) {
                failed(c, unreachable(address, err), true);
              } else {
                up(c);
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
              failed(
                  c,
                  "the coordinator refused our secret: " + e.code().code + " " + e.explanation(),
                  false);
            }
          });
    }
    return c;
  }

  private static String unreachable(Object address, Throwable err) {
    return "cannot reach the coordinator at " + address + " (" + Failures.rootMessage(err) + ")";
  }
}
