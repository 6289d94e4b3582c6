package tempocast.protocol;

/**
 * Reply lines of the command protocol (see docs/PROTOCOL.md), without the terminator: {@link
 * #render} turns a typed {@link Reply} into its line, {@link #parse} reads it back.
 */
public final class Replies {
  public static final String BAD_REQUEST = "bad-request";
  public static final String TOO_LONG = "too-long";
  public static final String UNKNOWN_GROUP = "unknown-group";
  public static final String NOT_REGISTERED = "not-registered";
  public static final String ALREADY_REGISTERED = "already-registered";
  public static final String NOT_ONLINE = "not-online";
  public static final String UNREACHABLE = "unreachable";
  public static final String STORAGE = "storage";
  public static final String INTERNAL = "internal";
  public static final String FORBIDDEN = "forbidden";

  private Replies() {}

  public static String error(String code, String explanation) {
    return "ERROR " + code + " " + explanation;
  }

  public static String authenticated(String group, String member) {
    return "OK AUTH " + group + " " + member;
  }

  public static String registered(String group, String member, long nextSeq) {
    return "OK REGISTERED " + group + " " + member + " " + nextSeq;
  }

  public static String reconnected(String group, String member) {
    return "OK RECONNECTED " + group + " " + member;
  }

  public static String disconnected(String group, String member) {
    return "OK DISCONNECTED " + group + " " + member;
  }

  public static String deregistered(String group, String member) {
    return "OK DEREGISTERED " + group + " " + member;
  }

  public static String sent(String group, long seq) {
    return "OK SENT " + group + " " + seq;
  }

  public static final String PONG = "PONG";

  /** A duration in seconds as the protocol and the console write it: {@code 10}, {@code 2.5}. */
  public static String seconds(long millis) {
    if (millis % 1000 == 0) {
      return Long.toString(millis / 1000);
    }
    return java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
  }

  /** Parses seconds ({@code 10}, {@code 2.5}) into milliseconds; positive, at most a year. */
  public static long parseSeconds(String s) throws ProtocolException {
    try {
      java.math.BigDecimal d = new java.math.BigDecimal(s);
      long ms = d.movePointRight(3).longValueExact();
      if (ms > 0 && ms <= 366L * 24 * 3600 * 1000 && !s.startsWith("+")) {
        return ms;
      }
    } catch (NumberFormatException | ArithmeticException e) {
      // reported below
    }
    throw new ProtocolException(
        BAD_REQUEST, "invalid td '" + s + "': seconds, positive, at most 3 decimals (10, 2.5)");
  }

  public static String render(Reply r) {
    if (r instanceof Reply.Error e) {
      return error(e.code().code, e.explanation());
    }
    if (r instanceof Reply.Sent s) {
      return sent(s.target(), s.seq());
    }
    if (r instanceof Reply.Authenticated a) {
      return authenticated(a.group(), a.member());
    }
    if (r instanceof Reply.Registered g) {
      return registered(g.group(), g.member(), g.nextSeq());
    }
    if (r instanceof Reply.Reconnected g) {
      return reconnected(g.group(), g.member());
    }
    if (r instanceof Reply.Disconnected g) {
      return disconnected(g.group(), g.member());
    }
    if (r instanceof Reply.Deregistered g) {
      return deregistered(g.group(), g.member());
    }
    if (r instanceof Reply.Created c) {
      return "OK CREATED " + c.group() + " " + seconds(c.tdMillis()) + " " + c.nextSeq();
    }
    if (r instanceof Reply.Joined j) {
      return "OK JOINED " + j.group() + " " + j.member() + " " + j.nextSeq();
    }
    if (r instanceof Reply.Removed g) {
      return "OK REMOVED " + g.group();
    }
    if (r instanceof Reply.Left l) {
      return "OK LEFT " + l.group() + " " + l.member();
    }
    if (r instanceof Reply.GroupList l) {
      StringBuilder b = new StringBuilder("OK GROUPS ").append(l.groups().size());
      for (Reply.GroupInfo g : l.groups()) {
        b.append(' ').append(g.name()).append(' ').append(g.members());
        b.append(' ').append(g.online()).append(' ').append(seconds(g.tdMillis()));
      }
      return b.toString();
    }
    if (r instanceof Reply.MemberList l) {
      StringBuilder b = new StringBuilder("OK MEMBERS ").append(l.group());
      b.append(' ').append(l.members().size());
      for (Reply.MemberInfo m : l.members()) {
        b.append(' ').append(m.id()).append(m.online() ? " online" : " offline");
      }
      return b.toString();
    }
    if (r instanceof Reply.MessageStatus st) {
      StringBuilder b = new StringBuilder("OK STATUS ").append(st.target()).append(' ');
      b.append(st.seq()).append(' ').append(st.recipients().size());
      for (Reply.RecipientState x : st.recipients()) {
        b.append(' ').append(x.recipient()).append(' ');
        switch (x.state()) {
          case SENT -> b.append("sent");
          case EXPIRED -> b.append("expired");
          case DELIVERED -> b.append("delivered:").append(x.deliveredAt());
        }
      }
      return b.toString();
    }
    return PONG;
  }

  /** Reads a reply line back; a line that is no reply at all becomes an {@code internal} error. */
  public static Reply parse(String line) {
    String[] f = line.split(" ", -1);
    try {
      if (f[0].equals("ERROR")) {
        String[] e = line.split(" ", 3);
        return new Reply.Error(
            Reply.ErrorCode.of(e.length > 1 ? e[1] : ""), e.length > 2 ? e[2] : "");
      }
      if (line.equals(PONG)) {
        return Reply.Pong.INSTANCE;
      }
      if (f[0].equals("OK") && f.length >= 2) {
        switch (f[1]) {
          case "SENT":
            return new Reply.Sent(f[2], Long.parseLong(f[3]));
          case "AUTH":
            return new Reply.Authenticated(f[2], f[3]);
          case "REGISTERED":
            return new Reply.Registered(f[2], f[3], Long.parseLong(f[4]));
          case "RECONNECTED":
            return new Reply.Reconnected(f[2], f[3]);
          case "DISCONNECTED":
            return new Reply.Disconnected(f[2], f[3]);
          case "DEREGISTERED":
            return new Reply.Deregistered(f[2], f[3]);
          case "CREATED":
            return new Reply.Created(f[2], parseSeconds(f[3]), Long.parseLong(f[4]));
          case "JOINED":
            return new Reply.Joined(f[2], f[3], Long.parseLong(f[4]));
          case "REMOVED":
            return new Reply.Removed(f[2]);
          case "LEFT":
            return new Reply.Left(f[2], f[3]);
          case "GROUPS":
            {
              int n = Integer.parseInt(f[2]);
              java.util.List<Reply.GroupInfo> gs = new java.util.ArrayList<>(n);
              for (int i = 0; i < n; i++) {
                int k = 3 + 4 * i;
                gs.add(
                    new Reply.GroupInfo(
                        f[k],
                        Integer.parseInt(f[k + 1]),
                        Integer.parseInt(f[k + 2]),
                        parseSeconds(f[k + 3])));
              }
              return new Reply.GroupList(gs);
            }
          case "MEMBERS":
            {
              int n = Integer.parseInt(f[3]);
              java.util.List<Reply.MemberInfo> ms = new java.util.ArrayList<>(n);
              for (int i = 0; i < n; i++) {
                int k = 4 + 2 * i;
                ms.add(new Reply.MemberInfo(f[k], f[k + 1].equals("online")));
              }
              return new Reply.MemberList(f[2], ms);
            }
          case "STATUS":
            {
              int n = Integer.parseInt(f[4]);
              java.util.List<Reply.RecipientState> rs = new java.util.ArrayList<>(n);
              for (int i = 0; i < n; i++) {
                int k = 5 + 2 * i;
                String st = f[k + 1];
                if (st.startsWith("delivered:")) {
                  rs.add(
                      new Reply.RecipientState(
                          f[k],
                          Reply.State.DELIVERED,
                          Long.parseLong(st.substring("delivered:".length()))));
                } else {
                  rs.add(
                      new Reply.RecipientState(
                          f[k], st.equals("expired") ? Reply.State.EXPIRED : Reply.State.SENT, -1));
                }
              }
              return new Reply.MessageStatus(f[2], Long.parseLong(f[3]), rs);
            }
          default:
            break;
        }
      }
    } catch (RuntimeException | ProtocolException e) {
      // reported below
    }
    return new Reply.Error(
        Reply.ErrorCode.INTERNAL, "unexpected reply from the coordinator: " + line);
  }
}
