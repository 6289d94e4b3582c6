package tempocast.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class CommandCodecTest {

  @Test
  void msendKeepsTheTextExactly() throws Exception {
    var m =
        (ClientCommand.MSend) CommandCodec.parse("MSEND main alice id-1   two  spaces\tand tab ");
    assertEquals("main", m.group());
    assertEquals("alice", m.member());
    assertEquals("id-1", m.msgId());
    assertArrayEquals("  two  spaces\tand tab ".getBytes(StandardCharsets.UTF_8), m.text());
  }

  @Test
  void msendWithoutMsgId() throws Exception {
    var m = (ClientCommand.MSend) CommandCodec.parse("MSEND main alice - héllo ✓");
    assertNull(m.msgId());
    assertEquals("héllo ✓", new String(m.text(), StandardCharsets.UTF_8));
  }

  @Test
  void registerParsesAddress() throws Exception {
    assertEquals(
        new ClientCommand.Register("main", "bob", "127.0.0.1", 7001),
        CommandCodec.parse("REGISTER main bob 127.0.0.1 7001"));
  }

  @Test
  void authCarriesASecret() throws Exception {
    assertEquals(
        new ClientCommand.Auth("main", "alice", "s3cr3t!"),
        CommandCodec.parse("AUTH main alice s3cr3t!"));
    assertBad("AUTH main alice", "usage");
  }

  @Test
  void rejectsBadInputWithAReason() {
    assertBad("REGISTER main bob 127.0.0.1 70000", "PORT");
    assertBad("REGISTER main bob 127.0.0.1", "usage");
    assertBad("REGISTER main b/ob 127.0.0.1 1", "member");
    assertBad("MSEND main alice -", "usage");
    assertBad("MSEND main alice - ", "empty");
    assertBad("FROB x", "unknown command");
    assertBad("", "empty line");
  }

  @Test
  void rejectsAMessageOverTheLimit() {
    String big = "x".repeat(Lines.MAX_MESSAGE_BYTES + 1);
    assertBad("MSEND main a - " + big, "limit");
  }

  @Test
  void acceptsAMessageAtTheLimit() throws Exception {
    String max = "é".repeat(Lines.MAX_MESSAGE_BYTES / 2);
    var m = (ClientCommand.MSend) CommandCodec.parse("MSEND main a - " + max);
    assertEquals(Lines.MAX_MESSAGE_BYTES, m.text().length);
  }

  @Test
  void invalidUtf8IsABadRequest() {
    ByteString bytes = ByteString.fromArray(new byte[] {'P', 'I', (byte) 0xC3, 'N', 'G'});
    ProtocolException e = assertThrows(ProtocolException.class, () -> Lines.decode(bytes));
    assertEquals(Replies.BAD_REQUEST, e.code());
  }

  @Test
  void decodeDropsOneTrailingCr() throws Exception {
    assertEquals("PING", Lines.decode(ByteString.fromString("PING\r")));
  }

  @Test
  void deliveryLineRoundTrips() throws Exception {
    StoredMessage m =
        new StoredMessage(
            "main",
            42,
            1_700_000_000_123L,
            "alice",
            null,
            "a  b\tc".getBytes(StandardCharsets.UTF_8));
    String line = m.deliveryLine().utf8String();
    assertTrue(line.endsWith("\n"));
    var frame = (DeliveryCodec.Msg) DeliveryCodec.parseFrame(line.substring(0, line.length() - 1));
    assertEquals(
        new DeliveryCodec.Delivery("main", 42, 1_700_000_000_123L, "alice", "a  b\tc"),
        frame.delivery());
  }

  private static void assertBad(String line, String fragment) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> CommandCodec.parse(line));
    assertEquals(Replies.BAD_REQUEST, e.code());
    assertTrue(
        e.getMessage().contains(fragment), () -> e.getMessage() + " should mention " + fragment);
  }
}
