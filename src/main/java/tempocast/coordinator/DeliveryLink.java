package tempocast.coordinator;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/** An open delivery connection from the coordinator to one member's receiver. */
public interface DeliveryLink {

  /** Queues delivery lines; the caller bounds what is in flight, so this never blocks. */
  void send(ByteString lines);

  void close();

  /**
   * Opens a participant's delivery connection. Events from the receiver ({@link
   * ParticipantSession.LinkAcked}, {@link ParticipantSession.LinkClosed}) go to {@code events},
   * tagged with {@code linkId}. With {@code awaitAnswer} the link is up only once the receiver has
   * said something (it answers the PING sent after HELLO), not as soon as TCP connects.
   */
  interface Connector {
    CompletionStage<DeliveryLink> connect(
        String host,
        int port,
        String member,
        int linkId,
        boolean awaitAnswer,
        ActorRef<ParticipantSession.Command> events);
  }
}
