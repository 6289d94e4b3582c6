package tempocast.participant;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A participant's settings: its file's three lines (line 3: one coordinator address or several,
 * tried in turn), its optional secret (null for none), whether the console prints {@code delivered
 * TARGET #SEQ} notices, and defaults from {@code tempocast.participant}.
 */
public record ParticipantSettings(
    String id,
    String secret,
    Path logFile,
    List<CoordinatorAddress> coordinators,
    Duration requestTimeout,
    Duration connectTimeout,
    Duration msendRetryFor,
    Duration coordinatorSilence,
    boolean notifyDelivered) {

  /** One coordinator's command port. {@code host} is without brackets, also for IPv6. */
  public record CoordinatorAddress(String host, int port) {
    /** {@code HOST:PORT}, {@code [V6]:PORT} for an IPv6 literal. */
    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  public ParticipantSettings {
    coordinators = List.copyOf(coordinators);
    if (coordinators.isEmpty()) {
      throw new IllegalArgumentException("at least one coordinator address");
    }
  }

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
        coordinators,
        requestTimeout,
        connectTimeout,
        msendRetryFor,
        coordinatorSilence,
        on);
  }

  public static ParticipantSettings fromConfig(
      String id, String secret, Path logFile, List<CoordinatorAddress> coordinators, Config root) {
    Config c = root.getConfig("tempocast.participant");
    return new ParticipantSettings(
        id,
        secret,
        logFile,
        coordinators,
        c.getDuration("request-timeout"),
        c.getDuration("connect-timeout"),
        c.getDuration("msend-retry-for"),
        c.getDuration("coordinator-silence"),
        true);
  }
}
