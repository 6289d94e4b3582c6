package tempocast.participant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tempocast.console.ConsoleCommand;

/**
 * The console's result lines for the coordinator's replies, against a scripted coordinator: it
 * answers each command line with the reply the test gave for it (by its first words), so this
 * checks the participant's side of the protocol only.
 */
@Timeout(30)
class ParticipantConsoleTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @TempDir Path dir;

  ServerSocket server;

  /** Reply for a command line, by the line's longest matching prefix. */
  final Map<String, String> replies = new ConcurrentHashMap<>();

  final List<String> received = new CopyOnWriteArrayList<>();
  ActorRef<Participant.Command> participant;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void start() throws Exception {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              try (Socket s = server.accept()) {
                BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                OutputStream out = s.getOutputStream();
                String line;
                while ((line = in.readLine()) != null) {
                  received.add(line);
                  out.write((replyFor(line) + "\n").getBytes(StandardCharsets.UTF_8));
                  out.flush();
                }
              } catch (Exception e) {
                // the test ended
              }
            });
    t.setDaemon(true);
    t.start();
    ParticipantSettings settings =
        new ParticipantSettings(
            "alice",
            null,
            dir.resolve("alice.log"),
            List.of(new ParticipantSettings.CoordinatorAddress("127.0.0.1", server.getLocalPort())),
            Duration.ofSeconds(5),
            Duration.ofSeconds(3),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            true);
    var log = kit.spawn(MessageLog.create(settings.logFile()));
    participant = kit.spawn(Participant.create(settings, log, n -> {}));
  }

  @AfterEach
  void stop() throws Exception {
    kit.stop(participant);
    server.close();
  }

  String replyFor(String line) {
    String best = null;
    for (String prefix : replies.keySet()) {
      if (line.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
        best = prefix;
      }
    }
    return best == null ? "ERROR bad-request unexpected in this test: " + line : replies.get(best);
  }

  String console(String line) {
    TestProbe<Participant.Result> probe = kit.createTestProbe();
    participant.tell(new Participant.Execute(ConsoleCommand.parse(line), probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(10)).line();
  }

  @Test
  void groupCommandsPrintTheIssuesResultLines() {
    replies.put("CREATE team alice -", "OK CREATED team 10 1");
    replies.put("CREATE fast alice 2.5", "OK CREATED fast 2.5 1");
    replies.put("JOIN other alice", "OK JOINED other alice 12");
    replies.put("LEAVE other alice", "OK LEFT other alice");
    replies.put("GROUPS alice", "OK GROUPS 2 fast 1 0 2.5 main 3 2 10");
    replies.put("MEMBERS main alice", "OK MEMBERS main 2 alice online bob offline");
    replies.put("MEMBERS team alice", "OK MEMBERS team 1 alice offline");
    replies.put(
        "STATUS alice team 3",
        "OK STATUS team 3 3 alice delivered:1763719200123 bob sent carol expired");

    assertEquals("OK created group team (td 10 s)", console("create team"));
    assertEquals("OK created group fast (td 2.5 s)", console("create fast 2.5"));
    assertEquals("OK joined group other", console("join other"));
    assertEquals("OK left group other", console("leave other"));
    assertEquals(
        "group fast members 1 online 0 td 2.5\ngroup main members 3 online 2 td 10\nOK 2 groups",
        console("groups"));
    assertEquals(
        "member alice online\nmember bob offline\nOK 2 members in main", console("members"));
    assertEquals("OK sending to group team", console("use team"));
    assertEquals("member alice offline\nOK 1 members in team", console("members"));
    assertEquals(
        "alice delivered 2025-11-21T10:00:00.123Z\nbob sent\ncarol expired\n"
            + "OK status team #3: 1 delivered, 1 sent, 1 expired",
        console("status team #3"));
    assertEquals(
        List.of(
            "CREATE team alice -",
            "CREATE fast alice 2.5",
            "JOIN other alice",
            "LEAVE other alice",
            "GROUPS alice",
            "MEMBERS main alice",
            "MEMBERS team alice",
            "MEMBERS team alice",
            "STATUS alice team 3"),
        received);
  }

  @Test
  void errorsSayWhatWasWrongAndWhatToDo() {
    replies.put("CREATE main", "ERROR group-exists group main exists");
    replies.put("JOIN nope", "ERROR unknown-group no group nope");
    replies.put("JOIN main", "ERROR already-member alice is in main");
    replies.put("LEAVE team", "ERROR not-member alice is not in team");
    replies.put("MEMBERS team alice", "OK MEMBERS team 1 bob online");
    replies.put("MEMBERS nope", "ERROR unknown-group no group nope");
    replies.put("STATUS alice main 9", "ERROR no-message no message 9 in main");
    replies.put("STATUS alice @bob 1", "ERROR not-sender carol sent it");
    replies.put("STATUS alice main 1", "ERROR not-registered alice is not registered");

    assertError(console("create main"), "group main exists", "join main");
    assertError(console("join nope"), "no group nope", "create nope");
    assertError(console("join main"), "already a member of group main");
    assertError(console("leave team"), "not a member of group team");
    assertError(console("use team"), "not a member of group team", "join team");
    assertError(console("use nope"), "no group nope");
    assertError(console("status main #9"), "no message #9 in main");
    assertError(console("status @bob 1"), "someone else", "only its sender");
    assertError(console("status main 1"), "not registered", "register PORT");
    assertError(console("create bad/name"), "not a group name");
    assertError(console("create t 0"), "not a td");
    // msend and send are refused locally while offline, and nothing goes out
    assertError(console("msend hi"), "not online", "nothing was sent");
    assertError(console("send bob hi"), "not online", "nothing was sent");
    // use of a group one is not in did not change the current group
    replies.put("MEMBERS main alice", "OK MEMBERS main 0");
    assertEquals("OK 0 members in main", console("members"));
    assertTrue(received.stream().noneMatch(l -> l.startsWith("MSEND") || l.startsWith("SEND")));
  }

  @Test
  void sendsSayWhereTheyWentAndRegisterStillJoinsMain() {
    replies.put("REGISTER main alice 127.0.0.1 ", "OK REGISTERED main alice 1");
    replies.put("MSEND main alice ", "OK SENT main 7");
    replies.put("MEMBERS team alice", "OK MEMBERS team 2 alice online bob online");
    replies.put("MSEND team alice ", "OK SENT team 3");
    replies.put("SEND alice bob ", "OK SENT @bob 1");
    replies.put("SEND alice nobody ", "ERROR unknown-recipient there is no participant nobody");
    replies.put("DISCONNECT main alice", "OK DISCONNECTED main alice");

    String registered = console("register 0");
    assertTrue(registered.startsWith("OK registered alice in group main, receiver on port "));
    assertEquals("OK sent #7 to main", console("msend  hello "));
    assertEquals("OK sending to group team", console("use team"));
    assertEquals("OK sent #3 to team", console("msend hi team"));
    assertEquals("OK sent #1 to @bob", console("send bob hi\tbob"));
    assertError(console("send nobody hi"), "cannot send to nobody", "nothing was sent");
    replies.put("MSEND team alice ", "ERROR not-member alice is not in team");
    assertError(console("msend gone"), "not a member of group team", "use GROUP", "join team");
    assertEquals("OK disconnected alice", console("disconnect"));

    List<String> sent = received.stream().filter(l -> l.contains("SEND")).toList();
    assertTrue(sent.get(0).matches("MSEND main alice [^ ]+  hello "), sent.get(0));
    assertTrue(sent.get(1).matches("MSEND team alice [^ ]+ hi team"), sent.get(1));
    assertTrue(sent.get(2).matches("SEND alice bob [^ ]+ hi\tbob"), sent.get(2));
  }

  @Test
  void statsCountsWhatWasSentWhetherRegisteredOrNot() {
    String before = console("stats");
    assertTrue(before.startsWith("sent 0 messages, 0 bytes\n"), before);
    assertTrue(before.endsWith("\nOK stats"), before);
    assertTrue(received.isEmpty(), "stats is answered locally");

    replies.put("REGISTER main alice 127.0.0.1 ", "OK REGISTERED main alice 1");
    replies.put("MSEND main alice ", "OK SENT main 7");
    replies.put("SEND alice bob ", "OK SENT @bob 1");
    console("register 0");
    console("msend hello");
    console("send bob héllo");
    replies.put("MSEND main alice ", "ERROR not-member alice is not in main");
    console("msend refused"); // not stored: not counted
    List<String> lines = List.of(console("stats").split("\n"));
    assertEquals("OK stats", lines.get(lines.size() - 1));
    assertEquals("sent 2 messages, 11 bytes", lines.get(0));
    assertEquals("exchanged 2 messages", lines.get(2));
    assertTrue(lines.get(3).startsWith("send throughput "), lines.get(3));
    assertTrue(lines.get(4).matches("send latency \\(to OK\\) median .* 2 samples"), lines.get(4));
    for (String l : lines.subList(0, lines.size() - 1)) {
      assertTrue(!l.startsWith("OK") && !l.startsWith("ERROR"), l);
    }

    replies.put("DISCONNECT main alice", "OK DISCONNECTED main alice");
    String bye = console("quit");
    assertTrue(bye.startsWith("sent 2 messages, 11 bytes\n"), "stats once more on quit: " + bye);
    assertTrue(bye.endsWith("\nOK bye"), bye);
  }

  private static void assertError(String line, String... fragments) {
    assertTrue(line.startsWith("ERROR ") && !line.contains("\n"), line);
    for (String f : fragments) {
      assertTrue(line.contains(f), () -> "[" + line + "] should mention " + f);
    }
  }
}
