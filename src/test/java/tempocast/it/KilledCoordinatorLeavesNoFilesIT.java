package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator killed with SIGKILL leaves nothing behind in the temporary directory: RocksDB's
 * native library (15 MB) is loaded from one copy in the user's cache, not copied to a new temporary
 * file at every start (which only a normal exit deletes).
 */
class KilledCoordinatorLeavesNoFilesIT {
  @TempDir Path dir;

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void twoCoordinatorsKilledWithSigkillLeaveNoCopyOfTheNativeLibrary() throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path home = Files.createDirectories(dir.resolve("home"));
    for (int i = 0; i < 2; i++) {
      int port = ProcessFixture.freePort();
      Files.writeString(dir.resolve("c" + i + ".cfg"), port + "\n10\ndata-dir = data-" + i + "\n");
      Process p =
          new ProcessBuilder(
                  Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xmx256m",
                  "-Djava.io.tmpdir=" + tmp,
                  "-Duser.home=" + home,
                  "-jar",
                  ProcessFixture.jar().toString(),
                  "coordinator",
                  "c" + i + ".cfg")
              .directory(dir.toFile())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      try (BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line = out.readLine();
        assertTrue(
            line != null && line.startsWith("tempocast coordinator listening on "),
            "the coordinator did not start: " + line);
      } finally {
        p.destroyForcibly(); // SIGKILL
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
      }
    }
    try (Stream<Path> left = Files.list(tmp)) {
      List<String> names =
          left.map(f -> f.getFileName().toString()).filter(n -> n.contains("rocksdb")).toList();
      assertEquals(List.of(), names, "left in java.io.tmpdir");
    }
    try (Stream<Path> copies = Files.walk(home.resolve(".cache/tempocast"))) {
      assertEquals(
          1,
          copies.filter(f -> f.getFileName().toString().endsWith(".so")).count(),
          "one copy of the library in the cache, shared by both starts");
    }
  }
}
