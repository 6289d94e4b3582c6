package tempocast.participant;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A participant's settings: its file's three lines, its optional secret (null for none), whether
 * the console prints {@code delivered TARGET #SEQ} notices, and defaults from {@code
 * tempocast.participant}.
 */
public record ParticipantSettings(
    String id,
    String secret,
    Path logFile,
    String coordinatorHost,
    int coordinatorPort,
    Duration requestTimeout,
    Duration connectTimeout,
    Duration msendRetryFor,
    Duration coordinatorSilence,
    boolean notifyDelivered) {

  /**
   * The participant's own log (warnings, errors), beside the message log: {@code
   * LOG.participant.log}.
   */
  public Path programLogFile() {
    return besideLog(".participant.log");
  }

  /** The console's line history at a terminal, beside the message log: {@code LOG.history}. */
  public Path historyFile() {
    return besideLog(".history");
  }

  private Path besideLog(String suffix) {
    return logFile.resolveSibling(logFile.getFileName() + suffix);
  }

  public ParticipantSettings withNotifyDelivered(boolean on) {
    return new ParticipantSettings(
        id,
        secret,
        logFile,
        coordinatorHost,
        coordinatorPort,
        requestTimeout,
        connectTimeout,
        msendRetryFor,
        coordinatorSilence,
        on);
  }

  public static ParticipantSettings fromConfig(
      String id, String secret, Path logFile, String host, int port, Config root) {
    Config c = root.getConfig("tempocast.participant");
    return new ParticipantSettings(
        id,
        secret,
        logFile,
        host,
        port,
        c.getDuration("request-timeout"),
        c.getDuration("connect-timeout"),
        c.getDuration("msend-retry-for"),
        c.getDuration("coordinator-silence"),
        true);
  }
}
