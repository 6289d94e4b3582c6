package tempocast.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jline.reader.History;
import org.jline.reader.LineReader;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tempocast.participant.ParticipantSettings;

/** The terminal's line reader, driven through JLine's dumb terminal on in-memory streams. */
class TerminalConsoleTest {
  @TempDir Path dir;

  static Terminal terminal(String typed) throws Exception {
    return new DumbTerminal(
        new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)),
        new ByteArrayOutputStream());
  }

  static List<String> readAll(LineReader reader) {
    List<String> lines = new ArrayList<>();
    try {
      while (true) {
        lines.add(reader.readLine("> "));
      }
    } catch (org.jline.reader.EndOfFileException e) {
      return lines;
    }
  }

  @Test
  void historyIsKeptAcrossRunsInItsFile() throws Exception {
    Path history = dir.resolve("alice.log.history");
    try (Terminal t = terminal("groups\nuse team\n")) {
      LineReader first = TerminalConsole.reader(t, history, new Vocabulary());
      assertEquals(List.of("groups", "use team"), readAll(first));
      first.getHistory().save();
    }
    try (Terminal t = terminal("msend hi\n")) {
      LineReader second = TerminalConsole.reader(t, history, new Vocabulary());
      readAll(second);
      List<String> entries = new ArrayList<>();
      for (History.Entry e : second.getHistory()) {
        entries.add(e.line());
      }
      assertEquals(List.of("groups", "use team", "msend hi"), entries);
    }
  }

  @Test
  void aLineIsTakenExactlyAsTyped() throws Exception {
    String[] lines = {
      "msend it's \"quoted\" \\ and !! and !-1 and ^a^b", "msend  two  spaces\tand a tab "
    };
    try (Terminal t = terminal("msend first\n" + String.join("\n", lines) + "\n")) {
      LineReader reader = TerminalConsole.reader(t, dir.resolve("h"), new Vocabulary());
      assertEquals(List.of("msend first", lines[0], lines[1]), readAll(reader));
    }
  }

  @Test
  void theHistoryAndTheParticipantsLogLieBesideTheMessageLog() {
    ParticipantSettings s =
        new ParticipantSettings(
            "alice",
            null,
            Path.of("logs", "alice.log"),
            List.of(new ParticipantSettings.CoordinatorAddress("127.0.0.1", 5000)),
            null,
            null,
            null,
            null,
            true);
    assertEquals(Path.of("logs", "alice.log.history"), s.historyFile());
    assertEquals(Path.of("logs", "alice.log.participant.log"), s.programLogFile());
    ParticipantSettings bare =
        new ParticipantSettings(
            "bob",
            null,
            Path.of("bob.log"),
            List.of(new ParticipantSettings.CoordinatorAddress("127.0.0.1", 5000)),
            null,
            null,
            null,
            null,
            true);
    assertEquals(Path.of("bob.log.history"), bare.historyFile());
  }
}
