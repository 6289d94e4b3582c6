package tempocast.protocol;

/** Reply lines of the command protocol (see docs/PROTOCOL.md), without the terminator. */
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
}
