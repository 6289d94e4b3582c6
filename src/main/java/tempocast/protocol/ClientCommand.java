package tempocast.protocol;

/** A command line sent by a participant to the coordinator's port. */
public sealed interface ClientCommand {
  /** The participant the command acts for (its credential is checked), or "" for none. */
  default String member() {
    return "";
  }

  /** Proves this connection may act for {@code member}: see docs/PROTOCOL.md, "Secrets". */
  record Auth(String group, String member, String secret) implements ClientCommand {}

  record Register(String group, String member, String host, int port) implements ClientCommand {}

  record Reconnect(String group, String member, String host, int port) implements ClientCommand {}

  record Disconnect(String group, String member) implements ClientCommand {}

  record Deregister(String group, String member) implements ClientCommand {}

  /** {@code msgId} is null when the sender chose none ({@code -} on the wire). */
  record MSend(String group, String member, String msgId, byte[] text) implements ClientCommand {}

  /**
   * Creates {@code group} and makes {@code member} its first member; {@code tdMillis} -1: the
   * coordinator's td.
   */
  record Create(String group, String member, long tdMillis) implements ClientCommand {}

  record Join(String group, String member) implements ClientCommand {}

  record Leave(String group, String member) implements ClientCommand {}

  /** An operator's command: removes a group that has no members, with all it stored. */
  record Remove(String group) implements ClientCommand {}

  /** A direct message from {@code member} to {@code to}'s inbox, {@code @to}. */
  record Send(String member, String to, String msgId, byte[] text) implements ClientCommand {}

  /**
   * Who was owed message {@code seq} of {@code target} (a group or {@code @ID}), and its state for
   * each.
   */
  record Status(String member, String target, long seq) implements ClientCommand {}

  /**
   * The group's members; {@code member} (may be "") asks as that participant, which must then be
   * registered (a console always names itself; a person with nc need not).
   */
  record Members(String group, String member) implements ClientCommand {}

  /** Every group; {@code member} as for {@link Members}. */
  record ListGroups(String member) implements ClientCommand {}

  enum Ping implements ClientCommand {
    INSTANCE
  }
}
