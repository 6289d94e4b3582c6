package tempocast.journal;

/** The store could not do what was asked (disk full, permissions, corruption). */
public final class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
