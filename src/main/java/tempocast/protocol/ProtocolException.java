package tempocast.protocol;

/** A line that is not valid protocol; {@code code} is the wire error code. */
public final class ProtocolException extends Exception {
  private final String code;

  public ProtocolException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public String code() {
    return code;
  }

  /** The reply line for this error, without the line terminator. */
  public String toReply() {
    return Replies.error(code, getMessage());
  }
}
