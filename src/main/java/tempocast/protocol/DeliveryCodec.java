package tempocast.protocol;

/**
 * The delivery protocol: coordinator to receiver ({@code HELLO}, {@code MSG}), and back ({@code
 * ACK}).
 */
public final class DeliveryCodec {
  /** The coordinator's heartbeat on a quiet delivery connection, and the receiver's answer. */
  public static final String PING = "PING";

  public static final String PONG = "PONG";

  private DeliveryCodec() {}

  /** One delivered message, as the receiver reads it. */
  public record Delivery(String group, long seq, long timestamp, String sender, String text) {}

  /** Something the coordinator sent on a delivery connection. */
  public sealed interface Frame {}

  public record Hello(String group, String member) implements Frame {}

  public record Msg(Delivery delivery) implements Frame {}

  public static String hello(String group, String member) {
    return "HELLO " + group + " " + member;
  }

  public static String ack(String group, long seq) {
    return "ACK " + group + " " + seq;
  }

  public static Frame parseFrame(String line) throws ProtocolException {
    if (line.startsWith("MSG ")) {
      int a = 3;
      int b = line.indexOf(' ', a + 1);
      int c = b < 0 ? -1 : line.indexOf(' ', b + 1);
      int d = c < 0 ? -1 : line.indexOf(' ', c + 1);
      int e = d < 0 ? -1 : line.indexOf(' ', d + 1);
      if (e < 0) {
        throw new ProtocolException(Replies.BAD_REQUEST, "usage: MSG GROUP SEQ TS SENDER TEXT");
      }
      try {
        return new Msg(
            new Delivery(
                line.substring(a + 1, b),
                Long.parseLong(line.substring(b + 1, c)),
                Long.parseLong(line.substring(c + 1, d)),
                line.substring(d + 1, e),
                line.substring(e + 1)));
      } catch (NumberFormatException ex) {
        throw new ProtocolException(
            Replies.BAD_REQUEST, "MSG with a SEQ or TS that is not a number");
      }
    }
    if (line.startsWith("HELLO ")) {
      String[] f = line.split(" ", -1);
      if (f.length == 3) {
        return new Hello(f[1], f[2]);
      }
    }
    throw new ProtocolException(Replies.BAD_REQUEST, "expected HELLO or MSG");
  }

  /** Parses {@code ACK GROUP SEQ}; returns null for anything else. */
  public static Ack parseAck(String line) {
    String[] f = line.split(" ", -1);
    if (f.length != 3 || !f[0].equals("ACK")) {
      return null;
    }
    try {
      return new Ack(f[1], Long.parseLong(f[2]));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  public record Ack(String group, long seq) {}
}
