package tempocast.console;

import java.io.IOException;

/**
 * Where the participant's console reads its commands and prints its lines: standard input and
 * output as they are ({@link PlainConsole}), or a terminal with line editing ({@link
 * TerminalConsole}).
 */
public interface Console extends AutoCloseable {

  /** The next line typed or piped in; null at the end of input. */
  ConsoleInput.Line read() throws IOException;

  /** Prints the lines of a command's result (a listing, then its result line). */
  void print(String lines);

  /** Prints a notice; called from any thread, at any time. */
  void notice(String line);

  @Override
  void close();
}
