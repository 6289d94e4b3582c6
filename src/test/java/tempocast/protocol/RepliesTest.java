package tempocast.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class RepliesTest {

  static final List<Reply> EVERY_REPLY =
      List.of(
          new Reply.Authenticated("main", "alice"),
          new Reply.Registered("main", "alice", 42),
          new Reply.Reconnected("main", "alice"),
          new Reply.Disconnected("main", "alice"),
          new Reply.Deregistered("main", "alice"),
          new Reply.Sent("main", 7),
          new Reply.Sent("@bob", 1),
          new Reply.Created("team", 10_000, 1),
          new Reply.Created("fast", 2_500, 1),
          new Reply.Created("slow", 1, 3),
          new Reply.Joined("team", "bob", 12),
          new Reply.Left("team", "bob"),
          new Reply.GroupList(List.of()),
          new Reply.GroupList(
              List.of(
                  new Reply.GroupInfo("fast", 1, 0, 2_500),
                  new Reply.GroupInfo("main", 3, 2, 10_000))),
          new Reply.MemberList("empty", List.of()),
          new Reply.MemberList(
              "main",
              List.of(new Reply.MemberInfo("alice", true), new Reply.MemberInfo("bob", false))),
          new Reply.MessageStatus(
              "team",
              3,
              List.of(
                  new Reply.RecipientState("alice", Reply.State.DELIVERED, 1_763_719_200_123L),
                  new Reply.RecipientState("bob", Reply.State.SENT, -1),
                  new Reply.RecipientState("carol", Reply.State.EXPIRED, -1))),
          new Reply.MessageStatus(
              "@bob", 1, List.of(new Reply.RecipientState("bob", Reply.State.SENT, -1))),
          Reply.Pong.INSTANCE);

  @Test
  void everyReplyRoundTrips() {
    for (Reply r : EVERY_REPLY) {
      assertEquals(r, Replies.parse(Replies.render(r)), Replies.render(r));
    }
  }

  @Test
  void everyErrorCodeRoundTrips() {
    for (Reply.ErrorCode c : Reply.ErrorCode.values()) {
      Reply.Error e = new Reply.Error(c, "what went wrong: and  what to do");
      assertEquals("ERROR " + c.code + " what went wrong: and  what to do", Replies.render(e));
      assertEquals(e, Replies.parse(Replies.render(e)));
    }
  }

  @Test
  void renderedLinesAreThoseOfTheProtocol() {
    assertEquals("OK CREATED fast 2.5 1", Replies.render(new Reply.Created("fast", 2_500, 1)));
    assertEquals("OK GROUPS 2 fast 1 0 2.5 main 3 2 10", Replies.render(EVERY_REPLY.get(13)));
    assertEquals("OK MEMBERS main 2 alice online bob offline", Replies.render(EVERY_REPLY.get(15)));
    assertEquals(
        "OK STATUS team 3 3 alice delivered:1763719200123 bob sent carol expired",
        Replies.render(EVERY_REPLY.get(16)));
    assertEquals("OK SENT @bob 1", Replies.render(new Reply.Sent("@bob", 1)));
  }

  @Test
  void anUnknownCodeOrALineThatIsNoReplyIsInternal() {
    assertEquals(Reply.ErrorCode.INTERNAL, ((Reply.Error) Replies.parse("ERROR weird x")).code());
    for (String line :
        List.of(
            "",
            "OK",
            "OK FROB 1",
            "OK SENT main",
            "OK SENT main x",
            "OK REGISTERED main alice",
            "OK CREATED team 0 1",
            "OK CREATED team ten 1",
            "OK GROUPS 2 main 1 1 10",
            "OK MEMBERS main 2 alice online",
            "OK STATUS main 1 1",
            "OK STATUS main 1 1 alice delivered:soon",
            "hello")) {
      var e = assertInstanceOf(Reply.Error.class, Replies.parse(line), line);
      assertEquals(Reply.ErrorCode.INTERNAL, e.code(), line);
    }
  }

  @Test
  void secondsRenderAndParse() throws Exception {
    assertEquals("10", Replies.seconds(10_000));
    assertEquals("2.5", Replies.seconds(2_500));
    assertEquals("0.001", Replies.seconds(1));
    assertEquals(2_500, Replies.parseSeconds("2.5"));
    assertEquals(2_500, Replies.parseSeconds("2.500"));
    for (String bad : List.of("0", "-1", "+1", "abc", "0.0001", "1e3x", "", "400000000")) {
      assertThrows(ProtocolException.class, () -> Replies.parseSeconds(bad), bad);
    }
  }
}
