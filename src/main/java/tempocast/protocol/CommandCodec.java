package tempocast.protocol;

import java.nio.charset.StandardCharsets;

/** Parses and renders the command protocol (participant to coordinator), see docs/PROTOCOL.md. */
public final class CommandCodec {
  private CommandCodec() {}

  private static final String VERBS =
      "AUTH, REGISTER, RECONNECT, DISCONNECT, DEREGISTER, MSEND, SEND, CREATE, JOIN, LEAVE, GROUPS,"
          + " MEMBERS, STATUS, REMOVE, PING";

  public static ClientCommand parse(String line) throws ProtocolException {
    int sp = line.indexOf(' ');
    String verb = sp < 0 ? line : line.substring(0, sp);
    switch (verb) {
      case "MSEND":
        return parseMSend(line, sp);
      case "REGISTER":
        {
          String[] f = fields(line, 5, "REGISTER GROUP MEMBER HOST PORT");
          return new ClientCommand.Register(group(f[1]), member(f[2]), host(f[3]), port(f[4]));
        }
      case "RECONNECT":
        {
          String[] f = fields(line, 5, "RECONNECT GROUP MEMBER HOST PORT");
          return new ClientCommand.Reconnect(group(f[1]), member(f[2]), host(f[3]), port(f[4]));
        }
      case "DISCONNECT":
        {
          String[] f = fields(line, 3, "DISCONNECT GROUP MEMBER");
          return new ClientCommand.Disconnect(group(f[1]), member(f[2]));
        }
      case "DEREGISTER":
        {
          String[] f = fields(line, 3, "DEREGISTER GROUP MEMBER");
          return new ClientCommand.Deregister(group(f[1]), member(f[2]));
        }
      case "AUTH":
        {
          String[] f = fields(line, 4, "AUTH GROUP MEMBER SECRET");
          if (!f[3].matches("[\\x21-\\x7e]{1,128}")) {
            throw bad("invalid SECRET: 1 to 128 printable ASCII characters without spaces");
          }
          return new ClientCommand.Auth(group(f[1]), member(f[2]), f[3]);
        }
      case "SEND":
        return parseSend(line, sp);
      case "CREATE":
        {
          String[] f =
              fields(line, 4, "CREATE GROUP MEMBER TD (TD in seconds, or - for the coordinator's)");
          return new ClientCommand.Create(
              group(f[1]), member(f[2]), f[3].equals("-") ? -1 : Replies.parseSeconds(f[3]));
        }
      case "JOIN":
        {
          String[] f = fields(line, 3, "JOIN GROUP MEMBER");
          return new ClientCommand.Join(group(f[1]), member(f[2]));
        }
      case "LEAVE":
        {
          String[] f = fields(line, 3, "LEAVE GROUP MEMBER");
          return new ClientCommand.Leave(group(f[1]), member(f[2]));
        }
      case "REMOVE":
        {
          String[] f = fields(line, 2, "REMOVE GROUP");
          return new ClientCommand.Remove(group(f[1]));
        }
      case "STATUS":
        {
          String[] f = fields(line, 4, "STATUS MEMBER TARGET SEQ (TARGET a group or @ID)");
          return new ClientCommand.Status(member(f[1]), target(f[2]), seq(f[3]));
        }
      case "MEMBERS":
        {
          String[] f = line.split(" ", -1);
          if (f.length != 2 && f.length != 3) {
            throw bad("usage: MEMBERS GROUP [MEMBER]");
          }
          return new ClientCommand.Members(group(f[1]), f.length == 3 ? member(f[2]) : "");
        }
      case "GROUPS":
        {
          String[] f = line.split(" ", -1);
          if (f.length > 2) {
            throw bad("usage: GROUPS [MEMBER]");
          }
          return new ClientCommand.ListGroups(f.length == 2 ? member(f[1]) : "");
        }
      case "PING":
        if (sp >= 0) {
          throw bad("PING takes no arguments");
        }
        return ClientCommand.Ping.INSTANCE;
      case "":
        throw bad("empty line; commands are " + VERBS);
      default:
        throw bad("unknown command '" + abbreviate(verb) + "'; commands are " + VERBS);
    }
  }

  private static ClientCommand parseMSend(String line, int sp) throws ProtocolException {
    String[] f = headAndText(line, sp, "usage: MSEND GROUP MEMBER MSGID TEXT (MSGID may be -)");
    return new ClientCommand.MSend(group(f[0]), member(f[1]), msgId(f[2]), text(f[3]));
  }

  private static ClientCommand parseSend(String line, int sp) throws ProtocolException {
    String[] f = headAndText(line, sp, "usage: SEND MEMBER TO MSGID TEXT (MSGID may be -)");
    return new ClientCommand.Send(member(f[0]), member(f[1]), msgId(f[2]), text(f[3]));
  }

  /**
   * The three fields after the verb, then the text: everything after the fourth space, kept exactly
   * (spaces and tabs too).
   */
  private static String[] headAndText(String line, int sp, String usage) throws ProtocolException {
    int b = sp < 0 ? -1 : line.indexOf(' ', sp + 1);
    int c = b < 0 ? -1 : line.indexOf(' ', b + 1);
    int d = c < 0 ? -1 : line.indexOf(' ', c + 1);
    if (d < 0) {
      throw bad(usage);
    }
    return new String[] {
      line.substring(sp + 1, b),
      line.substring(b + 1, c),
      line.substring(c + 1, d),
      line.substring(d + 1)
    };
  }

  private static byte[] text(String s) throws ProtocolException {
    byte[] text = s.getBytes(StandardCharsets.UTF_8);
    checkText(text);
    return text;
  }

  private static String msgId(String field) throws ProtocolException {
    if (field.equals("-")) {
      return null;
    }
    if (!Names.isValidMsgId(field)) {
      throw bad("invalid MSGID '" + abbreviate(field) + "': up to 64 of A-Z a-z 0-9 . _ : -, or -");
    }
    return field;
  }

  /** A group name, or {@code @ID} for ID's inbox of direct messages. */
  private static String target(String s) throws ProtocolException {
    if (Names.isInbox(s) ? Names.isValidName(s.substring(1)) : Names.isValidName(s)) {
      return s;
    }
    throw bad("invalid target '" + abbreviate(s) + "': a group name, or @ID for direct messages");
  }

  private static long seq(String s) throws ProtocolException {
    try {
      long n = Long.parseLong(s);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw bad("invalid SEQ '" + abbreviate(s) + "': a message's sequence number, 1 or more");
  }

  public static String create(String group, String member, long tdMillis) {
    return "CREATE "
        + group
        + " "
        + member
        + " "
        + (tdMillis < 0 ? "-" : Replies.seconds(tdMillis));
  }

  public static String join(String group, String member) {
    return "JOIN " + group + " " + member;
  }

  public static String leave(String group, String member) {
    return "LEAVE " + group + " " + member;
  }

  public static String send(String member, String to, String msgId, String text) {
    return "SEND " + member + " " + to + " " + (msgId == null ? "-" : msgId) + " " + text;
  }

  public static String status(String member, String target, long seq) {
    return "STATUS " + member + " " + target + " " + seq;
  }

  public static String members(String group, String member) {
    return "MEMBERS " + group + " " + member;
  }

  public static String groups(String member) {
    return "GROUPS " + member;
  }

  /** Checks the rules every message text obeys, wherever it comes from. */
  public static void checkText(byte[] text) throws ProtocolException {
    if (text.length == 0) {
      throw bad("the message is empty");
    }
    if (text.length > Lines.MAX_MESSAGE_BYTES) {
      throw bad(
          "the message is " + text.length + " bytes; the limit is " + Lines.MAX_MESSAGE_BYTES);
    }
    for (byte x : text) {
      if (x == '\n' || x == '\r') {
        throw bad("the message contains a line break");
      }
    }
  }

  public static String auth(String group, String member, String secret) {
    return "AUTH " + group + " " + member + " " + secret;
  }

  public static String register(String group, String member, String host, int port) {
    return "REGISTER " + group + " " + member + " " + host + " " + port;
  }

  public static String reconnect(String group, String member, String host, int port) {
    return "RECONNECT " + group + " " + member + " " + host + " " + port;
  }

  public static String disconnect(String group, String member) {
    return "DISCONNECT " + group + " " + member;
  }

  public static String deregister(String group, String member) {
    return "DEREGISTER " + group + " " + member;
  }

  public static String msend(String group, String member, String msgId, String text) {
    return "MSEND " + group + " " + member + " " + (msgId == null ? "-" : msgId) + " " + text;
  }

  private static String[] fields(String line, int count, String usage) throws ProtocolException {
    String[] f = line.split(" ", -1);
    if (f.length != count) {
      throw bad("usage: " + usage);
    }
    return f;
  }

  private static String group(String s) throws ProtocolException {
    if (!Names.isValidName(s)) {
      throw bad("invalid group '" + abbreviate(s) + "': 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    return s;
  }

  private static String member(String s) throws ProtocolException {
    if (!Names.isValidName(s)) {
      throw bad("invalid member ID '" + abbreviate(s) + "': 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    return s;
  }

  private static String host(String s) throws ProtocolException {
    if (s.isEmpty() || s.length() > 255 || !s.matches("[A-Za-z0-9.:_%\\[\\]-]+")) {
      throw bad("invalid HOST '" + abbreviate(s) + "'");
    }
    return s;
  }

  private static int port(String s) throws ProtocolException {
    try {
      int p = Integer.parseInt(s);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw bad("invalid PORT '" + abbreviate(s) + "': a number from 1 to 65535");
  }

  private static ProtocolException bad(String message) {
    return new ProtocolException(Replies.BAD_REQUEST, message);
  }

  private static String abbreviate(String s) {
    String printable = s.replaceAll("\\p{Cntrl}", "?");
    return printable.length() <= 40 ? printable : printable.substring(0, 40) + "...";
  }
}
