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
    links.put(member, new Link(linkId, events, ended));
    return CompletableFuture.completedFuture(
        new DeliveryLink() {
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
        });
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
