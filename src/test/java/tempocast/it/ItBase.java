package tempocast.it;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Common set-up for the end-to-end tests: one {@link ProcessFixture} per test method, working in a
 * JUnit temp dir; on failure the fixture prints every started process's stdout/stderr and the
 * message logs; after each test every process the fixture started is killed.
 */
abstract class ItBase {

  @TempDir Path tmp;

  protected ProcessFixture fx;

  @RegisterExtension
  final AfterTestExecutionCallback dumpOnFailure =
      ctx -> {
        if (ctx.getExecutionException().isPresent() && fx != null) {
          fx.dumpDiagnostics(
              ctx.getRequiredTestClass().getSimpleName() + "." + ctx.getDisplayName());
        }
      };

  @BeforeEach
  void createFixture() {
    ProcessFixture.jar(); // fail fast with a clear message if the jar is missing
    fx = new ProcessFixture(tmp);
  }

  @AfterEach
  void closeFixture() {
    if (fx != null) fx.close();
  }
}
