package tempocast.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import tempocast.journal.PostgresServer;

/**
 * End-to-end tests on a private PostgreSQL server, started for each test class and stopped after
 * it; each test makes its own database on it.
 */
abstract class PostgresItBase extends ItBase {
  static PostgresServer pg;

  @BeforeAll
  static void startPostgres() {
    pg = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() {
    if (pg != null) {
      pg.close();
      pg = null;
    }
  }
}
