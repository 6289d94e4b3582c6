package tempocast.console;

import java.nio.charset.StandardCharsets;
import java.util.List;
import tempocast.protocol.Lines;
import tempocast.protocol.Names;
import tempocast.protocol.ProtocolException;
import tempocast.protocol.Replies;

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

  /** To the current group. */
  record MSend(String text) implements ConsoleCommand {}

  /** A direct message to participant {@code to}. */
  record Send(String to, String text) implements ConsoleCommand {}

  /** {@code tdMillis} -1: the coordinator's td. */
  record Create(String group, long tdMillis) implements ConsoleCommand {}

  record Join(String group) implements ConsoleCommand {}

  record Leave(String group) implements ConsoleCommand {}

  enum Groups implements ConsoleCommand {
    INSTANCE
  }

  /** {@code group} null: the current group. */
  record Members(String group) implements ConsoleCommand {}

  record Use(String group) implements ConsoleCommand {}

  /** {@code target}: a group name, or {@code @ID} for a direct message to ID. */
  record Status(String target, long seq) implements ConsoleCommand {}

  /** This participant's figures since it started; answered locally. */
  enum Stats implements ConsoleCommand {
    INSTANCE
  }

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
          "  register PORT       join group main and go online, receiving on PORT (0: any free port)",
          "  reconnect PORT      come back online after disconnect or quit; get what you missed",
          "  disconnect          go offline; messages are kept for you for td seconds",
          "  deregister          leave the system: every group, and your inbox",
          "  msend MESSAGE       send MESSAGE (the rest of the line, exactly) to the current group",
          "  send ID MESSAGE     send MESSAGE directly to participant ID, online or offline",
          "  create GROUP [TD]   create GROUP (td in seconds; default: the coordinator's) and join it",
          "  join GROUP          become a member of GROUP: you get its messages from now on",
          "  leave GROUP         stop being a member of GROUP",
          "  groups              list every group: members, of whom online, td",
          "  members [GROUP]     list GROUP's members, online or offline (default: the current group)",
          "  use GROUP           make GROUP the current group, the one msend sends to (main at start)",
          "  status TARGET #SEQ  the state of a message you sent, per recipient (TARGET: GROUP or @ID)",
          "  stats               what you sent and received since start: counts, bytes, latencies",
          "  quit                exit (printing stats); you stay registered, as if disconnected",
          "  help                show this");

  /** Every command's word, in the order help lists them. */
  List<String> WORDS =
      List.of(
          "register",
          "reconnect",
          "disconnect",
          "deregister",
          "msend",
          "send",
          "create",
          "join",
          "leave",
          "groups",
          "members",
          "use",
          "status",
          "stats",
          "quit",
          "help");

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
          String bad = badText(rest);
          return bad != null ? new Invalid(bad) : new MSend(rest);
        }
      case "send":
        {
          int sp2 = indexOfBlank(rest);
          if (sp < 0 || sp2 <= 0 || sp2 == rest.length() - 1) {
            return new Invalid("send needs an ID and a message: send ID MESSAGE");
          }
          String to = rest.substring(0, sp2);
          String text = rest.substring(sp2 + 1);
          if (!Names.isValidName(to)) {
            return new Invalid(
                "'" + abbreviate(to) + "' is not a participant ID: 1 to 64 of A-Z a-z 0-9 . _ -");
          }
          String bad = badText(text);
          return bad != null ? new Invalid(bad) : new Send(to, text);
        }
      case "create":
        {
          String[] args = args(rest);
          if (args.length < 1 || args.length > 2) {
            return new Invalid("usage: create GROUP [TD] (TD in seconds, decimals allowed)");
          }
          String bad = badGroup(args[0]);
          if (bad != null) {
            return new Invalid(bad);
          }
          if (args.length == 1) {
            return new Create(args[0], -1);
          }
          try {
            return new Create(args[0], Replies.parseSeconds(args[1]));
          } catch (ProtocolException e) {
            return new Invalid(
                "'"
                    + abbreviate(args[1])
                    + "' is not a td: seconds, positive, at most 3 decimals (10, 2.5),"
                    + " at most a year");
          }
        }
      case "join":
      case "leave":
      case "use":
        {
          String[] args = args(rest);
          if (args.length != 1) {
            return new Invalid("usage: " + word + " GROUP");
          }
          String bad = badGroup(args[0]);
          if (bad != null) {
            return new Invalid(bad);
          }
          return switch (word) {
            case "join" -> new Join(args[0]);
            case "leave" -> new Leave(args[0]);
            default -> new Use(args[0]);
          };
        }
      case "groups":
        return noArgs(word, rest, Groups.INSTANCE);
      case "members":
        {
          String[] args = args(rest);
          if (args.length > 1) {
            return new Invalid("usage: members [GROUP] (default: the current group)");
          }
          if (args.length == 0) {
            return new Members(null);
          }
          String bad = badGroup(args[0]);
          return bad != null ? new Invalid(bad) : new Members(args[0]);
        }
      case "status":
        {
          String[] args = args(rest);
          if (args.length != 2) {
            return new Invalid(
                "usage: status TARGET #SEQ (TARGET a group, or @ID for a direct message)");
          }
          String target = args[0];
          boolean valid =
              Names.isInbox(target)
                  ? Names.isValidName(target.substring(1))
                  : Names.isValidName(target);
          if (!valid) {
            return new Invalid(
                "'"
                    + abbreviate(target)
                    + "' is not a target: a group name, or @ID for a direct message to ID");
          }
          String n = args[1].startsWith("#") ? args[1].substring(1) : args[1];
          long seq;
          try {
            seq = Long.parseLong(n);
          } catch (NumberFormatException e) {
            seq = 0;
          }
          if (seq < 1 || !n.matches("[0-9]+")) {
            return new Invalid(
                "'"
                    + abbreviate(args[1])
                    + "' is not a message number: #SEQ as in 'OK sent #SEQ', 1 or more");
          }
          return new Status(target, seq);
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
      case "stats":
        return noArgs(word, rest, Stats.INSTANCE);
      case "quit":
        return noArgs(word, rest, Quit.INSTANCE);
      case "help":
        return noArgs(word, rest, Help.INSTANCE);
      default:
        return new Invalid(
            "unknown command '"
                + abbreviate(word)
                + "'; commands: register PORT, reconnect PORT, disconnect, deregister,"
                + " msend MESSAGE, send ID MESSAGE, create GROUP [TD], join GROUP, leave GROUP,"
                + " groups, members [GROUP], use GROUP, status TARGET #SEQ, stats, quit, help");
    }
  }

  /** Why {@code text} cannot be sent, or null. */
  private static String badText(String text) {
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > Lines.MAX_MESSAGE_BYTES) {
      return "the message is " + bytes + " bytes; the limit is " + Lines.MAX_MESSAGE_BYTES;
    }
    if (text.indexOf('\r') >= 0) {
      return "the message contains a line break";
    }
    return null;
  }

  /** Why {@code s} is not a group name, or null. */
  private static String badGroup(String s) {
    if (Names.isValidName(s)) {
      return null;
    }
    return "'" + abbreviate(s) + "' is not a group name: 1 to 64 letters, digits, '-', '_' or '.'";
  }

  /** The blank-separated words of {@code rest}. */
  private static String[] args(String rest) {
    String r = rest.strip();
    return r.isEmpty() ? new String[0] : r.split("[ \t]+");
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
