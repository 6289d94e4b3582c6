package tempocast.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The delivery loop's byte-level ACK reader takes exactly what the plain string parser that it
 * replaced took ({@link #parseAck}, kept here as the reference).
 */
class AckReaderTest {

  record Ack(String group, long seq) {}

  /** The parser the delivery loop used before: {@code ACK GROUP SEQ}, or null for anything else. */
  static Ack parseAck(String line) {
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

  static Ack read(DeliveryCodec.AckReader reader, String line) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    byte[] buffer = new byte[bytes.length + 7]; // a line sits at the start of a longer buffer
    System.arraycopy(bytes, 0, buffer, 0, bytes.length);
    buffer[bytes.length] = 'x';
    return reader.read(buffer, bytes.length) ? new Ack(reader.target(), reader.seq()) : null;
  }

  @Test
  void edgeCasesAsParseAckDecidesThem() {
    DeliveryCodec.AckReader reader = new DeliveryCodec.AckReader();
    for (String line :
        List.of(
            "ACK main 3",
            "ACK @bob 9223372036854775807",
            "ACK main 9223372036854775808",
            "ACK main -9223372036854775808",
            "ACK main -9223372036854775809",
            "ACK main -1",
            "ACK main +7",
            "ACK main +",
            "ACK main -",
            "ACK main ",
            "ACK  5",
            "ACK main 1 2",
            "ACK main  1",
            "ACK main",
            "ACK",
            "ACK ",
            "ack main 1",
            " ACK main 1",
            "ACKS main 1",
            "ACK é 12",
            "ACK main ٣",
            "ACK main 1٣",
            "ACK main 0x10",
            "PONG",
            "")) {
      assertEquals(parseAck(line), read(reader, line), line);
    }
  }

  @Test
  void randomLinesAsParseAckDecidesThem() {
    Random random = new Random(20261203);
    String[] parts = {"ACK", " ", "main", "@bob", "1", "42", "-", "+", "é", "٣", "9", "x", "  "};
    DeliveryCodec.AckReader reader = new DeliveryCodec.AckReader();
    for (int n = 0; n < 20_000; n++) {
      StringBuilder b = new StringBuilder(random.nextBoolean() ? "ACK " : "");
      for (int k = random.nextInt(6); k > 0; k--) {
        b.append(parts[random.nextInt(parts.length)]);
      }
      String line = b.toString();
      assertEquals(parseAck(line), read(reader, line), line);
    }
  }

  @Test
  void theTargetOfTheAckBeforeIsReused() {
    DeliveryCodec.AckReader reader = new DeliveryCodec.AckReader();
    List<String> targets = new ArrayList<>();
    for (String line : List.of("ACK team 1", "ACK team 2", "ACK main 3", "ACK team 4")) {
      read(reader, line);
      targets.add(reader.target());
    }
    assertSame(targets.get(0), targets.get(1));
    assertEquals(List.of("team", "team", "main", "team"), targets);
  }
}
