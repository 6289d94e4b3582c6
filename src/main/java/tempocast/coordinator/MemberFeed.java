package tempocast.coordinator;

/**
 * What a group's manager calls directly, on its own thread, instead of sending a message per member
 * and message: the fan-out's one hop less. A session that cannot take a delivery this way (behind,
 * reading its journal, offline, window full, a delivery still in its mailbox) says so, and the
 * manager sends {@link ParticipantSession.Deliver} instead, which the session handles as before.
 */
public interface MemberFeed {
  /**
   * Writes {@code d}'s messages to the link if the member keeps up; false: send it as a message.
   */
  boolean offer(ParticipantSession.Deliver d);

  /**
   * Writes the notice if the member's receiver is there; drops it otherwise, as the message does.
   */
  void notice(ParticipantSession.Notice n);
}
