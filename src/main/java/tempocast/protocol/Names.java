package tempocast.protocol;

import java.util.regex.Pattern;

/** The forms of names on the wire: group and member IDs, message IDs. */
public final class Names {
  public static final String DEFAULT_GROUP = "main";
  public static final int MAX_NAME_LENGTH = 64;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern MSG_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  private Names() {}

  public static boolean isValidName(String s) {
    return s != null && NAME.matcher(s).matches();
  }

  public static boolean isValidMsgId(String s) {
    return s != null && MSG_ID.matcher(s).matches();
  }
}
