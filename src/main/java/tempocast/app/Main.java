package tempocast.app;

import java.nio.file.Path;

/** {@code java -jar tempocast.jar coordinator CONFIG | participant CONFIG}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length != 2 || !(args[0].equals("coordinator") || args[0].equals("participant"))) {
      System.err.println("usage: java -jar tempocast.jar coordinator CONFIG | participant CONFIG");
      System.exit(2);
    }
    Path config = Path.of(args[1]);
    int status =
        args[0].equals("coordinator") ? CoordinatorMain.run(config) : ParticipantMain.run(config);
    System.exit(status);
  }
}
