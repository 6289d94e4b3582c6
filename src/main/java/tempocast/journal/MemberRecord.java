package tempocast.journal;

/**
 * What the coordinator keeps of a member across restarts.
 *
 * @param incarnation the group's last sequence number when the member registered; it identifies
 *     this registration (a member that deregisters and registers again gets a new one) and is the
 *     cursor's starting point, so the member never receives what was sent before it joined
 * @param online online by the member's own account: registered or reconnected with no DISCONNECT
 *     since (its receiver may be lost for a while; the coordinator then keeps trying to reach it)
 * @param offlineSince coordinator time (epoch ms) since when deliveries cannot reach the member (it
 *     went offline, or its receiver was lost); -1 while its receiver is reachable
 * @param cursor the highest sequence number the member has acknowledged
 * @param secretHash SHA-256 of the secret the member registered with (hex), or null for none;
 *     commands for a member with a secret are accepted only from connections that proved it
 */
public record MemberRecord(
    String group,
    String member,
    long incarnation,
    boolean online,
    long offlineSince,
    long cursor,
    String host,
    int port,
    String secretHash) {

  /** A member without a secret: any connection may act for it. */
  public MemberRecord(
      String group,
      String member,
      long incarnation,
      boolean online,
      long offlineSince,
      long cursor,
      String host,
      int port) {
    this(group, member, incarnation, online, offlineSince, cursor, host, port, null);
  }

  public MemberRecord withCursor(long newCursor) {
    return new MemberRecord(
        group, member, incarnation, online, offlineSince, newCursor, host, port, secretHash);
  }
}
