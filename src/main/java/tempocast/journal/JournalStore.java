package tempocast.journal;

import java.util.List;
import java.util.Map;
import tempocast.protocol.StoredMessage;

/**
 * Where messages, groups, participants, memberships and delivery progress live. A target is a group
 * or a participant's inbox ({@code @ID}); each has its own sequence space. Implementations block;
 * call them only from the journal actor, which runs on the blocking-I/O dispatcher.
 */
public interface JournalStore extends AutoCloseable {

  /**
   * What the coordinator's directory needs at start-up to name everything again: the groups, every
   * target's last sequence number, the participants and their memberships. Each group and inbox
   * loads the rest of its own state ({@link #loadTarget}) when its manager starts.
   */
  record Snapshot(
      List<GroupRecord> groups,
      Map<String, Long> lastSeqByTarget,
      List<ParticipantRecord> participants,
      List<MembershipRecord> memberships) {
    public static final Snapshot EMPTY = new Snapshot(List.of(), Map.of(), List.of(), List.of());
  }

  /**
   * What one group or inbox resumes from: its last sequence number, its current and ended
   * memberships, and its latest messages, whose message IDs let a retried MSEND be recognised
   * across a restart.
   */
  record TargetState(
      long lastSeq,
      List<MembershipRecord> memberships,
      List<EndedMembership> ended,
      List<StoredMessage> recent) {
    /** A target that has nothing stored but, if it was removed before, its last seq. */
    public static TargetState empty(long lastSeq) {
      return new TargetState(lastSeq, List.of(), List.of(), List.of());
    }
  }

  /**
   * The stored messages of a target with {@code seq >= from} and {@code timestamp >= notBefore}, at
   * most {@code max}; {@code upTo} is the highest sequence number this read has passed (every
   * stored message in {@code [from, upTo]} that meets {@code notBefore} is in {@code messages}).
   */
  record ReadResult(List<StoredMessage> messages, long upTo) {}

  Snapshot load();

  /** Reads one target's state; memberships and ended memberships in member order. */
  TargetState loadTarget(String target);

  /** Stores the batch atomically; with {@code sync} it is on disk (fsync) before returning. */
  void append(List<StoredMessage> batch, boolean sync);

  /** As {@link #read(String, long, long, int, long)} with no bound on bytes. */
  default ReadResult read(String target, long from, long notBefore, int max) {
    return read(target, from, notBefore, max, Long.MAX_VALUE);
  }

  /** Stops early once the texts read reach {@code maxBytes} (always returning at least one). */
  ReadResult read(String target, long from, long notBefore, int max, long maxBytes);

  /** The message, or null if there is none (never sent, or pruned). */
  StoredMessage message(String target, long seq);

  /**
   * Deletes the target's messages with {@code seq <= maxSeq} and {@code timestamp < olderThan},
   * from the oldest on, stopping at the first one that must stay, and the delivery records that
   * only those messages needed. Returns how many messages were deleted.
   */
  long prune(String target, long maxSeq, long olderThan);

  void putGroup(GroupRecord group, boolean sync);

  /**
   * Deletes a group and everything stored of it (messages, memberships, delivery records) but its
   * last sequence number, from which a group created again under the name goes on.
   */
  void removeGroup(String name, boolean sync);

  void putParticipant(ParticipantRecord participant, boolean sync);

  void removeParticipant(String id, boolean sync);

  void putMembership(MembershipRecord membership, boolean sync);

  /** Ends a membership at {@code endSeq}: it is no longer current, and kept as history. */
  void endMembership(MembershipRecord membership, long endSeq, boolean sync);

  /**
   * A member's cursor moved to {@code membership.cursor()}; {@code ackSeqs[i]} was acknowledged at
   * {@code ackTimes[i]} (coordinator time): the delivered times that delivery states are derived
   * from.
   */
  record Progress(MembershipRecord membership, long[] ackSeqs, long[] ackTimes) {}

  /** Writes cursor moves, many at once; no fsync (a lagging cursor only means a resend). */
  void putProgress(List<Progress> batch);

  /**
   * The member came back later than td: of what came after {@code afterSeq}, the messages older
   * than {@code notBefore} were never sent to it and count as expired.
   */
  void putExpiry(String target, String member, long afterSeq, long notBefore, boolean sync);

  /**
   * When the member acknowledged message {@code seq}: the time of its first acknowledgement of a
   * sequence number in {@code [seq, upTo]}, or -1 if there is none.
   */
  long deliveredAt(String target, String member, long seq, long upTo);

  /** Whether a {@link #putExpiry} marker of the member covers this message (seq, timestamp). */
  boolean expiredByMarker(String target, String member, long seq, long timestamp);

  @Override
  void close();
}
