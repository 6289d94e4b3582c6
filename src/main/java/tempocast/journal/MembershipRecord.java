package tempocast.journal;

/**
 * A participant's membership of a target: a group, or its own inbox {@code @ID}.
 *
 * @param joinSeq the target's last sequence number when the membership began: the member is owed
 *     what comes after it, never what came before (a new entrant)
 * @param cursor the highest sequence number of the target the member's receiver acknowledged, or
 *     passed over as no longer owed to it
 */
public record MembershipRecord(String target, String member, long joinSeq, long cursor) {
  public MembershipRecord withCursor(long newCursor) {
    return new MembershipRecord(target, member, joinSeq, newCursor);
  }
}
