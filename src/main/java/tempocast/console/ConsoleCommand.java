package tempocast.console;

import java.nio.charset.StandardCharsets;
import tempocast.protocol.Lines;

/** A console command, parsed from one line of standard input. */
public sealed interface ConsoleCommand {
  record Register(int port) implements ConsoleCommand {}

  record Reconnect(int port) implements ConsoleCommand {}

  enum Disconnect implements ConsoleCommand {
    INSTANCE
  }

  enum Deregister implements ConsoleCommand {
    INSTANCE
  }

  record MSend(String text) implements ConsoleCommand {}

  enum Quit implements ConsoleCommand {
    INSTANCE
  }

  enum Help implements ConsoleCommand {
    INSTANCE
  }

  /** A line that is not a valid command; {@code reason} is what the user is told. */
  record Invalid(String reason) implements ConsoleCommand {}

  String HELP =
      String.join(
          "\n",
          "  register PORT    join the group and go online, receiving on PORT (0: any free port)",
          "  reconnect PORT   come back online after disconnect or quit; get what you missed",
          "  disconnect       go offline; messages are kept for you for td seconds",
          "  deregister       leave the group",
          "  msend MESSAGE    send MESSAGE (the rest of the line, exactly) to the group",
          "  quit             exit; you stay registered, as if disconnected",
          "  help             show this");

  static ConsoleCommand parse(String line) {
    int sp = indexOfBlank(line);
    String word = sp < 0 ? line : line.substring(0, sp);
    String rest = sp < 0 ? "" : line.substring(sp + 1);
    switch (word) {
      case "msend":
        {
          if (sp < 0 || rest.isEmpty()) {
            return new Invalid("msend needs a message: msend MESSAGE");
          }
          int bytes = rest.getBytes(StandardCharsets.UTF_8).length;
          if (bytes > Lines.MAX_MESSAGE_BYTES) {
            return new Invalid(
                "the message is " + bytes + " bytes; the limit is " + Lines.MAX_MESSAGE_BYTES);
          }
          if (rest.indexOf('\r') >= 0) {
            return new Invalid("the message contains a line break");
          }
          return new MSend(rest);
        }
      case "register":
      case "reconnect":
        {
          String arg = rest.strip();
          if (arg.isEmpty()) {
            return new Invalid(word + " needs a port: " + word + " PORT (0 for any free port)");
          }
          int port;
          try {
            port = Integer.parseInt(arg);
          } catch (NumberFormatException e) {
            return new Invalid(
                "'" + abbreviate(arg) + "' is not a port: use a number from 0 to 65535");
          }
          if (port < 0 || port > 65535) {
            return new Invalid("port " + port + " is out of range: use a number from 0 to 65535");
          }
          return word.equals("register") ? new Register(port) : new Reconnect(port);
        }
      case "disconnect":
        return noArgs(word, rest, Disconnect.INSTANCE);
      case "deregister":
        return noArgs(word, rest, Deregister.INSTANCE);
      case "quit":
        return noArgs(word, rest, Quit.INSTANCE);
      case "help":
        return noArgs(word, rest, Help.INSTANCE);
      default:
        return new Invalid(
            "unknown command '"
                + abbreviate(word)
                + "'; commands: register PORT, reconnect PORT, disconnect, deregister, msend MESSAGE, quit, help");
    }
  }

  private static ConsoleCommand noArgs(String word, String rest, ConsoleCommand cmd) {
    return rest.isBlank() ? cmd : new Invalid(word + " takes no argument");
  }

  private static int indexOfBlank(String line) {
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == ' ' || c == '\t') {
        return i;
      }
    }
    return -1;
  }

  private static String abbreviate(String s) {
    String printable = s.replaceAll("\\p{Cntrl}", "?");
    return printable.length() <= 40 ? printable : printable.substring(0, 40) + "...";
  }
}
