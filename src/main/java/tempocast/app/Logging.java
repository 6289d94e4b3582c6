package tempocast.app;

import java.nio.file.Path;

/**
 * Starts logging on the main thread, before any actor system exists. Logback initialises on the
 * first call that asks SLF4J for a logger; when threads of the actor system make that first call
 * together, SLF4J answers some of them with stand-in loggers while logback is still being set up,
 * then replays their calls and prints three {@code SLF4J(W)} lines about it on standard error,
 * before the program's first word. Initialising here, alone, leaves nothing to replay.
 */
final class Logging {
  /** The system property the participant's logback configuration reads its file from. */
  static final String PARTICIPANT_LOG_FILE = "tempocast.participant.log-file";

  private Logging() {}

  /** Logs as {@code logback.xml} says: the coordinator's log, to standard error. */
  static void start() {
    org.slf4j.LoggerFactory.getILoggerFactory();
  }

  /**
   * Logs to {@code file} (appending) as {@code logback-participant.xml} says, never to a console.
   */
  static void startToFile(Path file) {
    System.setProperty(PARTICIPANT_LOG_FILE, file.toAbsolutePath().toString());
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-participant.xml");
    }
    start();
  }
}
