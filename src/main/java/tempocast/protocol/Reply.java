package tempocast.protocol;

import java.util.List;

/**
 * The coordinator's answer to one command, typed. Actors reply with these; text is rendered only at
 * the edges ({@link Replies#render} at the command port, {@link Replies#parse} in the participant),
 * so that an actor never reads or writes protocol lines.
 */
public sealed interface Reply {

  /** Why a command was refused; {@code code} is its word on the wire. */
  enum ErrorCode {
    BAD_REQUEST("bad-request"),
    TOO_LONG("too-long"),
    UNKNOWN_GROUP("unknown-group"),
    GROUP_EXISTS("group-exists"),
    NOT_REGISTERED("not-registered"),
    UNKNOWN_RECIPIENT("unknown-recipient"),
    ALREADY_REGISTERED("already-registered"),
    NOT_MEMBER("not-member"),
    ALREADY_MEMBER("already-member"),
    NOT_ONLINE("not-online"),
    UNREACHABLE("unreachable"),
    NO_MESSAGE("no-message"),
    NOT_SENDER("not-sender"),
    NOT_EMPTY("not-empty"),
    STORAGE("storage"),
    FORBIDDEN("forbidden"),
    BUSY("busy"),
    INTERNAL("internal");

    public final String code;

    ErrorCode(String code) {
      this.code = code;
    }

    public static ErrorCode of(String code) {
      for (ErrorCode c : values()) {
        if (c.code.equals(code)) {
          return c;
        }
      }
      return INTERNAL;
    }
  }

  record Error(ErrorCode code, String explanation) implements Reply {}

  record Authenticated(String group, String member) implements Reply {}

  /** {@code nextSeq}: the first sequence number of {@code group} the member is owed. */
  record Registered(String group, String member, long nextSeq) implements Reply {}

  record Reconnected(String group, String member) implements Reply {}

  record Disconnected(String group, String member) implements Reply {}

  record Deregistered(String group, String member) implements Reply {}

  /** {@code target}: a group name, or {@code @ID} for a direct message to ID's inbox. */
  record Sent(String target, long seq) implements Reply {}

  record Created(String group, long tdMillis, long nextSeq) implements Reply {}

  record Joined(String group, String member, long nextSeq) implements Reply {}

  record Left(String group, String member) implements Reply {}

  record Removed(String group) implements Reply {}

  record GroupInfo(String name, int members, int online, long tdMillis) {}

  /** Every group, in name order. */
  record GroupList(List<GroupInfo> groups) implements Reply {
    public GroupList {
      groups = List.copyOf(groups);
    }
  }

  record MemberInfo(String id, boolean online) {}

  /** A group's members, in ID order. */
  record MemberList(String group, List<MemberInfo> members) implements Reply {
    public MemberList {
      members = List.copyOf(members);
    }
  }

  enum State {
    SENT,
    DELIVERED,
    EXPIRED
  }

  /** {@code deliveredAt}: the coordinator's time of the recipient's ACK, or -1. */
  record RecipientState(String recipient, State state, long deliveredAt) {}

  /** The recipients owed a message when it was sent, in ID order. */
  record MessageStatus(String target, long seq, List<RecipientState> recipients) implements Reply {
    public MessageStatus {
      recipients = List.copyOf(recipients);
    }
  }

  enum Pong implements Reply {
    INSTANCE
  }
}
