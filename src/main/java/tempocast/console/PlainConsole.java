package tempocast.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

/**
 * The console on plain standard input and output, byte for byte as scripts and tests rely on: lines
 * split by {@link ConsoleInput}, results and notices printed as they are, and a prompt only if
 * there is one to print (at a terminal that {@link TerminalConsole} cannot drive).
 */
public final class PlainConsole implements Console {
  private final InputStream in;
  private final PrintStream out;
  private final String prompt;

  /** {@code prompt}: printed before each line is read, or null for none. */
  public PlainConsole(InputStream in, PrintStream out, String prompt) {
    this.in = in;
    this.out = out;
    this.prompt = prompt;
  }

  @Override
  public ConsoleInput.Line read() throws IOException {
    if (prompt != null) {
      out.print(prompt);
      out.flush();
    }
    return ConsoleInput.read(in);
  }

  @Override
  public void print(String lines) {
    out.println(lines);
  }

  @Override
  public void notice(String line) {
    out.println(line);
  }

  @Override
  public void close() {
    out.flush();
    try {
      in.close();
    } catch (IOException e) {
      // standard input is gone already
    }
  }
}
