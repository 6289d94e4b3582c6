package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;

/**
 * 10,000 registered members, nearly all offline and owed every message: a coordinator with a 256 MB
 * heap (the fixture's -Xmx256m) keeps serving, because a member's backlog stays in the journal on
 * disk and is read in windows only when it comes back.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ManyMembersIT extends ItBase {
  static final int MEMBERS = 10_000;
  static final int MESSAGES = 2_000;

  @Test
  void tenThousandMostlyOfflineMembersCostDiskNotHeap() throws Exception {
    Coordinator c = fx.startCoordinator("600");
    try (Receivers rx = new Receivers()) {
      try (RawLineSocket s = RawLineSocket.connect(c.port)) {
        for (int from = 0; from < MEMBERS; from += 250) {
          int to = Math.min(MEMBERS, from + 250);
          for (int i = from; i < to; i++) {
            s.send("REGISTER main m" + i + " 127.0.0.1 " + rx.port());
          }
          for (int i = from; i < to; i++) {
            assertTrue(s.expectLine("REGISTER m" + i).startsWith("OK REGISTERED main m" + i + " "));
          }
          for (int i = Math.max(from, 10); i < to; i++) {
            s.send("DISCONNECT main m" + i); // all but ten go offline
          }
          for (int i = Math.max(from, 10); i < to; i++) {
            assertEquals("OK DISCONNECTED main m" + i, s.expectLine("DISCONNECT m" + i));
          }
        }
        // 2,000 messages of 1 KB, pipelined: every offline member is owed all of them
        String text = "x".repeat(1024);
        for (int i = 0; i < MESSAGES; i++) {
          s.send("MSEND main m0 id-" + i + " " + i + " " + text);
        }
        for (int i = 0; i < MESSAGES; i++) {
          assertTrue(s.expectLine("MSEND " + i).startsWith("OK SENT main "));
        }
        ProcessFixture.await(
            Duration.ofSeconds(60),
            "the ten online members get every message",
            () -> rx.delivered("m0") == MESSAGES && rx.delivered("m9") == MESSAGES);
        // members coming back get their whole backlog, read from the journal
        for (String m : new String[] {"m10", "m5000", "m9999"}) {
          s.send("RECONNECT main " + m + " 127.0.0.1 " + rx.port());
          assertEquals("OK RECONNECTED main " + m, s.expectLine("RECONNECT " + m));
        }
        ProcessFixture.await(
            Duration.ofSeconds(60),
            "reconnected members catch up",
            () ->
                rx.delivered("m10") == MESSAGES
                    && rx.delivered("m5000") == MESSAGES
                    && rx.delivered("m9999") == MESSAGES);
        s.send("PING");
        assertEquals("PONG", s.expectLine("PING at the end"));
      }
    }
    assertTrue(c.proc.isAlive(), "the coordinator is still running");
    assertFalse(c.proc.stderr().contains("OutOfMemoryError"), "no OutOfMemoryError");
  }

  /**
   * One receiver port for every member: answers PING, acknowledges every MSG, counts them per
   * member.
   */
  static final class Receivers implements AutoCloseable {
    final ServerSocket server = new ServerSocket(0, 1000, InetAddress.getByName("127.0.0.1"));
    final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    Receivers() throws IOException {
      Thread t = new Thread(this::accept, "receivers");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    int delivered(String member) {
      AtomicInteger n = counts.get(member);
      return n == null ? 0 : n.get();
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          Thread t = new Thread(() -> serve(s), "receiver");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket s) {
      try (s) {
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8), 1 << 16);
        OutputStream out = s.getOutputStream();
        String member = null;
        String line;
        long last = -1;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("HELLO ")) {
            String[] f = line.split(" ");
            member = f[f.length - 1]; // HELLO MEMBER
            counts.computeIfAbsent(member, m -> new AtomicInteger());
          } else if (line.startsWith("MSG ")) {
            last = Long.parseLong(line.split(" ", 4)[2]);
            counts.get(member).incrementAndGet();
          } else if (line.equals("PING")) {
            out.write("PONG\n".getBytes(StandardCharsets.US_ASCII));
          }
          if (!in.ready() && last >= 0) {
            out.write(("ACK main " + last + "\n").getBytes(StandardCharsets.US_ASCII));
            last = -1;
          }
        }
      } catch (IOException e) {
        // the coordinator closed the link (DISCONNECT) or the test ended
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
