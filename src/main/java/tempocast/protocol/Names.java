package tempocast.protocol;

/** The forms of names on the wire: group and member IDs, message IDs. */
public final class Names {
  public static final String DEFAULT_GROUP = "main";
  public static final int MAX_NAME_LENGTH = 64;

  private Names() {}

  /** Each participant's inbox of direct messages is a sequence space named {@code @ID}. */
  public static final char INBOX_PREFIX = '@';

  public static String inbox(String member) {
    return INBOX_PREFIX + member;
  }

  public static boolean isInbox(String target) {
    return !target.isEmpty() && target.charAt(0) == INBOX_PREFIX;
  }

  /** 1 to 64 of {@code A-Z a-z 0-9 . _ -}. Checked on every MSEND, so no regular expression. */
  public static boolean isValidName(String s) {
    return matches(s, false);
  }

  /** As a name, and {@code :} too. */
  public static boolean isValidMsgId(String s) {
    return matches(s, true);
  }

  private static boolean matches(String s, boolean colon) {
    if (s == null || s.isEmpty() || s.length() > MAX_NAME_LENGTH) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-'
              || (colon && c == ':');
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
