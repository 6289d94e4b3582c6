package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/** A receiver takes deliveries only from its coordinators' addresses. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForeignDeliveryIT extends ItBase {

  @Test
  void deliveriesFromAnotherAddressAreRefusedUnread() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    int port = alice.register(0);
    // 127.0.0.2 is loopback too, but not the coordinator's address (127.0.0.1)
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
      s.connect(new InetSocketAddress("127.0.0.1", port), 3000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(
          "HELLO main alice\nMSG main 999 1763719200123 mallory forged\n"
              .getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      assertEquals(-1, in.read(), "the receiver closes a foreign connection without acknowledging");
    }
    alice.msend("genuine");
    alice.awaitText("genuine");
    assertEquals(List.of("genuine"), ProcessFixture.texts(alice.logEntries()));
  }

  /**
   * With several coordinator addresses in its configuration, a receiver takes deliveries from any
   * of them (the one that takes over after a failover), and still from no other.
   */
  @Test
  void deliveriesFromAnyConfiguredCoordinatorAreTakenAndFromNoOther() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    int standby = ProcessFixture.freePort(); // nobody listens there: only its address matters
    Participant alice =
        fx.startParticipantAt("alice", "127.0.0.1 " + c.port + ", 127.0.0.2 " + standby);
    int port = alice.register(0);
    try (Socket s = connectFrom("127.0.0.2", port)) {
      s.getOutputStream().write("HELLO alice\nPING\n".getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      assertEquals(
          "PONG",
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
              .readLine(),
          "the standby's address (127.0.0.2) is answered as a coordinator");
    }
    try (Socket s = connectFrom("127.0.0.3", port)) {
      s.getOutputStream().write("HELLO alice\nPING\n".getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      assertEquals(-1, s.getInputStream().read(), "127.0.0.3 is in no coordinator address");
    }
    alice.msend("genuine");
    alice.awaitText("genuine");
  }

  private static Socket connectFrom(String local, int port) throws Exception {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
    s.connect(new InetSocketAddress("127.0.0.1", port), 3000);
    s.setSoTimeout(5000);
    return s;
  }
}
