package tempocast.journal;

/**
 * A membership that ended (the member left the group, or deregistered): it was owed the target's
 * messages {@code (joinSeq, endSeq]}, which is what a delivery-state query needs to know.
 */
public record EndedMembership(String target, String member, long joinSeq, long endSeq) {}
