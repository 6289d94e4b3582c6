package tempocast.journal;

/**
 * The temporally-bound persistence rules, as pure functions of coordinator times in epoch
 * milliseconds. A member offline for at most td is owed everything it has not acknowledged; one
 * offline for longer is owed only what was sent in the last td before it came back. The boundary is
 * inclusive: offline exactly td still gets everything, and a message exactly td old is kept.
 */
public final class Retention {
  /** A {@code notBefore} that excludes nothing. */
  public static final long EVERYTHING = Long.MIN_VALUE;

  private Retention() {}

  public static boolean owedEverything(long offlineSince, long reconnectAt, long tdMillis) {
    return reconnectAt - offlineSince <= tdMillis;
  }

  /** The oldest timestamp a member reconnecting at {@code reconnectAt} is still owed. */
  public static long replayNotBefore(long offlineSince, long reconnectAt, long tdMillis) {
    return owedEverything(offlineSince, reconnectAt, tdMillis)
        ? EVERYTHING
        : reconnectAt - tdMillis;
  }

  /**
   * Whether a participant may still be owed messages older than td, so its cursors bound pruning:
   * one whose receiver is reachable, or one out of reach (offline, or lost without saying so) for
   * at most td.
   */
  public static boolean protectsBacklog(ParticipantRecord p, long now, long tdMillis) {
    return p.offlineSince() < 0 || now - p.offlineSince() <= tdMillis;
  }

  /**
   * Whether a recipient still offline at {@code now} can no longer get a message of this timestamp:
   * it has been away longer than td, and the message is older than td.
   */
  public static boolean expiredWhileAway(
      long offlineSince, long timestamp, long now, long tdMillis) {
    return offlineSince >= 0 && now - offlineSince > tdMillis && timestamp < now - tdMillis;
  }

  /** Messages with a timestamp below this are older than td at {@code now}. */
  public static long expiredBefore(long now, long tdMillis) {
    return now - tdMillis;
  }
}
