package tempocast.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The console for a person at a terminal, with JLine: line editing, a history kept across runs in a
 * file, and tab completion of commands, group names and member IDs. Notices are printed above the
 * line being typed. What a line means is the same as on a pipe: a line typed here goes through the
 * same checks ({@link ConsoleInput#MAX_LINE_BYTES}, UTF-8) and the same parser.
 *
 * <p>Ctrl-D on an empty line is the end of input (the participant leaves as {@code quit} does);
 * Ctrl-C drops the line being typed.
 */
public final class TerminalConsole implements Console {
  private final Terminal terminal;
  private final LineReader reader;
  private final String prompt;
  private final Vocabulary vocabulary;

  private TerminalConsole(
      Terminal terminal, LineReader reader, String prompt, Vocabulary vocabulary) {
    this.terminal = terminal;
    this.reader = reader;
    this.prompt = prompt;
    this.vocabulary = vocabulary;
  }

  /**
   * A console on the process's own terminal; null if JLine cannot drive it (a dumb terminal), so
   * that the caller keeps to plain standard input. Call only when standard input and output are a
   * terminal: JLine must never read a pipe.
   */
  public static TerminalConsole open(Path historyFile, String prompt) throws IOException {
    Terminal terminal =
        TerminalBuilder.builder()
            .system(true)
            .encoding(StandardCharsets.UTF_8)
            .dumb(true) // a terminal JLine cannot drive comes back dumb, without a warning
            .build();
    if (terminal.getType().startsWith(Terminal.TYPE_DUMB)) {
      terminal.close();
      return null;
    }
    Vocabulary vocabulary = new Vocabulary();
    return new TerminalConsole(
        terminal, reader(terminal, historyFile, vocabulary), prompt, vocabulary);
  }

  /**
   * The line reader: history in {@code historyFile} (read at start, each line appended as it is
   * entered), completion from {@code vocabulary}, and a line taken exactly as typed: no quotes,
   * escapes or {@code !} history expansion (a message may contain any of them).
   */
  static LineReader reader(Terminal terminal, Path historyFile, Vocabulary vocabulary) {
    DefaultParser parser = new DefaultParser();
    parser.setQuoteChars(new char[0]);
    parser.setEscapeChars(new char[0]);
    return LineReaderBuilder.builder()
        .terminal(terminal)
        .appName("tempocast")
        .parser(parser)
        .completer(new ConsoleCompleter(vocabulary))
        .variable(LineReader.HISTORY_FILE, historyFile)
        .variable(LineReader.HISTORY_FILE_SIZE, 10_000)
        .variable(LineReader.HISTORY_SIZE, 1_000)
        .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
        .option(LineReader.Option.HISTORY_IGNORE_DUPS, true)
        .option(LineReader.Option.HISTORY_INCREMENTAL, true)
        .build();
  }

  @Override
  public ConsoleInput.Line read() {
    String line;
    try {
      line = reader.readLine(prompt);
    } catch (UserInterruptException e) {
      return new ConsoleInput.Text(new byte[0]); // Ctrl-C: the line is dropped
    } catch (EndOfFileException e) {
      return null;
    }
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > ConsoleInput.MAX_LINE_BYTES) {
      return new ConsoleInput.TooLong(bytes.length);
    }
    return new ConsoleInput.Text(bytes);
  }

  @Override
  public void print(String lines) {
    vocabulary.learn(lines);
    reader.printAbove(lines);
  }

  @Override
  public void notice(String line) {
    vocabulary.learn(line);
    reader.printAbove(line);
  }

  @Override
  public void close() {
    try {
      reader.getHistory().save();
    } catch (IOException e) {
      // the history is a convenience: a full disk must not stop the participant leaving
    }
    try {
      terminal.close();
    } catch (IOException e) {
      // nothing more to restore
    }
  }
}
