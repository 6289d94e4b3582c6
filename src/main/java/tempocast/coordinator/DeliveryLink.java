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
   * The session's side of its link that the connection calls directly, on its own thread: the
   * acknowledgements, which would otherwise be a message each.
   */
  interface Listener {
    /**
     * The receiver acknowledged everything of {@code target} up to {@code seq} on link {@code
     * linkId}; true: the session has cursor moves for the next progress sweep, and was not yet
     * waiting for one.
     */
    boolean acked(int linkId, String target, long seq);

    /** Hands over the cursor moves since the last sweep. */
    void sweepProgress(ProgressSweep sweep);
  }

  /**
   * Opens a participant's delivery connection. Acknowledgements go to {@code listener} if there is
   * one, else as {@link ParticipantSession.LinkAcked} to {@code events}; {@link
   * ParticipantSession.LinkClosed} goes to {@code events}; both tagged with {@code linkId}. With
   * {@code awaitAnswer} the link is up only once the receiver has said something (it answers the
   * PING sent after HELLO), not as soon as TCP connects.
   */
  interface Connector {
    CompletionStage<DeliveryLink> connect(
        String host,
        int port,
        String member,
        int linkId,
        boolean awaitAnswer,
        ActorRef<ParticipantSession.Command> events,
        Listener listener);
  }
}
