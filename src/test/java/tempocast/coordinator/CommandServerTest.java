package tempocast.coordinator;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tempocast.metrics.Metrics;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.Lines;

/** The command port's event loop, against a real socket and the real directory and groups. */
class CommandServerTest {
  static final ActorTestKit kit = ActorTestKit.create();

  final CoordinatorSettings settings =
      CoordinatorSettings.fromConfig(
          0,
          Duration.ofSeconds(60),
          ConfigFactory.parseString("tempocast.coordinator.idle-timeout = 2s")
              .withFallback(ConfigFactory.load()));

  GroupFixture fx;
  CommandServer server;
  InetSocketAddress address;

  @BeforeEach
  void start() throws Exception {
    fx = new GroupFixture(kit, Duration.ofSeconds(60), Clock.systemUTC());
    server =
        new CommandServer(
            settings,
            new LocalCommands(
                kit.system(), settings, fx.directory, fx.publishers, Metrics.disabled()));
    address = server.bind();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private Socket connect() throws Exception {
    Socket s = new Socket("127.0.0.1", address.getPort());
    s.setSoTimeout(10_000);
    return s;
  }

  private static BufferedReader reader(Socket s) throws Exception {
    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
  }

  @Test
  void anMsendReachesTheGroupOfItsNameAsItIsNowRemovedOrCreatedAgain() throws Exception {
    fx.register("alice", 1);
    assertEquals("OK CREATED team 60 1", fx.call(new ClientCommand.Create("team", "alice", -1)));
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      BufferedReader in = reader(s);
      out.write("MSEND team alice m1 one\nMSEND team alice m1 one\n".getBytes(UTF_8));
      assertEquals("OK SENT team 1", in.readLine());
      assertEquals("OK SENT team 1", in.readLine(), "a retry is stored once");
      assertEquals("OK LEFT team alice", fx.call(new ClientCommand.Leave("team", "alice")));
      out.write("MSEND team alice m2 two\n".getBytes(UTF_8));
      assertTrue(in.readLine().startsWith("ERROR not-member "));
      assertEquals("OK REMOVED team", fx.call(new ClientCommand.Remove("team")));
      out.write("MSEND team alice m3 three\n".getBytes(UTF_8));
      assertTrue(in.readLine().startsWith("ERROR unknown-group there is no group team"));
      assertEquals("OK CREATED team 60 2", fx.call(new ClientCommand.Create("team", "alice", -1)));
      out.write("MSEND team alice m4 four\n".getBytes(UTF_8));
      assertEquals("OK SENT team 2", in.readLine(), "the new team's numbers go on");
    }
  }

  @Test
  void pipelinedCommandsAreAnsweredInTheirOrderWhicheverActorAnswersFirst() throws Exception {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      // GROUPS goes to the directory and back; PING and the error are answered at once: they
      // must still wait for the answer before them.
      out.write("GROUPS\nPING\nBOGUS\nGROUPS\nPING\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader in = reader(s);
      assertTrue(in.readLine().startsWith("OK GROUPS 1 main "));
      assertEquals("PONG", in.readLine());
      assertTrue(in.readLine().startsWith("ERROR bad-request unknown command 'BOGUS'"));
      assertTrue(in.readLine().startsWith("OK GROUPS 1 main "));
      assertEquals("PONG", in.readLine());
    }
  }

  @Test
  void aClientThatHalfClosesStillGetsEveryReplyThenTheConnectionEnds() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write("PING\nGROUPS\n".getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput(); // as `printf 'PING\n' | nc HOST PORT` does
      BufferedReader in = reader(s);
      assertEquals("PONG", in.readLine());
      assertTrue(in.readLine().startsWith("OK GROUPS 1 main "));
      assertNull(in.readLine(), "the coordinator closes once it has answered everything");
    }
  }

  @Test
  void anOverLongLineIsRefusedAndSkippedAndTheNextCommandIsAnswered() throws Exception {
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      out.write("x".repeat(Lines.MAX_LINE_BYTES + 10).getBytes(StandardCharsets.UTF_8));
      out.write("\nPING\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader in = reader(s);
      assertTrue(in.readLine().startsWith("ERROR too-long line longer than "));
      assertEquals("PONG", in.readLine());
    }
  }

  @Test
  void aConnectionSilentForTheIdleTimeoutIsClosed() throws Exception {
    try (Socket s = connect()) {
      BufferedReader in = reader(s);
      s.getOutputStream().write("PING\n".getBytes(StandardCharsets.UTF_8));
      assertEquals("PONG", in.readLine());
      long start = System.nanoTime();
      assertNull(in.readLine(), "closed by the coordinator");
      long waitedMillis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(waitedMillis >= 1500, "closed after " + waitedMillis + " ms, before idle-timeout");
    }
  }
}
