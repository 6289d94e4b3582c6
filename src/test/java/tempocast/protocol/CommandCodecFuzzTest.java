package tempocast.protocol;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated lines through what the coordinator does with every line it reads: the only
 * outcomes are a parsed command or a ProtocolException with a reply line, never anything else.
 */
class CommandCodecFuzzTest {
  static final List<String> SEEDS =
      List.of(
          "MSEND main alice m-1 hello world",
          "REGISTER main alice 127.0.0.1 7001",
          "RECONNECT main bob ::1 65535",
          "DISCONNECT main alice",
          "DEREGISTER main alice",
          "AUTH main alice s3cret",
          "PING");

  @Test
  void noLineMakesTheParserThrowAnythingButAProtocolError() {
    Random random = new Random(20261121L); // fixed: a failure is reproducible
    for (int i = 0; i < 200_000; i++) {
      byte[] line = i % 2 == 0 ? mutate(random) : randomBytes(random);
      try {
        ClientCommand c = CommandCodec.parse(Lines.decode(ByteString.fromArray(line)));
        assertTrue(c != null);
      } catch (ProtocolException e) {
        String reply = e.toReply();
        assertTrue(reply.startsWith("ERROR ") && !reply.contains("\n"), reply);
      } catch (RuntimeException e) {
        fail("line " + new String(line, StandardCharsets.ISO_8859_1) + " threw " + e, e);
      }
    }
  }

  private static byte[] mutate(Random random) {
    byte[] b = SEEDS.get(random.nextInt(SEEDS.size())).getBytes(StandardCharsets.UTF_8);
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = random.nextInt(b.length);
      switch (random.nextInt(4)) {
        case 0 -> b[at] = (byte) random.nextInt(256);
        case 1 -> b[at] = (byte) " \t-:.0123456789".charAt(random.nextInt(15));
        case 2 -> b = java.util.Arrays.copyOf(b, Math.max(1, at));
        default -> {
          byte[] longer = java.util.Arrays.copyOf(b, b.length + 1 + random.nextInt(20));
          for (int k = b.length; k < longer.length; k++) {
            longer[k] = (byte) (32 + random.nextInt(95));
          }
          b = longer;
        }
      }
    }
    return b;
  }

  private static byte[] randomBytes(Random random) {
    byte[] b = new byte[random.nextInt(80)];
    random.nextBytes(b);
    return b;
  }
}
