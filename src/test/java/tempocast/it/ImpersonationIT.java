package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/**
 * A participant with a secret cannot be acted for by another connection (docs/PROTOCOL.md,
 * "Secrets").
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ImpersonationIT extends ItBase {

  @Test
  void commandsForAProtectedIdNeedItsSecret() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    var cfg =
        fx.writeFile(
            "alice.conf", "alice\nalice.log\n127.0.0.1 " + c.port + "\nsecret = correct-horse\n");
    Participant alice = fx.startParticipant("alice", cfg, fx.dir().resolve("alice.log"));
    alice.register(0);
    alice.msend("from alice");
    try (RawLineSocket mallory = RawLineSocket.connect(c.port)) {
      for (String cmd :
          List.of(
              "MSEND main alice - forged",
              "DISCONNECT main alice",
              "DEREGISTER main alice",
              "RECONNECT main alice 127.0.0.1 9",
              "REGISTER main alice 127.0.0.1 9")) {
        mallory.send(cmd);
        String r = mallory.expectLine(cmd);
        assertTrue(
            r.startsWith("ERROR forbidden") || r.startsWith("ERROR already-registered"),
            cmd + " -> " + r);
      }
      mallory.send("AUTH main alice wrong-guess");
      assertEquals("OK AUTH main alice", mallory.expectLine("AUTH"));
      mallory.send("MSEND main alice - forged again");
      assertTrue(mallory.expectLine("MSEND after a wrong AUTH").startsWith("ERROR forbidden"));
      // with the secret, the protocol works as for alice herself
      mallory.send("AUTH main alice correct-horse");
      mallory.expectLine("AUTH");
      mallory.send("MSEND main alice - with the secret");
      assertTrue(mallory.expectLine("MSEND with the secret").startsWith("OK SENT main "));
    }
    alice.msend("still alice");
    alice.awaitText("still alice");
    assertEquals(
        List.of("from alice", "with the secret", "still alice"),
        ProcessFixture.texts(alice.logEntries()));
  }
}
