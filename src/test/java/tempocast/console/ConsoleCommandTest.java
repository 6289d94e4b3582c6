package tempocast.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConsoleCommandTest {

  @Test
  void msendTakesTheRestOfTheLineExactly() {
    assertEquals(new ConsoleCommand.MSend("  a\tb  "), ConsoleCommand.parse("msend   a\tb  "));
    assertEquals(new ConsoleCommand.MSend("x"), ConsoleCommand.parse("msend\tx"));
  }

  @Test
  void ports() {
    assertEquals(new ConsoleCommand.Register(0), ConsoleCommand.parse("register 0"));
    assertEquals(new ConsoleCommand.Reconnect(65535), ConsoleCommand.parse("reconnect 65535"));
    assertInvalid("register", "needs a port");
    assertInvalid("register abc", "not a port");
    assertInvalid("register 70000", "out of range");
    assertInvalid("reconnect -1", "out of range");
  }

  @Test
  void otherCommands() {
    assertEquals(ConsoleCommand.Disconnect.INSTANCE, ConsoleCommand.parse("disconnect"));
    assertEquals(ConsoleCommand.Deregister.INSTANCE, ConsoleCommand.parse("deregister"));
    assertEquals(ConsoleCommand.Quit.INSTANCE, ConsoleCommand.parse("quit"));
    assertEquals(ConsoleCommand.Help.INSTANCE, ConsoleCommand.parse("help"));
    assertInvalid("quit now", "no argument");
    assertInvalid("frobnicate", "unknown command");
    assertInvalid("msend", "needs a message");
    assertInvalid("msend " + "x".repeat(65_537), "limit");
  }

  @Test
  void sendTakesAnIdAndTheRestOfTheLineExactly() {
    assertEquals(
        new ConsoleCommand.Send("bob", " hi\tthere "),
        ConsoleCommand.parse("send bob  hi\tthere "));
    assertEquals(new ConsoleCommand.Send("b.o-b_2", "x"), ConsoleCommand.parse("send\tb.o-b_2\tx"));
    assertInvalid("send", "needs an ID and a message");
    assertInvalid("send bob", "needs an ID and a message");
    assertInvalid("send bob ", "needs an ID and a message");
    assertInvalid("send @bob hi", "not a participant ID");
    assertInvalid("send b/ob hi", "not a participant ID");
    assertInvalid("send bob " + "x".repeat(65_537), "limit");
    assertInvalid("send bob a\rb", "line break");
  }

  @Test
  void createWithAndWithoutTd() {
    assertEquals(new ConsoleCommand.Create("team-1", -1), ConsoleCommand.parse("create team-1"));
    assertEquals(new ConsoleCommand.Create("t", 2500), ConsoleCommand.parse("create t 2.5"));
    assertEquals(new ConsoleCommand.Create("t", 30_000), ConsoleCommand.parse("create  t\t30 "));
    assertInvalid("create", "usage: create GROUP [TD]");
    assertInvalid("create a b c", "usage: create GROUP [TD]");
    assertInvalid("create bad/name", "not a group name");
    assertInvalid("create @inbox", "not a group name");
    assertInvalid("create " + "g".repeat(65), "not a group name");
    assertInvalid("create t 0", "not a td");
    assertInvalid("create t -1", "not a td");
    assertInvalid("create t abc", "not a td");
    assertInvalid("create t 0.0001", "not a td");
    assertInvalid("create t 100000000", "not a td");
  }

  @Test
  void groupCommands() {
    assertEquals(new ConsoleCommand.Join("g"), ConsoleCommand.parse("join g"));
    assertEquals(new ConsoleCommand.Leave("g"), ConsoleCommand.parse("leave g "));
    assertEquals(new ConsoleCommand.Use("main"), ConsoleCommand.parse("use main"));
    assertEquals(ConsoleCommand.Groups.INSTANCE, ConsoleCommand.parse("groups"));
    assertEquals(new ConsoleCommand.Members(null), ConsoleCommand.parse("members"));
    assertEquals(new ConsoleCommand.Members("g"), ConsoleCommand.parse("members g"));
    assertInvalid("join", "usage: join GROUP");
    assertInvalid("leave a b", "usage: leave GROUP");
    assertInvalid("use", "usage: use GROUP");
    assertInvalid("join a:b", "not a group name");
    assertInvalid("use @bob", "not a group name");
    assertInvalid("groups all", "no argument");
    assertInvalid("members a b", "usage: members [GROUP]");
    assertInvalid("members a*", "not a group name");
  }

  @Test
  void statusTakesATargetAndASeqWithOrWithoutHash() {
    assertEquals(new ConsoleCommand.Status("main", 42), ConsoleCommand.parse("status main #42"));
    assertEquals(new ConsoleCommand.Status("main", 42), ConsoleCommand.parse("status main 42"));
    assertEquals(new ConsoleCommand.Status("@bob", 1), ConsoleCommand.parse("status @bob #1"));
    assertInvalid("status", "usage: status TARGET #SEQ");
    assertInvalid("status main", "usage: status TARGET #SEQ");
    assertInvalid("status main #1 x", "usage: status TARGET #SEQ");
    assertInvalid("status @ #1", "not a target");
    assertInvalid("status @@bob #1", "not a target");
    assertInvalid("status a/b #1", "not a target");
    assertInvalid("status main #0", "not a message number");
    assertInvalid("status main #", "not a message number");
    assertInvalid("status main ##1", "not a message number");
    assertInvalid("status main -1", "not a message number");
    assertInvalid("status main +1", "not a message number");
    assertInvalid("status main 99999999999999999999", "not a message number");
  }

  @Test
  void helpNamesEveryCommand() {
    for (String c :
        new String[] {
          "register",
          "reconnect",
          "disconnect",
          "deregister",
          "msend",
          "send ID",
          "create GROUP",
          "join GROUP",
          "leave GROUP",
          "groups",
          "members [GROUP]",
          "use GROUP",
          "status TARGET",
          "stats",
          "quit",
          "help"
        }) {
      assertTrue(ConsoleCommand.HELP.contains("  " + c), c);
    }
    for (String word : ConsoleCommand.WORDS) {
      assertTrue(
          ConsoleCommand.HELP.contains("\n  " + word + " ") || word.equals("register"), word);
      assertFalse(
          ConsoleCommand.parse(word) instanceof ConsoleCommand.Invalid i
              && i.reason().startsWith("unknown command"),
          word);
    }
    assertEquals(ConsoleCommand.Stats.INSTANCE, ConsoleCommand.parse("stats"));
    for (String line : ConsoleCommand.HELP.split("\n")) {
      assertTrue(!line.startsWith("OK") && !line.startsWith("ERROR"), line);
    }
  }

  private static void assertInvalid(String line, String fragment) {
    var invalid = assertInstanceOf(ConsoleCommand.Invalid.class, ConsoleCommand.parse(line));
    assertTrue(invalid.reason().contains(fragment), invalid.reason());
  }
}
