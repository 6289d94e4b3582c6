package tempocast.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

  private static void assertInvalid(String line, String fragment) {
    var invalid = assertInstanceOf(ConsoleCommand.Invalid.class, ConsoleCommand.parse(line));
    assertTrue(invalid.reason().contains(fragment), invalid.reason());
  }
}
