package tempocast.console;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import tempocast.protocol.Lines;

/**
 * Splits the console's standard input into lines, and turns away a line too long to be a command.
 */
public final class ConsoleInput {
  /** The longest console line: {@code msend }, a message of the largest size, and room to spare. */
  public static final int MAX_LINE_BYTES = Lines.MAX_MESSAGE_BYTES + 64;

  private ConsoleInput() {}

  /** One line of input, without its terminator. */
  public sealed interface Line {}

  public record Text(byte[] bytes) implements Line {}

  /** A line longer than {@link #MAX_LINE_BYTES}: skipped up to its end, only its length is kept. */
  public record TooLong(long bytes) implements Line {
    /** The console's answer to it. */
    public String error() {
      return "ERROR line too long: "
          + bytes
          + " bytes; a console line is at most "
          + MAX_LINE_BYTES
          + " bytes (msend takes a message of at most "
          + Lines.MAX_MESSAGE_BYTES
          + " bytes)";
    }
  }

  /** The next line (terminated by LF, or CR LF); null at end of input. */
  public static Line read(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        break;
      }
      buf.write(b);
      if (buf.size() > MAX_LINE_BYTES) {
        return new TooLong(skipRest(in, buf.size()));
      }
    }
    if (b == -1 && buf.size() == 0) {
      return null;
    }
    byte[] line = buf.toByteArray();
    if (line.length > 0 && line[line.length - 1] == '\r') {
      return new Text(Arrays.copyOf(line, line.length - 1));
    }
    return new Text(line);
  }

  /** Reads to the end of the line; returns its length without the terminator. */
  private static long skipRest(InputStream in, long read) throws IOException {
    long n = read;
    boolean cr = false;
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      n++;
      cr = b == '\r';
    }
    return cr ? n - 1 : n;
  }
}
