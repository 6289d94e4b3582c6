package tempocast.app;

import java.nio.file.Path;

/** {@code java -jar tempocast.jar coordinator CONFIG | participant CONFIG}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // On two cores the common pool has parallelism 1, and CompletableFuture then starts a new
    // thread for every asynchronous completion (the ask pattern's futures among them). Set before
    // anything touches the common pool.
    if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
      System.setProperty(
          "java.util.concurrent.ForkJoinPool.common.parallelism",
          String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
    if (args.length != 2 || !(args[0].equals("coordinator") || args[0].equals("participant"))) {
      System.err.println("usage: java -jar tempocast.jar coordinator CONFIG | participant CONFIG");
      System.exit(2);
    }
    Path config = Path.of(args[1]);
    int status;
    if (args[0].equals("coordinator")) {
      Logging.start(); // to standard error, as logback.xml says
      status = CoordinatorMain.run(config);
    } else {
      status = ParticipantMain.run(config); // starts logging to a file once it knows the file
    }
    System.exit(status);
  }
}
