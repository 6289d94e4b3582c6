package tempocast.coordinator;

import java.net.ConnectException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * Receivers for actor tests: what a session sends arrives at a probe, and the test plays the
 * receiver by acknowledging. Ports in {@code refused} act as if nothing listened there.
 */
final class FakeReceivers implements DeliveryLink.Connector {
  record Sent(String member, int linkId, String lines) {}

  /** {@code ended}: the link broke or was closed; what is sent on it is lost, as for real. */
  record Link(
      int linkId,
      ActorRef<ParticipantSession.Command> session,
      java.util.concurrent.atomic.AtomicBoolean ended) {}

  final TestProbe<Sent> sent;

  /** EVENT and DELIVERED lines: notices, kept apart from the deliveries. */
  final TestProbe<Sent> notices;

  /** The OWED lines each member was sent, in order: progress notices, kept apart from both. */
  final Map<String, List<String>> owed = new ConcurrentHashMap<>();

  final Map<String, Link> links = new ConcurrentHashMap<>();
  final Set<Integer> refused = ConcurrentHashMap.newKeySet();

  /**
   * Ports whose connections stay in progress until the test ends them ({@link #release}, {@link
   * #refuseHeld}): an attach the session waits for.
   */
  final Set<Integer> held = ConcurrentHashMap.newKeySet();

  /** A connection in progress to a held port. */
  record Held(
      String member,
      int linkId,
      ActorRef<ParticipantSession.Command> session,
      CompletableFuture<DeliveryLink> future,
      java.util.concurrent.atomic.AtomicBoolean ended) {}

  final List<Held> inProgress = new CopyOnWriteArrayList<>();

  /** Connection attempts per member, refused ones included. */
  final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

  FakeReceivers(TestProbe<Sent> sent, TestProbe<Sent> notices) {
    this.sent = sent;
    this.notices = notices;
  }

  @Override
  public CompletionStage<DeliveryLink> connect(
      String host,
      int port,
      String member,
      int linkId,
      boolean awaitAnswer,
      ActorRef<ParticipantSession.Command> events,
      DeliveryLink.Listener listener) {
    // The test plays the receiver by telling the session LinkAcked: the listener is not used.
    attempts.computeIfAbsent(member, m -> new AtomicInteger()).incrementAndGet();
    if (refused.contains(port)) {
      return CompletableFuture.failedFuture(new ConnectException("Connection refused"));
    }
    java.util.concurrent.atomic.AtomicBoolean ended =
        new java.util.concurrent.atomic.AtomicBoolean();
    if (held.contains(port)) {
      Held h = new Held(member, linkId, events, new CompletableFuture<>(), ended);
      inProgress.add(h);
      return h.future();
    }
    links.put(member, new Link(linkId, events, ended));
    return CompletableFuture.completedFuture(link(member, linkId, ended));
  }

  /**
   * Ends the oldest connection in progress for {@code member}: the receiver answered. It becomes
   * the member's link for {@link #ack} unless a newer one is already.
   */
  Held release(String member) {
    Held h = takeHeld(member);
    links.merge(
        member,
        new Link(h.linkId(), h.session(), h.ended()),
        (old, now) -> now.linkId() > old.linkId() ? now : old);
    h.future().complete(link(member, h.linkId(), h.ended()));
    return h;
  }

  /** Ends the oldest connection in progress for {@code member}: nothing listens there. */
  Held refuseHeld(String member) {
    Held h = takeHeld(member);
    h.future().completeExceptionally(new ConnectException("Connection refused"));
    return h;
  }

  /** The session connects on its own thread: waits for it, a few seconds at most. */
  private Held takeHeld(String member) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      for (Held h : inProgress) {
        if (h.member().equals(member)) {
          inProgress.remove(h);
          return h;
        }
      }
      Thread.onSpinWait();
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new AssertionError("no connection to " + member + " in progress");
  }

  private DeliveryLink link(
      String member, int linkId, java.util.concurrent.atomic.AtomicBoolean ended) {
    return new DeliveryLink() {
      @Override
      public void send(ByteString lines) {
        if (ended.get()) {
          return; // as on a real connection that ended: what is sent on it is lost
        }
        String text = withoutOwed(member, lines.utf8String());
        if (text.isEmpty()) {
          return;
        }
        boolean notice = text.startsWith("EVENT ") || text.startsWith("DELIVERED ");
        (notice ? notices : sent).ref().tell(new Sent(member, linkId, text));
      }

      @Override
      public void close() {
        ended.set(true);
      }
    };
  }

  private String withoutOwed(String member, String text) {
    StringBuilder rest = new StringBuilder();
    for (String line : text.split("(?<=\n)")) {
      if (line.startsWith("OWED ")) {
        owed.computeIfAbsent(member, m -> new CopyOnWriteArrayList<>()).add(line.strip());
      } else {
        rest.append(line);
      }
    }
    return rest.toString();
  }

  /** The OWED lines {@code member} was sent so far. */
  List<String> owed(String member) {
    return owed.getOrDefault(member, List.of());
  }

  void ack(String member, long seq) {
    ack(member, "main", seq);
  }

  void ack(String member, String target, long seq) {
    Link l = links.get(member);
    l.session().tell(new ParticipantSession.LinkAcked(l.linkId(), target, seq));
  }

  int attempts(String member) {
    AtomicInteger n = attempts.get(member);
    return n == null ? 0 : n.get();
  }

  void breakLink(String member) {
    Link l = links.get(member);
    // Broken now: the session hears of it from its mailbox, and a group that writes to the
    // session directly meanwhile writes into a dead connection, as it would for real.
    l.ended().set(true);
    l.session().tell(new ParticipantSession.LinkClosed(l.linkId(), "test broke the link"));
  }
}
