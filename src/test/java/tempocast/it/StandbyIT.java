package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Proc;

/**
 * One coordinator per journal: a second one on the same data directory stops at once in one line,
 * or, with {@code standby = on}, waits without listening and takes over when the first dies.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StandbyIT extends ItBase {

  /** A config on {@code dataDir} with a port of its own, and {@code extra} lines. */
  private Path config(Path dataDir, int port, String... extra) {
    return fx.writeFile(
        "second-" + port + ".cfg",
        port + "\n30\ndata-dir = " + dataDir + "\n" + String.join("\n", extra) + "\n");
  }

  private static Path dataDirOf(Coordinator c) {
    return c.cfg.getParent().resolve("coordinator-data-" + c.port);
  }

  @Test
  void aSecondCoordinatorOnTheSameDataDirectoryStopsWithOneLine() {
    Coordinator first = fx.startCoordinator("30");
    int port = ProcessFixture.freePort();
    Proc second =
        fx.start("coordinator-second", "coordinator", config(dataDirOf(first), port).toString());
    assertEquals(1, second.awaitExit(Duration.ofSeconds(30)), "exit status");
    List<String> lines = second.stderr().lines().filter(l -> !l.startsWith("Picked up ")).toList();
    assertEquals(
        List.of(
            "error: another coordinator is using the journal in "
                + dataDirOf(first)
                + ": stop it first, or give this coordinator a data directory of its own"),
        lines);
    assertTrue(first.proc.isAlive(), "the first goes on");
  }

  @Test
  void aStandbyWaitsWithoutListeningAndTakesOverWithTheJournal() throws Exception {
    Coordinator first = fx.startCoordinator("30");
    var alice = fx.startAndRegister(first, "alice").get(0);
    long seq = alice.msend("before the takeover");

    int port = ProcessFixture.freePort();
    Proc standby =
        fx.start(
            "coordinator-standby",
            "coordinator",
            config(dataDirOf(first), port, "standby = on").toString());
    assertEquals(
        "standby: another coordinator is using the journal in "
            + dataDirOf(first)
            + "; this one takes over when it stops",
        standby.nextLine(
            ProcessFixture.STARTUP_TIMEOUT, l -> l.startsWith("standby:"), "the standby line"));
    try (Socket s = new Socket()) {
      assertThrows(
          ConnectException.class,
          () -> s.connect(new InetSocketAddress("127.0.0.1", port), 2000),
          "a standby does not listen");
    }

    first.kill();
    String listening =
        standby.nextLine(
            ProcessFixture.STARTUP_TIMEOUT,
            l -> l.contains("listening on"),
            "the standby's 'listening on' line");
    assertTrue(listening.contains(":" + port), listening);
    // The journal came with it: alice is still a member of main.
    try (RawLineSocket raw = RawLineSocket.connect(port)) {
      raw.send("MEMBERS main");
      String members = raw.readLine();
      assertTrue(members.startsWith("OK MEMBERS main 1 alice "), members);
      raw.send("GROUPS");
      String groups = raw.readLine();
      assertTrue(groups.startsWith("OK GROUPS 1 main "), groups);
    }
    assertEquals(1, seq);
  }
}
