package tempocast.journal;

/**
 * What the coordinator keeps of a member across restarts.
 *
 * @param incarnation the group's last sequence number when the member registered; it identifies
 *     this registration (a member that deregisters and registers again gets a new one) and is the
 *     cursor's starting point, so the member never receives what was sent before it joined
 * @param offlineSince coordinator time (epoch ms) the member went offline; -1 while online
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
