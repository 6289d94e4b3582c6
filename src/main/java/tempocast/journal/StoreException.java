package tempocast.journal;

/** The store could not do what was asked (disk full, permissions, corruption, in use). */
public final class StoreException extends RuntimeException {
  private final boolean inUse;

  public StoreException(String message, Throwable cause) {
    this(message, cause, false);
  }

  private StoreException(String message, Throwable cause, boolean inUse) {
    super(message, cause);
    this.inUse = inUse;
  }

  /** Another coordinator is using the store: it is not damaged, and frees it when it stops. */
  public static StoreException inUse(String where, Throwable cause) {
    return new StoreException(
        "another coordinator is using the journal in "
            + where
            + ": stop it first, or give this coordinator "
            + (where.startsWith("postgresql:") ? "a database" : "a data directory")
            + " of its own",
        cause,
        true);
  }

  public boolean inUse() {
    return inUse;
  }
}
