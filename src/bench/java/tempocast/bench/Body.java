package tempocast.bench;

import java.nio.charset.StandardCharsets;

/**
 * The benchmark's message body, the same fields as the peer harness's ({@code sender}, {@code seq},
 * the send time in nanoTime) written as ASCII text, since tempocast messages are text, and padded
 * to the body size.
 */
final class Body {
  private Body() {}

  static byte[] make(int sender, int seq, int size) {
    String head = sender + " " + seq + " " + System.nanoTime() + " ";
    byte[] b = new byte[Math.max(size, head.length())];
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(h, 0, b, 0, h.length);
    for (int i = h.length; i < b.length; i++) {
      b[i] = (byte) ('a' + i % 26);
    }
    return b;
  }

  /** Parsed fields: {sender, seq, sentNanos}; null if the text is not a benchmark body. */
  static long[] parse(String text) {
    long[] f = new long[3];
    int field = 0;
    long v = 0;
    boolean neg = false;
    boolean any = false;
    for (int i = 0; i < text.length() && field < 3; i++) {
      char c = text.charAt(i);
      if (c == ' ') {
        if (!any) {
          return null;
        }
        f[field++] = neg ? -v : v;
        v = 0;
        neg = false;
        any = false;
      } else if (c == '-' && !any) {
        neg = true;
      } else if (c >= '0' && c <= '9') {
        v = v * 10 + (c - '0');
        any = true;
      } else {
        return null;
      }
    }
    return field == 3 ? f : null;
  }
}
