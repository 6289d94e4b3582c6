package tempocast.protocol;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/** Line framing constants and strict UTF-8 decoding shared by both protocols. */
public final class Lines {
  /** The largest message text, in bytes of UTF-8. */
  public static final int MAX_MESSAGE_BYTES = 65_536;

  /** The largest line: a maximal message plus its header. */
  public static final int MAX_LINE_BYTES = MAX_MESSAGE_BYTES + 1024;

  public static final ByteString NEWLINE = ByteString.fromString("\n");

  private Lines() {}

  /** Decodes a framed line (terminator already removed), dropping one trailing CR. */
  public static String decode(ByteString line) throws ProtocolException {
    int n = line.length();
    if (n > 0 && line.apply(n - 1) == '\r') {
      line = line.take(n - 1);
    }
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(line.asByteBuffer());
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new ProtocolException(Replies.BAD_REQUEST, "line is not valid UTF-8");
    }
  }

  /** True when the bytes are valid UTF-8. */
  public static boolean isValidUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  public static ByteString line(String s) {
    return ByteString.fromString(s + "\n", StandardCharsets.UTF_8);
  }
}
