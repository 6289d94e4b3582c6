package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;
import tempocast.it.ProcessFixture.Proc;

/**
 * Bad console input gives exactly one ERROR line and the participant keeps working; an unreachable
 * coordinator is an ERROR, not a crash; bad or missing config files give one `error: FILE line N:
 * ...` line on stderr, exit status 2, and no stack trace.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadInputIT extends ItBase {

  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(20);

  /**
   * One ERROR line, then the participant still answers (`help` -> its own `OK help`, not a stray
   * line).
   */
  private static void assertOneError(Participant p, String cmd) {
    String r = p.expectError(cmd);
    assertTrue(p.isAlive(), "participant died after [" + cmd + "] -> " + r);
    assertEquals(
        "OK help", p.command("help"), "after [" + cmd + "] -> [" + r + "]: next command's result");
  }

  @Test
  void consoleErrorsAreOneLineAndTheParticipantKeepsWorking() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    Participant alice = fx.startParticipant("alice", c.port);
    Participant bob = fx.startParticipant("bob", c.port);
    bob.register(0);

    assertEquals("OK help", alice.command("help"));
    assertOneError(alice, "frobnicate");
    // too long to be a command: said as such (it used to come back as "contains a line break")
    assertEquals(
        "ERROR line too long: 70006 bytes; a console line is at most 65600 bytes"
            + " (msend takes a message of at most 65536 bytes)",
        alice.expectError("msend " + "x".repeat(70_000)));
    assertTrue(alice.isAlive(), "participant died after an over-long line");
    assertEquals(
        "OK help", alice.command("help"), "after an over-long line: next command's result");
    assertOneError(alice, "register abc");
    assertOneError(alice, "register 70000");
    assertOneError(alice, "register -1");
    assertOneError(alice, "register");
    assertOneError(alice, "msend not registered yet");
    assertOneError(alice, "disconnect");
    assertOneError(alice, "reconnect 0"); // not registered
    assertOneError(alice, "deregister");
    try (ServerSocket held = ProcessFixture.bindWildcard(0)) {
      assertOneError(alice, "register " + held.getLocalPort()); // port in use
    }
    // the failed attempts left nothing behind: a valid register works
    alice.register(0);
    assertOneError(alice, "register 0"); // register twice
    assertOneError(alice, "reconnect 0"); // reconnect while online
    assertEquals(1, alice.msend("alice still works"));
    alice.disconnect();
    assertOneError(alice, "disconnect"); // disconnect while offline
    assertOneError(alice, "msend offline"); // msend while offline
    alice.reconnect(0);
    alice.deregister();
    assertOneError(alice, "deregister"); // deregister while not registered
    alice.register(0);
    assertEquals(2, alice.msend("alice registered again"));

    bob.awaitText("alice registered again");
    assertEquals(
        List.of("alice still works", "alice registered again"),
        ProcessFixture.texts(bob.logEntries()),
        "none of the refused commands sent anything");
    alice.assertNoStrayResult("at the end");
  }

  @Test
  void unreachableCoordinatorIsAnErrorNotACrash() {
    int closed = ProcessFixture.freePort(); // nobody listens there
    Participant alice = fx.startParticipant("alice", closed);
    assertOneError(alice, "register 0");
    assertOneError(alice, "register 0");
    assertOneError(alice, "reconnect 0");
    assertOneError(alice, "msend nobody hears this");
    assertTrue(alice.isAlive(), "participant keeps running without a coordinator");
  }

  @Test
  void badConfigFilesGiveOneErrorLineAndExitStatus2() {
    int port = ProcessFixture.freePort();
    // file name (as given on the command line) -> expected "line N" (0 = unreadable file)
    Map<String, Integer> cases = new LinkedHashMap<>();
    List<Proc> procs = new ArrayList<>();
    List<String> names = new ArrayList<>();

    fx.writeFile("p-badport.cfg", "alice\nalice.log\n127.0.0.1 abc\n");
    cases.put("participant p-badport.cfg", 3);
    fx.writeFile("p-port70000.cfg", "alice\nalice.log\n127.0.0.1:70000\n");
    cases.put("participant p-port70000.cfg", 3);
    cases.put("participant p-missing.cfg", 0);
    fx.writeFile("c-port-abc.cfg", "abc\n2\n");
    cases.put("coordinator c-port-abc.cfg", 1);
    fx.writeFile("c-td-negative.cfg", port + "\n-1\n");
    cases.put("coordinator c-td-negative.cfg", 2);
    fx.writeFile("c-td-zero.cfg", port + "\n0\n");
    cases.put("coordinator c-td-zero.cfg", 2); // td must be positive
    cases.put("coordinator c-missing.cfg", 0);

    for (String k : cases.keySet()) { // start them all at once: JVM start-up dominates
      String[] a = k.split(" ");
      procs.add(fx.start(a[0] + "-" + a[1], a[0], a[1]));
      names.add(k);
    }
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < procs.size(); i++) {
      Proc p = procs.get(i);
      String k = names.get(i);
      String file = k.split(" ")[1];
      int line = cases.get(k);
      int code = p.awaitExit(EXIT_TIMEOUT);
      String err = p.stderr();
      List<String> out = p.stdoutLines();
      List<String> errLines = new ArrayList<>();
      for (String l : err.split("\n")) {
        if (!l.isBlank() && !l.startsWith("Picked up "))
          errLines.add(l); // JVM's own JAVA_TOOL_OPTIONS notice
      }
      String all = String.join("\n", out) + "\n" + err;
      StringBuilder why = new StringBuilder();
      if (code != 2) why.append(" exit status ").append(code).append(" (want 2);");
      if (errLines.size() != 1)
        why.append(" ").append(errLines.size()).append(" stderr lines (want 1);");
      String first = errLines.isEmpty() ? "" : errLines.get(0);
      if (!first.startsWith("error: ")) why.append(" stderr does not start with 'error: ';");
      if (!first.contains(file)) why.append(" stderr does not name the file;");
      if (line > 0 && !first.contains("line " + line))
        why.append(" stderr does not say 'line ").append(line).append("';");
      if (line == 0 && !first.startsWith("error: cannot read "))
        why.append(" want 'error: cannot read FILE: ...';");
      if (all.contains("Exception") || all.contains("\tat "))
        why.append(" stack trace / exception in output;");
      if (why.length() > 0) {
        problems.add(
            k
                + ":"
                + why
                + "\n    stdout: "
                + out
                + "\n    stderr: "
                + ProcessFixture.tail(err, 2000));
      }
    }
    if (!problems.isEmpty()) fail("bad config handling:\n  " + String.join("\n  ", problems));
  }

  /**
   * A port that is taken, the command port or the HTTP port: one line that names it and why, exit
   * status 1, no stack trace.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aCoordinatorWhosePortIsTakenSaysSoInOneLine() throws Exception {
    try (ServerSocket held = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        ServerSocket heldHttp =
            new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      int port = held.getLocalPort();
      int free = ProcessFixture.freePort();
      fx.writeFile("c-taken.cfg", port + "\n10\ndata-dir = data-taken\n");
      fx.writeFile(
          "c-http-taken.cfg",
          free + "\n10\ndata-dir = data-http-taken\nhttp-port = " + heldHttp.getLocalPort() + "\n");
      Proc command = fx.start("coordinator-taken", "coordinator", "c-taken.cfg");
      Proc http = fx.start("coordinator-http-taken", "coordinator", "c-http-taken.cfg");
      assertEquals(
          List.of(
              "error: cannot listen on 127.0.0.1:"
                  + port
                  + ": Address already in use (is another coordinator running on this port?)"),
          errorLines(command));
      assertEquals(
          List.of(
              "error: cannot listen on 127.0.0.1:"
                  + heldHttp.getLocalPort()
                  + " for HTTP (http-port): Address already in use"),
          errorLines(http));
    }
  }

  /** Its standard error once it exited with status 1, without the JVM's own notices. */
  private static List<String> errorLines(Proc p) {
    assertEquals(1, p.awaitExit(EXIT_TIMEOUT), p.name + " exit status");
    List<String> lines = new ArrayList<>();
    for (String l : p.stderr().split("\n")) {
      if (!l.isBlank() && !l.startsWith("Picked up ")) lines.add(l);
    }
    return lines;
  }
}
