package tempocast;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What a failure says to a person: the reason buried in a chain of causes. In the root package
 * because every part (the mains, the coordinator, the participant) reports failures; it depends on
 * nothing in tempocast.
 */
public final class Failures {
  private Failures() {}

  /**
   * Without the {@link CompletionException} and {@link ExecutionException} that futures wrap around
   * it.
   */
  public static Throwable unwrap(Throwable err) {
    Throwable t = err;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * The innermost cause's message, the reason a user can act on (its class name if it has none).
   */
  public static String rootMessage(Throwable err) {
    Throwable t = err;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return text(t);
  }

  /** The first message along the chain of causes (the innermost's class name if none has one). */
  public static String firstMessage(Throwable err) {
    Throwable t = err;
    while (t.getCause() != null && t.getMessage() == null) {
      t = t.getCause();
    }
    return text(t);
  }

  private static String text(Throwable t) {
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }
}
