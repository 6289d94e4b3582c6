package tempocast.protocol;

/** A command line sent by a participant to the coordinator's port. */
public sealed interface ClientCommand {
  /** Proves this connection may act for {@code member}: see docs/PROTOCOL.md, "Secrets". */
  record Auth(String group, String member, String secret) implements ClientCommand {}

  record Register(String group, String member, String host, int port) implements ClientCommand {}

  record Reconnect(String group, String member, String host, int port) implements ClientCommand {}

  record Disconnect(String group, String member) implements ClientCommand {}

  record Deregister(String group, String member) implements ClientCommand {}

  /** {@code msgId} is null when the sender chose none ({@code -} on the wire). */
  record MSend(String group, String member, String msgId, byte[] text) implements ClientCommand {}

  enum Ping implements ClientCommand {
    INSTANCE
  }
}
