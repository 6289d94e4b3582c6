package tempocast.app;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.LoggerFactory;
import tempocast.config.ConfigException;
import tempocast.console.Console;
import tempocast.console.ConsoleCommand;
import tempocast.console.ConsoleInput;
import tempocast.console.PlainConsole;
import tempocast.console.TerminalConsole;
import tempocast.participant.MessageLog;
import tempocast.participant.Participant;
import tempocast.participant.ParticipantConfigFile;
import tempocast.participant.ParticipantSettings;
import tempocast.participant.ParticipantStats;
import tempocast.protocol.Lines;

/**
 * Starts a participant and runs its console on the main thread: one command a line from standard
 * input, one result line for each on standard output.
 */
public final class ParticipantMain {
  private ParticipantMain() {}

  public static int run(Path configFile) {
    ParticipantSettings settings;
    try {
      settings = ParticipantConfigFile.load(configFile);
    } catch (ConfigException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    }
    Logging.startToFile(settings.programLogFile());
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Console console = openConsole(settings, out);
    ParticipantStats stats = new ParticipantStats();
    ActorSystem<Participant.Command> system;
    try {
      system =
          ActorSystem.create(
              Behaviors.setup(
                  ctx -> {
                    ActorRef<MessageLog.Command> log =
                        ctx.spawn(
                            MessageLog.create(settings.logFile(), stats),
                            "message-log",
                            DispatcherSelector.fromConfig("tempocast.blocking-io-dispatcher"));
                    return Participant.create(settings, log, console::notice, stats);
                  }),
              "tempocast-participant");
    } catch (RuntimeException e) {
      console.close();
      System.err.println("error: cannot start: " + e.getMessage());
      return 1;
    }
    // Long enough for any command's own timeouts to fire first (a connection is tried at each
    // coordinator address in turn).
    Duration wait =
        settings
            .msendRetryFor()
            .plus(settings.requestTimeout())
            .plus(settings.connectTimeout().multipliedBy(settings.coordinators().size()))
            .plusSeconds(5);
    boolean quit = false;
    try (console) {
      while (true) {
        ConsoleInput.Line next = console.read();
        if (next == null) {
          break; // end of input: leave as quit does
        }
        if (next instanceof ConsoleInput.TooLong tooLong) {
          console.print(tooLong.error());
          continue;
        }
        byte[] raw = ((ConsoleInput.Text) next).bytes();
        if (!Lines.isValidUtf8(raw)) {
          console.print("ERROR the line is not valid UTF-8");
          continue;
        }
        String line = new String(raw, StandardCharsets.UTF_8);
        if (line.isBlank()) {
          continue;
        }
        ConsoleCommand cmd = ConsoleCommand.parse(line);
        Participant.Result result = execute(system, cmd, wait);
        console.print(result.line());
        if (result.quit()) {
          quit = true;
          break;
        }
      }
      if (!quit) {
        // as quit does, with the figures once more, but without its result line
        String listing = execute(system, ConsoleCommand.Quit.INSTANCE, wait).listing();
        if (!listing.isEmpty()) {
          console.print(listing.substring(0, listing.length() - 1));
        }
      }
    } catch (IOException e) {
      System.err.println("error: reading standard input: " + e.getMessage());
      execute(system, ConsoleCommand.Quit.INSTANCE, wait);
    }
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
    return 0;
  }

  /**
   * JLine's console when standard input and output are a terminal it can drive; else plain standard
   * input, as scripts and tests rely on, with a prompt only at a terminal.
   */
  private static Console openConsole(ParticipantSettings settings, PrintStream out) {
    String prompt = settings.id() + "> ";
    if (System.console() == null) {
      return new PlainConsole(new BufferedInputStream(System.in), out, null);
    }
    try {
      Console terminal = TerminalConsole.open(settings.historyFile(), prompt);
      if (terminal != null) {
        return terminal;
      }
    } catch (IOException | RuntimeException e) {
      LoggerFactory.getLogger(ParticipantMain.class)
          .warn("Line editing is off: cannot drive the terminal: {}", e.toString());
    }
    return new PlainConsole(new BufferedInputStream(System.in), out, prompt);
  }

  private static Participant.Result execute(
      ActorSystem<Participant.Command> system, ConsoleCommand cmd, Duration wait) {
    try {
      return AskPattern.<Participant.Command, Participant.Result>ask(
              system, r -> new Participant.Execute(cmd, r), wait, system.scheduler())
          .toCompletableFuture()
          .get(wait.toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      return new Participant.Result(
          "ERROR no answer in time; the command's outcome is unknown", false);
    }
  }
}
