package tempocast.app;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import tempocast.config.ConfigException;
import tempocast.console.ConsoleCommand;
import tempocast.console.ConsoleInput;
import tempocast.participant.MessageLog;
import tempocast.participant.Participant;
import tempocast.participant.ParticipantConfigFile;
import tempocast.participant.ParticipantSettings;
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
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    ActorSystem<Participant.Command> system;
    try {
      system =
          ActorSystem.create(
              Behaviors.setup(
                  ctx -> {
                    ActorRef<MessageLog.Command> log =
                        ctx.spawn(
                            MessageLog.create(settings.logFile()),
                            "message-log",
                            DispatcherSelector.fromConfig("tempocast.blocking-io-dispatcher"));
                    return Participant.create(settings, log, out::println);
                  }),
              "tempocast-participant");
    } catch (RuntimeException e) {
      System.err.println("error: cannot start: " + e.getMessage());
      return 1;
    }
    boolean interactive = System.console() != null;
    // Long enough for any command's own timeouts to fire first.
    Duration wait =
        settings
            .msendRetryFor()
            .plus(settings.requestTimeout())
            .plus(settings.connectTimeout())
            .plusSeconds(5);
    boolean quit = false;
    try (InputStream in = new BufferedInputStream(System.in)) {
      while (true) {
        if (interactive) {
          out.print(settings.id() + "> ");
          out.flush();
        }
        ConsoleInput.Line next = ConsoleInput.read(in);
        if (next == null) {
          break; // end of input: leave as quit does
        }
        if (next instanceof ConsoleInput.TooLong tooLong) {
          out.println(tooLong.error());
          continue;
        }
        byte[] raw = ((ConsoleInput.Text) next).bytes();
        if (!Lines.isValidUtf8(raw)) {
          out.println("ERROR the line is not valid UTF-8");
          continue;
        }
        String line = new String(raw, StandardCharsets.UTF_8);
        if (line.isBlank()) {
          continue;
        }
        ConsoleCommand cmd = ConsoleCommand.parse(line);
        Participant.Result result = execute(system, cmd, wait);
        out.println(result.line());
        if (result.quit()) {
          quit = true;
          break;
        }
      }
    } catch (IOException e) {
      System.err.println("error: reading standard input: " + e.getMessage());
    }
    if (!quit) {
      execute(system, ConsoleCommand.Quit.INSTANCE, wait);
    }
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
    return 0;
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
