package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
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

/** A receiver takes deliveries only from its coordinator's address. */
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
}
