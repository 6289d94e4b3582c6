package tempocast.participant;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import tempocast.config.ConfigException;
import tempocast.config.ConfigFile;
import tempocast.protocol.Names;

/**
 * Reads a participant file: line 1 the ID, line 2 the log path, line 3 the coordinator's address,
 * or several (tried in turn, see {@link #coordinators}); then optionally {@code secret = ...},
 * which protects the ID from other participants, and {@code notify-delivered = on|off}, whether the
 * console says when a message it sent reached everyone.
 */
public final class ParticipantConfigFile {
  private ParticipantConfigFile() {}

  public static ParticipantSettings load(Path path) throws ConfigException {
    return load(path, ConfigFactory.load());
  }

  public static ParticipantSettings load(Path path, Config defaults) throws ConfigException {
    ConfigFile f = ConfigFile.read(path, 3, Set.of("secret", "notify-delivered"));
    ConfigFile.Line idLine = f.fixed(0, "line 1: the participant's ID");
    if (!Names.isValidName(idLine.text())) {
      throw f.error(
          idLine,
          "the participant's ID must be 1 to 64 letters, digits, '-', '_' or '.', got '"
              + idLine.text()
              + "'");
    }
    ConfigFile.Line logLine = f.fixed(1, "line 2: the message log's path");
    ConfigFile.Line addrLine =
        f.fixed(2, "line 3: the coordinator's address as 'IP PORT' (or several)");
    List<ParticipantSettings.CoordinatorAddress> coordinators = coordinators(f, addrLine);
    String secret = null;
    ConfigFile.Line secretLine = f.options().get("secret");
    if (secretLine != null) {
      secret = secretLine.text();
      if (!secret.matches("[\\x21-\\x7e]{1,128}")) {
        throw f.error(
            secretLine, "secret must be 1 to 128 printable ASCII characters without spaces");
      }
    }
    boolean notifyDelivered = true;
    ConfigFile.Line notifyLine = f.options().get("notify-delivered");
    if (notifyLine != null) {
      switch (notifyLine.text()) {
        case "on" -> notifyDelivered = true;
        case "off" -> notifyDelivered = false;
        default ->
            throw f.error(
                notifyLine,
                "notify-delivered must be 'on' or 'off', got '" + notifyLine.text() + "'");
      }
    }
    return ParticipantSettings.fromConfig(
            idLine.text(), secret, Path.of(logLine.text()), coordinators, defaults)
        .withNotifyDelivered(notifyDelivered);
  }

  static final String FORMS =
      "the coordinator's address must be 'IP PORT' or 'IP:PORT' ('[IPv6]:PORT'), or several:"
          + " 'IP PORT, IP PORT' (comma-separated, each either form),"
          + " 'IP:PORT IP:PORT' or 'IP PORT IP PORT' (space-separated, all of one form)";

  private static final Pattern NAME_OR_IPV4 = Pattern.compile("[A-Za-z0-9.-]+");
  private static final Pattern IPV6 =
      Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  /**
   * Line 3: one address or several, in the order to try them. With commas, each comma-separated
   * entry is one address, {@code IP PORT} or {@code IP:PORT}. Without, the spaces separate either
   * {@code IP PORT} pairs (every second field has no ':', so it is a port) or {@code IP:PORT}
   * fields; the two readings never both fit, and mixed forms need commas.
   */
  static List<ParticipantSettings.CoordinatorAddress> coordinators(
      ConfigFile f, ConfigFile.Line line) throws ConfigException {
    String text = line.text();
    List<String[]> entries = new ArrayList<>();
    if (text.indexOf(',') >= 0) {
      for (String entry : text.split(",", -1)) {
        String[] fields = entry.strip().split("\\s+");
        if (entry.isBlank() || fields.length > 2) {
          throw f.error(line, FORMS + "; got '" + text + "'");
        }
        entries.add(fields.length == 2 ? fields : hostColonPort(f, line, fields[0]));
      }
    } else {
      String[] fields = text.split("\\s+");
      boolean pairs = fields.length % 2 == 0;
      for (int i = 1; i < fields.length && pairs; i += 2) {
        pairs = fields[i].indexOf(':') < 0;
      }
      for (int i = 0; i < fields.length; i += pairs ? 2 : 1) {
        entries.add(
            pairs ? new String[] {fields[i], fields[i + 1]} : hostColonPort(f, line, fields[i]));
      }
    }
    List<ParticipantSettings.CoordinatorAddress> out = new ArrayList<>();
    for (String[] e : entries) {
      String host =
          e[0].startsWith("[") && e[0].endsWith("]") ? e[0].substring(1, e[0].length() - 1) : e[0];
      if (!NAME_OR_IPV4.matcher(host).matches() && !IPV6.matcher(host).matches()) {
        throw f.error(line, FORMS + "; '" + e[0] + "' is not an IP address; got '" + text + "'");
      }
      if (!e[1].matches("[0-9]{1,9}")) {
        throw f.error(line, FORMS + "; '" + e[1] + "' is not a port; got '" + text + "'");
      }
      var a = new ParticipantSettings.CoordinatorAddress(host, f.port(line, e[1]));
      if (out.contains(a)) {
        throw f.error(line, "coordinator address " + a + " is listed twice; got '" + text + "'");
      }
      out.add(a);
    }
    return out;
  }

  /** {@code IP:PORT} or {@code [V6]:PORT} split at its last ':'. */
  private static String[] hostColonPort(ConfigFile f, ConfigFile.Line line, String field)
      throws ConfigException {
    int colon = field.lastIndexOf(':');
    if (colon <= 0) {
      throw f.error(line, FORMS + "; got '" + line.text() + "'");
    }
    return new String[] {field.substring(0, colon), field.substring(colon + 1)};
  }
}
