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
   * Whether the member may still be owed messages older than td, so its cursor bounds pruning: a
   * member whose receiver is reachable, or one out of reach (offline, or lost without saying so)
   * for at most td.
   */
  public static boolean protectsBacklog(MemberRecord r, long now, long tdMillis) {
    return r.offlineSince() < 0 || now - r.offlineSince() <= tdMillis;
  }

  /** Messages with a timestamp below this are older than td at {@code now}. */
  public static long expiredBefore(long now, long tdMillis) {
    return now - tdMillis;
  }
}
