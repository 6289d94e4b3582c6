package tempocast.journal;

/** A named group and its own td; kept across restarts, also once its last member left. */
public record GroupRecord(String name, long tdMillis) {}
