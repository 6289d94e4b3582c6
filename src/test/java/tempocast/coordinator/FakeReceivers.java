package tempocast.coordinator;

import java.net.ConnectException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
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

  record Link(int linkId, ActorRef<MemberSession.Command> session) {}

  final TestProbe<Sent> sent;
  final Map<String, Link> links = new ConcurrentHashMap<>();
  final Set<Integer> refused = ConcurrentHashMap.newKeySet();

  /** Connection attempts per member, refused ones included. */
  final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

  FakeReceivers(TestProbe<Sent> sent) {
    this.sent = sent;
  }

  @Override
  public CompletionStage<DeliveryLink> connect(
      String host,
      int port,
      String group,
      String member,
      int linkId,
      boolean awaitAnswer,
      ActorRef<MemberSession.Command> events) {
    attempts.computeIfAbsent(member, m -> new AtomicInteger()).incrementAndGet();
    if (refused.contains(port)) {
      return CompletableFuture.failedFuture(new ConnectException("Connection refused"));
    }
    links.put(member, new Link(linkId, events));
    return CompletableFuture.completedFuture(
        new DeliveryLink() {
          @Override
          public void send(ByteString lines) {
            sent.ref().tell(new Sent(member, linkId, lines.utf8String()));
          }

          @Override
          public void close() {}
        });
  }

  void ack(String member, long seq) {
    Link l = links.get(member);
    l.session().tell(new MemberSession.LinkAcked(l.linkId(), seq));
  }

  int attempts(String member) {
    AtomicInteger n = attempts.get(member);
    return n == null ? 0 : n.get();
  }

  void breakLink(String member) {
    Link l = links.get(member);
    l.session().tell(new MemberSession.LinkClosed(l.linkId(), "test broke the link"));
  }
}
