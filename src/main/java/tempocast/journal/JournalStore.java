package tempocast.journal;

import java.util.List;
import java.util.Map;
import tempocast.protocol.StoredMessage;

/**
 * Where messages and membership live. Implementations block; call them only from the journal actor,
 * which runs on the blocking-I/O dispatcher.
 */
public interface JournalStore extends AutoCloseable {

  /**
   * Everything needed to resume after a restart; {@code recentByGroup} holds each group's latest
   * messages, whose message IDs let a retried MSEND be recognised across the restart.
   */
  record Snapshot(
      Map<String, Long> lastSeqByGroup,
      List<MemberRecord> members,
      Map<String, List<StoredMessage>> recentByGroup) {
    public Snapshot(Map<String, Long> lastSeqByGroup, List<MemberRecord> members) {
      this(lastSeqByGroup, members, Map.of());
    }
  }

  /**
   * The stored messages of a group with {@code seq >= from} and {@code timestamp >= notBefore}, at
   * most {@code max}; {@code upTo} is the highest sequence number this read has passed (every
   * stored message in {@code [from, upTo]} that meets {@code notBefore} is in {@code messages}).
   */
  record ReadResult(List<StoredMessage> messages, long upTo) {}

  Snapshot load();

  /** Stores the batch atomically; with {@code sync} it is on disk (fsync) before returning. */
  void append(List<StoredMessage> batch, boolean sync);

  /** As {@link #read(String, long, long, int, long)} with no bound on bytes. */
  default ReadResult read(String group, long from, long notBefore, int max) {
    return read(group, from, notBefore, max, Long.MAX_VALUE);
  }

  /** Stops early once the texts read reach {@code maxBytes} (always returning at least one). */
  ReadResult read(String group, long from, long notBefore, int max, long maxBytes);

  /**
   * Deletes the group's messages with {@code seq <= maxSeq} and {@code timestamp < olderThan}, from
   * the oldest on, stopping at the first one that must stay. Returns how many were deleted.
   */
  long prune(String group, long maxSeq, long olderThan);

  void putMember(MemberRecord record, boolean sync);

  void removeMember(String group, String member, boolean sync);

  @Override
  void close();
}
