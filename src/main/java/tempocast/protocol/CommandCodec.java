package tempocast.protocol;

import java.nio.charset.StandardCharsets;

/** Parses and renders the command protocol (participant to coordinator), see docs/PROTOCOL.md. */
public final class CommandCodec {
  private CommandCodec() {}

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
      case "PING":
        if (sp >= 0) {
          throw bad("PING takes no arguments");
        }
        return ClientCommand.Ping.INSTANCE;
      case "":
        throw bad(
            "empty line; commands are AUTH, REGISTER, RECONNECT, DISCONNECT, DEREGISTER, MSEND, PING");
      default:
        throw bad(
            "unknown command '"
                + abbreviate(verb)
                + "'; commands are AUTH, REGISTER, RECONNECT, DISCONNECT, DEREGISTER, MSEND, PING");
    }
  }

  private static ClientCommand parseMSend(String line, int sp) throws ProtocolException {
    // MSEND GROUP MEMBER MSGID TEXT: the text is everything after the fourth space, kept exactly.
    int a = sp;
    int b = a < 0 ? -1 : line.indexOf(' ', a + 1);
    int c = b < 0 ? -1 : line.indexOf(' ', b + 1);
    int d = c < 0 ? -1 : line.indexOf(' ', c + 1);
    if (d < 0) {
      throw bad("usage: MSEND GROUP MEMBER MSGID TEXT (MSGID may be -)");
    }
    String group = group(line.substring(a + 1, b));
    String member = member(line.substring(b + 1, c));
    String msgIdField = line.substring(c + 1, d);
    String msgId = null;
    if (!msgIdField.equals("-")) {
      if (!Names.isValidMsgId(msgIdField)) {
        throw bad(
            "invalid MSGID '"
                + abbreviate(msgIdField)
                + "': up to 64 of A-Z a-z 0-9 . _ : -, or -");
      }
      msgId = msgIdField;
    }
    byte[] text = line.substring(d + 1).getBytes(StandardCharsets.UTF_8);
    checkText(text);
    return new ClientCommand.MSend(group, member, msgId, text);
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
