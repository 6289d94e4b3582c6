package tempocast.protocol;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * A message as the journal keeps it: its place in the group's one order ({@code seq}), the
 * coordinator's timestamp (epoch milliseconds), the sender, the sender's optional message ID and
 * the UTF-8 text.
 */
public record StoredMessage(
    String group, long seq, long timestamp, String sender, String msgId, byte[] text) {

  /** The delivery line, computed once per message and shared by every member's connection. */
  public ByteString deliveryLine() {
    byte[] head =
        ("MSG " + group + " " + seq + " " + timestamp + " " + sender + " ")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] line = new byte[head.length + text.length + 1];
    System.arraycopy(head, 0, line, 0, head.length);
    System.arraycopy(text, 0, line, head.length, text.length);
    line[line.length - 1] = '\n';
    return ByteString.fromArrayUnsafe(line);
  }
}
