package tempocast.participant;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tempocast.console.ConsoleCommand;
import tempocast.participant.ParticipantSettings.CoordinatorAddress;

/**
 * A participant with several coordinator addresses, against scripted coordinators: it goes over to
 * the next address by itself when the current one fails, proves its secret again there, and sends
 * an unanswered MSEND again with the same message ID.
 */
@Timeout(30)
class CoordinatorFailoverTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @TempDir Path dir;

  static final String CLOSE = "close:";

  final List<Scripted> servers = new CopyOnWriteArrayList<>();
  final List<String> notices = new CopyOnWriteArrayList<>();
  ActorRef<Participant.Command> participant;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void stop() throws Exception {
    if (participant != null) {
      kit.stop(participant);
    }
    for (Scripted s : servers) {
      s.close();
    }
  }

  /**
   * A coordinator on a real socket: records every line, answers it with {@code script}'s reply; for
   * an empty one it does not answer, for null it drops the connection without answering.
   */
  final class Scripted implements AutoCloseable {
    final ServerSocket server;
    final List<String> received = new CopyOnWriteArrayList<>();
    final List<Socket> sockets = new CopyOnWriteArrayList<>();

    Scripted(Function<String, String> script) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      servers.add(this);
      Thread t =
          new Thread(
              () -> {
                try {
                  while (true) {
                    Socket s = server.accept();
                    sockets.add(s);
                    Thread c = new Thread(() -> serve(s, script));
                    c.setDaemon(true);
                    c.start();
                  }
                } catch (IOException e) {
                  // closed
                }
              });
      t.setDaemon(true);
      t.start();
    }

    private void serve(Socket s, Function<String, String> script) {
      try (s) {
        BufferedReader in =
            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        OutputStream out = s.getOutputStream();
        String line;
        while ((line = in.readLine()) != null) {
          received.add(line);
          String reply = script.apply(line);
          if (reply == null) {
            s.setSoLinger(true, 0); // a reset, as from a coordinator that died
            return;
          }
          if (reply.isEmpty()) {
            continue; // no answer, as from a coordinator that hangs
          }
          boolean close = reply.startsWith(CLOSE);
          out.write((reply.substring(close ? CLOSE.length() : 0) + "\n").getBytes(UTF_8));
          out.flush();
          if (close) {
            // an orderly close after the answer, as at the coordinator's idle timeout; the socket
            // is closed once the participant has closed its side too
            s.shutdownOutput();
          }
        }
      } catch (IOException e) {
        // the test ended
      }
    }

    CoordinatorAddress address() {
      return new CoordinatorAddress("127.0.0.1", server.getLocalPort());
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  /** A port nobody listens on (bound a moment ago, then closed). */
  static CoordinatorAddress deadAddress() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return new CoordinatorAddress("127.0.0.1", s.getLocalPort());
    }
  }

  void startParticipant(List<CoordinatorAddress> coordinators) {
    ParticipantSettings settings =
        new ParticipantSettings(
            "alice",
            "s3cret",
            dir.resolve("alice.log"),
            coordinators,
            Duration.ofSeconds(2),
            Duration.ofSeconds(2),
            Duration.ofSeconds(20),
            Duration.ofSeconds(5),
            true);
    var log = kit.spawn(MessageLog.create(settings.logFile()));
    participant = kit.spawn(Participant.create(settings, log, notices::add));
  }

  String console(String line) {
    TestProbe<Participant.Result> probe = kit.createTestProbe();
    participant.tell(new Participant.Execute(ConsoleCommand.parse(line), probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(25)).line();
  }

  static String standard(String line) {
    if (line.startsWith("AUTH ")) return "OK AUTH main alice";
    if (line.startsWith("REGISTER ")) return "OK REGISTERED main alice 1";
    if (line.startsWith("GROUPS ")) return "OK GROUPS 1 main 1 1 10";
    if (line.startsWith("MSEND ")) return "OK SENT main 1";
    return "ERROR bad-request unexpected: " + line;
  }

  @Test
  void aFirstAddressDeadFromTheStartIsPassedOverWithoutAnError() throws Exception {
    CoordinatorAddress dead = deadAddress();
    Scripted b = new Scripted(CoordinatorFailoverTest::standard);
    startParticipant(List.of(dead, b.address()));

    assertEquals("group main members 1 online 1 td 10\nOK 1 groups", console("groups"));
    assertEquals(List.of("AUTH main alice s3cret", "GROUPS alice"), b.received);
    assertEquals(
        List.of("coordinator " + dead + " unreachable, now using " + b.address()), notices);
  }

  @Test
  void anMsendWhoseCoordinatorDiesIsSentToTheNextWithTheSameMessageId() throws Exception {
    Scripted a =
        new Scripted(line -> line.startsWith("MSEND ") ? null : standard(line)); // dies on MSEND
    Scripted b = new Scripted(CoordinatorFailoverTest::standard);
    startParticipant(List.of(a.address(), b.address()));
    assertTrue(console("register 0").startsWith("OK registered alice"));
    a.server.close(); // later connections to a are refused

    assertEquals("OK sent #1 to main", console("msend across the failover"));

    List<String> toA = a.received.stream().filter(l -> l.startsWith("MSEND")).toList();
    assertEquals(1, toA.size(), "a read the MSEND once and died: " + a.received);
    assertEquals(
        List.of("AUTH main alice s3cret", toA.get(0)),
        b.received,
        "b: the secret first, then the same MSEND, message ID and all");
    assertTrue(toA.get(0).matches("MSEND main alice \\S+ across the failover"), toA.get(0));
    assertTrue(
        notices.contains("coordinator " + a.address() + " unreachable, now using " + b.address()),
        notices.toString());
  }

  @Test
  void aCoordinatorThatStopsAnsweringIsLeftForTheNext() throws Exception {
    Scripted a =
        new Scripted(line -> line.startsWith("MSEND ") ? "" : standard(line)); // hangs on MSEND
    Scripted b = new Scripted(CoordinatorFailoverTest::standard);
    startParticipant(List.of(a.address(), b.address()));
    assertTrue(console("register 0").startsWith("OK registered alice"));

    assertEquals("OK sent #1 to main", console("msend nobody answers"));

    List<String> toA = a.received.stream().filter(l -> l.startsWith("MSEND")).toList();
    assertEquals(
        List.of("AUTH main alice s3cret", toA.get(0)),
        b.received,
        "after request-timeout the same MSEND goes to b");
  }

  @Test
  void aConnectionClosedInOrderIsOpenedAgainToTheSameCoordinator() throws Exception {
    Scripted a =
        new Scripted(line -> line.startsWith("GROUPS ") ? CLOSE + standard(line) : standard(line));
    Scripted b = new Scripted(CoordinatorFailoverTest::standard);
    startParticipant(List.of(a.address(), b.address()));

    for (int i = 0; i < 3; i++) {
      assertEquals("group main members 1 online 1 td 10\nOK 1 groups", console("groups"));
      int n = i + 1;
      kit.createTestProbe()
          .awaitAssert(
              () -> {
                assertEquals(n, a.sockets.stream().filter(Socket::isClosed).count());
                return null;
              });
    }
    assertEquals(3, a.received.stream().filter(l -> l.startsWith("GROUPS")).count());
    assertEquals(List.of(), b.received, "nothing went to b: a never failed");
    assertEquals(List.of(), notices);
  }
}
