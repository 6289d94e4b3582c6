package tempocast.participant;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Set;
import tempocast.config.ConfigException;
import tempocast.config.ConfigFile;
import tempocast.protocol.Names;

/**
 * Reads a participant file: line 1 the ID, line 2 the log path, line 3 the coordinator's address;
 * then optionally {@code secret = ...}, which protects the ID from other participants, and {@code
 * notify-delivered = on|off}, whether the console says when a message it sent reached everyone.
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
    ConfigFile.Line addrLine = f.fixed(2, "line 3: the coordinator's address as 'IP PORT'");
    String addr = addrLine.text();
    String[] parts = addr.split("\\s+");
    if (parts.length == 1) {
      int colon = addr.lastIndexOf(':');
      parts =
          colon <= 0 ? parts : new String[] {addr.substring(0, colon), addr.substring(colon + 1)};
    }
    if (parts.length != 2 || parts[0].isEmpty()) {
      throw f.error(
          addrLine, "the coordinator's address must be 'IP PORT' or 'IP:PORT', got '" + addr + "'");
    }
    String host =
        parts[0].startsWith("[") && parts[0].endsWith("]")
            ? parts[0].substring(1, parts[0].length() - 1)
            : parts[0];
    int port = f.port(addrLine, parts[1]);
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
            idLine.text(), secret, Path.of(logLine.text()), host, port, defaults)
        .withNotifyDelivered(notifyDelivered);
  }
}
