package tempocast.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The delivery protocol: coordinator to receiver ({@code HELLO}, {@code MSG}, and the notices
 * {@code EVENT}, {@code DELIVERED} and {@code OWED}), and back ({@code ACK}). One connection per
 * participant carries every group's and its inbox's messages.
 */
public final class DeliveryCodec {
  /** The coordinator's heartbeat on a quiet delivery connection, and the receiver's answer. */
  public static final String PING = "PING";

  public static final String PONG = "PONG";

  private DeliveryCodec() {}

  /**
   * One delivered message, as the receiver reads it; {@code group} is its sequence space: a group,
   * or {@code @ID} for a direct message to ID.
   */
  public record Delivery(String group, long seq, long timestamp, String sender, String text) {}

  /** Something the coordinator sent on a delivery connection. */
  public sealed interface Frame {}

  public record Hello(String member) implements Frame {}

  public record Msg(Delivery delivery) implements Frame {}

  /** What happened to a member of a group, for the console; never logged, never replayed. */
  public enum EventKind {
    JOINED("joined"),
    LEFT("left"),
    OFFLINE("offline"),
    ONLINE("online");

    public final String word;

    EventKind(String word) {
      this.word = word;
    }
  }

  public record Event(String group, String member, EventKind kind) implements Frame {}

  /** A message this participant sent reached every recipient it was owed to. */
  public record Delivered(String target, long seq) implements Frame {}

  /**
   * {@code count} more messages are owed on this connection, to come after this line: sent once a
   * connection is up, for what the participant missed while away (a count of 0 too), and once more
   * for each group whose td rule had to be looked up first. A progress notice, never acknowledged;
   * receivers that do not know it ignore it.
   */
  public record Owed(long count) implements Frame {}

  public static String hello(String member) {
    return "HELLO " + member;
  }

  public static String event(String group, String member, EventKind kind) {
    return "EVENT " + group + " " + member + " " + kind.word;
  }

  public static String delivered(String target, long seq) {
    return "DELIVERED " + target + " " + seq;
  }

  public static String owed(long count) {
    return "OWED " + count;
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
    String[] f = line.split(" ", -1);
    if (f[0].equals("HELLO") && (f.length == 2 || f.length == 3)) {
      return new Hello(
          f[f.length - 1]); // HELLO GROUP MEMBER from before one connection per participant
    }
    if (f[0].equals("EVENT") && f.length == 4) {
      for (EventKind k : EventKind.values()) {
        if (k.word.equals(f[3])) {
          return new Event(f[1], f[2], k);
        }
      }
    }
    if (f[0].equals("DELIVERED") && f.length == 3) {
      try {
        return new Delivered(f[1], Long.parseLong(f[2]));
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    if (f[0].equals("OWED") && f.length == 2) {
      try {
        long n = Long.parseLong(f[1]);
        if (n >= 0) {
          return new Owed(n);
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new ProtocolException(
        Replies.BAD_REQUEST, "expected HELLO, MSG, EVENT, DELIVERED or OWED");
  }

  /**
   * Reads {@code ACK TARGET SEQ} (exactly three fields split at single spaces, SEQ as {@link
   * Long#parseLong} takes it) from the bytes of a line, for the delivery loop, which reads an ACK
   * per member per message: it allocates nothing for an ACK of the same target as the one before
   * (parsing a string, its split and a record per ACK were a sixth of what a one-message-at-a-time
   * coordinator allocated). One per connection; not thread-safe.
   */
  public static final class AckReader {
    private byte[] lastTargetBytes = new byte[0];
    private String lastTarget = "";
    private String target;
    private long seq;

    /** Whether the first {@code length} bytes of {@code line} are an ACK; then see the getters. */
    public boolean read(byte[] line, int length) {
      if (length < 4 || line[0] != 'A' || line[1] != 'C' || line[2] != 'K' || line[3] != ' ') {
        return false;
      }
      int space = -1;
      for (int i = 4; i < length; i++) {
        if (line[i] == ' ') {
          if (space >= 0) {
            return false; // a fourth field
          }
          space = i;
        }
      }
      if (space < 0 || !parseSeq(line, space + 1, length)) {
        return false;
      }
      if (!Arrays.equals(line, 4, space, lastTargetBytes, 0, lastTargetBytes.length)) {
        lastTargetBytes = Arrays.copyOfRange(line, 4, space);
        lastTarget = new String(lastTargetBytes, StandardCharsets.UTF_8);
      }
      target = lastTarget;
      return true;
    }

    private boolean parseSeq(byte[] line, int from, int to) {
      for (int i = from; i < to; i++) {
        if (line[i] < 0) {
          // Long.parseLong takes any Unicode digit: leave those to it
          try {
            seq = Long.parseLong(new String(line, from, to - from, StandardCharsets.UTF_8));
            return true;
          } catch (NumberFormatException e) {
            return false;
          }
        }
      }
      int i = from;
      boolean negative = i < to && line[i] == '-';
      if (i < to && (line[i] == '-' || line[i] == '+')) {
        i++;
      }
      if (i == to) {
        return false;
      }
      long value = 0; // accumulated negatively, as Long.parseLong does, to reach Long.MIN_VALUE
      for (; i < to; i++) {
        int digit = line[i] - '0';
        if (digit < 0 || digit > 9) {
          return false;
        }
        try {
          value = Math.subtractExact(Math.multiplyExact(value, 10), digit);
        } catch (ArithmeticException overflow) {
          return false;
        }
      }
      if (!negative && value == Long.MIN_VALUE) {
        return false;
      }
      seq = negative ? value : -value;
      return true;
    }

    public String target() {
      return target;
    }

    public long seq() {
      return seq;
    }
  }
}
