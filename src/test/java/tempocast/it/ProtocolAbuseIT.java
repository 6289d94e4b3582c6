package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static tempocast.it.ProcessFixture.texts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * The coordinator's command port against raw TCP clients (docs/PROTOCOL.md): garbage, invalid
 * UTF-8, an over-long line, a cut-off line, 2,000 idle connections do not disturb normal
 * participants; and the protocol is usable by hand (REGISTER with our own receiver, HELLO/MSG/ACK,
 * MSGID de-duplication, pipelining, DISCONNECT/RECONNECT cursor, error codes).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProtocolAbuseIT extends ItBase {

  private static void assertPong(int port) throws IOException {
    try (RawLineSocket s = RawLineSocket.connect(port)) {
      s.send("PING");
      assertEquals("PONG", s.expectLine("PONG"), "PING on a fresh connection");
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) b.writeBytes(p);
    return b.toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void abusiveClientsDoNotDisturbTheService() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    alice.register(0);
    List<String> legit = new ArrayList<>();
    List<RawLineSocket> idle = new ArrayList<>();
    try {
      // many idle connections
      for (int i = 0; i < 2000; i++) idle.add(RawLineSocket.connect(c.port));
      alice.msend("with 2000 idle connections");
      legit.add("with 2000 idle connections");

      // random garbage (with some newlines in it), then close
      try (RawLineSocket g = RawLineSocket.connect(c.port)) {
        byte[] junk = new byte[16 * 1024];
        new Random(42).nextBytes(junk);
        g.sendBytes(junk);
      }
      assertPong(c.port);
      alice.msend("after garbage");
      legit.add("after garbage");

      // an unknown verb is a bad-request; the connection stays usable; CRLF is fine
      try (RawLineSocket g = RawLineSocket.connect(c.port)) {
        g.send("HELLO WORLD");
        String r = g.expectLine("reply to unknown verb");
        assertTrue(r.startsWith("ERROR bad-request"), "unknown verb -> " + r);
        g.sendBytes(utf8("PING\r\n"));
        assertEquals("PONG", g.expectLine("PONG after an error"));
      }

      // invalid UTF-8 inside an otherwise valid MSEND for a registered member: refused, not stored
      try (RawLineSocket g = RawLineSocket.connect(c.port)) {
        g.sendBytes(
            concat(
                utf8("MSEND main alice - bad "),
                new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xc3, 0x28},
                utf8(" utf8\n")));
        String r = g.expectLine("reply to invalid UTF-8");
        assertTrue(r.startsWith("ERROR bad-request"), "invalid UTF-8 -> " + r);
        g.send("PING");
        assertEquals("PONG", g.expectLine("PONG after invalid UTF-8"));
      }

      // a normal participant can still register in the middle of all this
      Participant bob = fx.startParticipant("bob", c.port);
      bob.register(0);
      int bobFrom = legit.size();
      alice.msend("bob is here");
      legit.add("bob is here");

      // an over-long line (200 KB, no newline): must not take the service down (the exact reply is
      // checked in overLongLineGetsTooLongAndTheConnectionRecovers)
      sendOverLongLine(c.port);
      assertPong(c.port);
      alice.msend("after over-long line");
      legit.add("after over-long line");

      // a cut-off line, then the client goes away: not a command
      try (RawLineSocket g = RawLineSocket.connect(c.port)) {
        g.sendBytes(utf8("MSEND main alice - cut-off line never finished"));
        g.socket.shutdownOutput();
        g.socket.setSoTimeout(3000);
        String r = null;
        try {
          r = g.readLine();
        } catch (SocketTimeoutException | SocketException | AssertionError e) {
          // no reply (connection left half-open, closed or reset): fine
        }
        if (r != null && r.startsWith("OK")) fail("a line without \\n was executed: " + r);
      }
      alice.msend("after cut-off line");
      legit.add("after cut-off line");

      // the idle connections are still served
      for (RawLineSocket s : idle.subList(idle.size() - 5, idle.size())) {
        s.send("PING");
        assertEquals("PONG", s.expectLine("PONG on a long idle connection"));
      }
      bob.msend("bob at the end");
      legit.add("bob at the end");

      alice.awaitText("bob at the end");
      bob.awaitText("bob at the end");
      assertEquals(legit, texts(alice.logEntries()), "alice: exactly the legitimate messages");
      assertEquals(
          legit.subList(bobFrom, legit.size()),
          texts(bob.logEntries()),
          "bob: legitimate messages since he registered");
    } finally {
      for (RawLineSocket s : idle) s.close();
    }
    assertPong(c.port);
    assertTrue(c.proc.isAlive());
  }

  /**
   * Sends "MSEND main alice - " + 200 KB without a newline (stopping early once the coordinator
   * answers or closes) and returns the first reply line, or a description of what happened instead.
   */
  private static String sendOverLongLine(int port) throws IOException {
    try (RawLineSocket g = RawLineSocket.connect(port)) {
      g.sendBytes(utf8("MSEND main alice - "));
      byte[] chunk = new byte[8192];
      Arrays.fill(chunk, (byte) 'A');
      int sent = 0;
      while (sent < 200 * 1024) {
        try {
          g.sendBytes(chunk);
        } catch (IOException e) {
          break; // the coordinator already closed: its answer should be waiting
        }
        sent += chunk.length;
        if (g.in.available() > 0) break; // answered already; stop piling up unread bytes
      }
      String r;
      try {
        r = g.readLine();
      } catch (SocketException e) {
        return "(connection reset before any reply line: " + e + ")";
      }
      if (r == null) return "(connection closed without a reply line)";
      if (r.startsWith("ERROR too-long")) {
        // the rest of the long line is skipped; after its line end the connection serves again
        g.sendBytes(utf8("\nPING\n"));
        assertEquals("PONG", g.expectLine("PONG on the same connection after the over-long line"));
      }
      return r;
    }
  }

  @Test
  void overLongLineGetsTooLongAndTheConnectionRecovers() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    alice.register(0);
    String r = sendOverLongLine(c.port);
    assertTrue(
        r.startsWith("ERROR too-long "),
        "a line over 66,560 bytes -> want 'ERROR too-long ...', then the connection serving again; got "
            + r);
    assertPong(c.port);
    alice.msend("after over-long line");
    alice.awaitText("after over-long line");
    assertEquals(
        List.of("after over-long line"),
        texts(alice.logEntries()),
        "the over-long MSEND was not stored");
  }

  /** MSG GROUP SEQ TS SENDER TEXT */
  private static String[] parseMsg(String line) {
    String[] f = line.split(" ", 6);
    if (f.length != 6 || !f[0].equals("MSG"))
      fail("not a 'MSG GROUP SEQ TS SENDER TEXT' line: [" + line + "]");
    return f;
  }

  @Test
  void protocolCanBeDrivenByHand() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    alice.register(0);
    assertEquals(1, alice.msend("before raw"));
    InetAddress lo = InetAddress.getByName("127.0.0.1");

    try (RawLineSocket cmd = RawLineSocket.connect(c.port)) {
      cmd.send("PING");
      assertEquals("PONG", cmd.expectLine("PONG"));

      try (ServerSocket recv = new ServerSocket(0, 50, lo)) {
        recv.setSoTimeout(15_000);
        // the coordinator connects to our listening socket before answering (the kernel accepts for
        // us)
        cmd.send("REGISTER main raw 127.0.0.1 " + recv.getLocalPort());
        assertEquals(
            "OK REGISTERED main raw 2",
            cmd.expectLine("REGISTER reply"),
            "NEXTSEQ is the next seq");
        try (RawLineSocket d = new RawLineSocket(recv.accept())) {
          assertEquals("HELLO raw", d.expectLine("HELLO"));

          long before = System.currentTimeMillis();
          assertEquals(2, alice.msend("hello raw"));
          long after = System.currentTimeMillis();
          String[] m = parseMsg(d.expectMsg("MSG 2"));
          assertEquals(
              List.of("MSG", "main", "2", "alice", "hello raw"),
              List.of(m[0], m[1], m[2], m[4], m[5]));
          long ts = Long.parseLong(m[3]);
          assertTrue(
              ts >= before - 500 && ts <= after + 500,
              "TS " + ts + " not in [" + before + ", " + after + "]");
          d.send("ACK main 2");
          LogEntry inAliceLog = alice.awaitLog(2).get(1);
          assertEquals(
              ts,
              inAliceLog.ts().toEpochMilli(),
              "same coordinator timestamp in MSG and in alice's log");

          // MSEND by hand; the text keeps its spaces and tabs
          String text = "  raw  says\thi ";
          cmd.send("MSEND main raw - " + text);
          assertEquals("OK SENT main 3", cmd.expectLine("MSEND reply"));
          m = parseMsg(d.expectMsg("MSG 3"));
          assertEquals(List.of("main", "3", "raw", text), List.of(m[1], m[2], m[4], m[5]));
          d.send("ACK main 3");
          LogEntry e3 = alice.awaitLog(3).get(2);
          assertEquals(List.of(3L, "raw", text), List.of(e3.seq(), e3.sender(), e3.text()));

          // the same MSGID twice is stored once and answered with the first seq
          cmd.send("MSEND main raw id-7 only once");
          assertEquals("OK SENT main 4", cmd.expectLine("MSEND id-7"));
          cmd.send("MSEND main raw id-7 only once");
          assertEquals("OK SENT main 4", cmd.expectLine("MSEND id-7 again"));

          // pipelining: three commands in one write, three replies in order
          cmd.sendBytes(utf8("PING\nMSEND main raw - piped\nPING\n"));
          assertEquals("PONG", cmd.expectLine("pipelined reply 1"));
          assertEquals("OK SENT main 5", cmd.expectLine("pipelined reply 2"));
          assertEquals("PONG", cmd.expectLine("pipelined reply 3"));

          m = parseMsg(d.expectMsg("MSG 4"));
          assertEquals(List.of("4", "raw", "only once"), List.of(m[2], m[4], m[5]));
          m = parseMsg(d.expectMsg("MSG 5"));
          assertEquals(List.of("5", "raw", "piped"), List.of(m[2], m[4], m[5]));
          d.send("ACK main 4"); // 5 is deliberately left unacknowledged

          cmd.send("DISCONNECT main raw");
          assertEquals("OK DISCONNECTED main raw", cmd.expectLine("DISCONNECT reply"));
          d.expectClosedAfterNotices("delivery connection after DISCONNECT");
        }
      }

      cmd.send("MSEND main raw - while offline");
      String r = cmd.expectLine("MSEND while offline");
      assertTrue(r.startsWith("ERROR not-online"), "MSEND while offline -> " + r);
      assertEquals(6, alice.msend("while raw offline"), "the refused MSEND was not stored");

      try (ServerSocket recv2 = new ServerSocket(0, 50, lo)) {
        recv2.setSoTimeout(15_000);
        cmd.send("RECONNECT main raw 127.0.0.1 " + recv2.getLocalPort());
        assertEquals("OK RECONNECTED main raw", cmd.expectLine("RECONNECT reply"));
        try (RawLineSocket d2 = new RawLineSocket(recv2.accept())) {
          assertEquals("HELLO raw", d2.expectLine("HELLO after RECONNECT"));
          List<Long> replayed = new ArrayList<>();
          while (replayed.isEmpty() || replayed.get(replayed.size() - 1) < 6) {
            String[] mm = parseMsg(d2.expectMsg("replayed MSG"));
            replayed.add(Long.parseLong(mm[2]));
          }
          // announced before the replay: as many as come (whether ACK 4 or DISCONNECT came first)
          assertEquals(List.of("OWED " + replayed.size()), d2.owed, "what it is owed");
          // the cursor only moves on ACK: 5 was never acknowledged, so it comes again
          assertTrue(
              replayed.contains(5L) && replayed.contains(6L),
              "replay after RECONNECT: " + replayed);
          assertTrue(
              replayed.get(0) >= 4, "acknowledged messages 2 and 3 were sent again: " + replayed);
          for (int i = 1; i < replayed.size(); i++) {
            assertTrue(
                replayed.get(i) > replayed.get(i - 1), "replay in seq order, once: " + replayed);
          }
          d2.send("ACK main 6");

          cmd.send("DEREGISTER main raw");
          assertEquals("OK DEREGISTERED main raw", cmd.expectLine("DEREGISTER reply"));
        }
      }

      // error codes
      String[][] errors = {
        {"MSEND main raw - gone", "ERROR not-registered"},
        {"MSEND main nobody - hi", "ERROR not-registered"},
        {"DISCONNECT main nobody", "ERROR not-registered"},
        {"MSEND nosuchgroup alice - hi", "ERROR unknown-group"},
        {"FROB main alice", "ERROR bad-request"},
        {"MSEND main alice -", "ERROR bad-request"},
        {"MSEND main alice - ", "ERROR bad-request"},
        {"REGISTER main bad/name 127.0.0.1 1234", "ERROR bad-request"},
        {"REGISTER main x 127.0.0.1 70000", "ERROR bad-request"},
        {"REGISTER main raw2 127.0.0.1 " + ProcessFixture.freePort(), "ERROR unreachable"},
      };
      for (String[] e : errors) {
        cmd.send(e[0]);
        String reply = cmd.expectLine("reply to " + e[0]);
        assertTrue(
            reply.startsWith(e[1] + " "),
            "[" + e[0] + "] -> [" + reply + "], want [" + e[1] + " explanation]");
      }
      try (ServerSocket recv3 = new ServerSocket(0, 50, lo)) {
        cmd.send("REGISTER main alice 127.0.0.1 " + recv3.getLocalPort());
        String reply = cmd.expectLine("REGISTER of a registered member");
        assertTrue(
            reply.startsWith("ERROR already-registered "), "REGISTER alice again -> " + reply);
      }
      cmd.send("PING");
      assertEquals("PONG", cmd.expectLine("PONG at the end"));
    }

    alice.msend("barrier");
    alice.awaitText("barrier");
    assertEquals(
        List.of(
            "before raw",
            "hello raw",
            "  raw  says\thi ",
            "only once",
            "piped",
            "while raw offline",
            "barrier"),
        texts(alice.logEntries()),
        "alice's log: the hand-made messages once each");
  }
}
