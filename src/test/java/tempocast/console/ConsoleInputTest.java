package tempocast.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConsoleInputTest {

  static InputStream input(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  static String text(ConsoleInput.Line line) {
    return new String(
        assertInstanceOf(ConsoleInput.Text.class, line).bytes(), StandardCharsets.UTF_8);
  }

  @Test
  void linesEndWithLfOrCrLfAndTheLastNeedsNoTerminator() throws IOException {
    InputStream in = input("register 0\r\nmsend a\rb\nquit");
    assertEquals("register 0", text(ConsoleInput.read(in)));
    assertEquals("msend a\rb", text(ConsoleInput.read(in)));
    assertEquals("quit", text(ConsoleInput.read(in)));
    assertNull(ConsoleInput.read(in));
  }

  @Test
  void aLineOfTheLimitIsReadWhole() throws IOException {
    String line = "msend " + "x".repeat(ConsoleInput.MAX_LINE_BYTES - 6);
    byte[] read =
        assertInstanceOf(ConsoleInput.Text.class, ConsoleInput.read(input(line + "\n"))).bytes();
    assertArrayEquals(line.getBytes(StandardCharsets.UTF_8), read);
  }

  @Test
  void anOverLongLineIsSkippedAndReportedWithItsLengthAndTheLimits() throws IOException {
    InputStream in = input("msend " + "x".repeat(70_000) + "\r\nhelp\n");
    var tooLong = assertInstanceOf(ConsoleInput.TooLong.class, ConsoleInput.read(in));
    assertEquals(70_006, tooLong.bytes());
    assertEquals(
        "ERROR line too long: 70006 bytes; a console line is at most 65600 bytes"
            + " (msend takes a message of at most 65536 bytes)",
        tooLong.error());
    assertEquals("help", text(ConsoleInput.read(in)), "the next line is read as usual");
    assertNull(ConsoleInput.read(in));
  }
}
