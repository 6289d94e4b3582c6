package tempocast.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
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

  @Test
  void groupCommandsParseAndRenderBack() throws Exception {
    List<ClientCommand> cmds =
        List.of(
            new ClientCommand.Create("team", "alice", -1),
            new ClientCommand.Create("fast", "alice", 2_500),
            new ClientCommand.Join("team", "bob"),
            new ClientCommand.Leave("team", "bob"),
            new ClientCommand.Members("team", "alice"),
            new ClientCommand.Status("alice", "team", 3),
            new ClientCommand.Status("alice", "@bob", 1),
            new ClientCommand.ListGroups("alice"));
    List<String> lines =
        List.of(
            CommandCodec.create("team", "alice", -1),
            CommandCodec.create("fast", "alice", 2_500),
            CommandCodec.join("team", "bob"),
            CommandCodec.leave("team", "bob"),
            CommandCodec.members("team", "alice"),
            CommandCodec.status("alice", "team", 3),
            CommandCodec.status("alice", "@bob", 1),
            CommandCodec.groups("alice"));
    assertEquals(
        List.of(
            "CREATE team alice -",
            "CREATE fast alice 2.5",
            "JOIN team bob",
            "LEAVE team bob",
            "MEMBERS team alice",
            "STATUS alice team 3",
            "STATUS alice @bob 1",
            "GROUPS alice"),
        lines);
    for (int i = 0; i < cmds.size(); i++) {
      assertEquals(cmds.get(i), CommandCodec.parse(lines.get(i)), lines.get(i));
    }
  }

  @Test
  void sendKeepsTheTextExactly() throws Exception {
    var s =
        (ClientCommand.Send) CommandCodec.parse(CommandCodec.send("alice", "bob", "m-1", " a\tb "));
    assertEquals("alice", s.member());
    assertEquals("bob", s.to());
    assertEquals("m-1", s.msgId());
    assertArrayEquals(" a\tb ".getBytes(StandardCharsets.UTF_8), s.text());
    assertNull(((ClientCommand.Send) CommandCodec.parse("SEND alice bob - x")).msgId());
  }

  @Test
  void rejectsBadGroupCommands() {
    assertBad("CREATE team alice", "usage: CREATE");
    assertBad("CREATE te/am alice -", "invalid group");
    assertBad("CREATE @team alice -", "invalid group");
    assertBad("CREATE team alice 0", "invalid td");
    assertBad("CREATE team alice -2", "invalid td");
    assertBad("CREATE team alice x", "invalid td");
    assertBad("JOIN team", "usage: JOIN");
    assertBad("JOIN " + "g".repeat(65) + " bob", "invalid group");
    assertBad("LEAVE team bob extra", "usage: LEAVE");
    assertBad("LEAVE team b:ob", "invalid member");
    assertBad("MEMBERS", "usage: MEMBERS");
    assertBad("MEMBERS a b c", "usage: MEMBERS");
    assertBad("MEMBERS a b:c", "invalid member");
    assertBad("GROUPS all of them", "usage: GROUPS");
    assertBad("STATUS alice team", "usage: STATUS");
    assertBad("STATUS alice team 0", "invalid SEQ");
    assertBad("STATUS alice team #3", "invalid SEQ");
    assertBad("STATUS alice @ 3", "invalid target");
    assertBad("STATUS alice @@bob 3", "invalid target");
    assertBad("SEND alice bob -", "usage: SEND");
    assertBad("SEND alice bob - ", "empty");
    assertBad("SEND alice @bob - hi", "invalid member");
    assertBad("SEND alice bob bad/id hi", "invalid MSGID");
    assertBad("SEND alice bob - " + "x".repeat(Lines.MAX_MESSAGE_BYTES + 1), "limit");
  }

  @Test
  void deliveryFramesParse() throws Exception {
    assertEquals(new DeliveryCodec.Hello("alice"), DeliveryCodec.parseFrame("HELLO alice"));
    assertEquals(new DeliveryCodec.Hello("alice"), DeliveryCodec.parseFrame("HELLO main alice"));
    assertEquals(
        new DeliveryCodec.Msg(new DeliveryCodec.Delivery("@bob", 2, 5, "alice", "hi  there")),
        DeliveryCodec.parseFrame("MSG @bob 2 5 alice hi  there"));
    for (DeliveryCodec.EventKind k : DeliveryCodec.EventKind.values()) {
      String line = DeliveryCodec.event("team", "bob", k);
      assertEquals("EVENT team bob " + k.word, line);
      assertEquals(new DeliveryCodec.Event("team", "bob", k), DeliveryCodec.parseFrame(line));
    }
    assertEquals("DELIVERED @bob 3", DeliveryCodec.delivered("@bob", 3));
    assertEquals(
        new DeliveryCodec.Delivered("@bob", 3), DeliveryCodec.parseFrame("DELIVERED @bob 3"));
    assertEquals(
        new AckReaderTest.Ack("@bob", 3),
        AckReaderTest.read(new DeliveryCodec.AckReader(), "ACK @bob 3"));
    assertEquals("OWED 3000", DeliveryCodec.owed(3000));
    assertEquals(new DeliveryCodec.Owed(3000), DeliveryCodec.parseFrame("OWED 3000"));
    for (String bad :
        List.of(
            "OWED",
            "OWED -1",
            "OWED x",
            "OWED 1 2",
            "HELLO",
            "EVENT team bob vanished",
            "EVENT team bob",
            "DELIVERED team x",
            "DELIVERED team",
            "MSG main 1 2 alice",
            "MSG main x 2 alice hi",
            "FROB")) {
      assertThrows(ProtocolException.class, () -> DeliveryCodec.parseFrame(bad), bad);
    }
  }

  private static void assertBad(String line, String fragment) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> CommandCodec.parse(line));
    assertEquals(Replies.BAD_REQUEST, e.code());
    assertTrue(
        e.getMessage().contains(fragment), () -> e.getMessage() + " should mention " + fragment);
  }
}
