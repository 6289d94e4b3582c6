package tempocast.journal;

/** The {@link JournalStoreContract} on the in-memory store; its restart keeps the instance. */
class InMemoryJournalStoreTest extends JournalStoreContract {
  @Override
  JournalStore open() {
    return new InMemoryJournalStore();
  }

  @Override
  JournalStore reopen(JournalStore closed) {
    return closed;
  }
}
