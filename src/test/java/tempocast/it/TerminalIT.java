package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A participant at a real terminal: run under {@code script}, which gives it a pseudo-terminal, so
 * that the JLine console is the one in use. Its history reaches the file beside the message log.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TerminalIT extends ItBase {

  @Test
  void atATerminalTheLinesGoIntoTheHistoryFile() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs script(1) for a pty");
    Path cfg =
        fx.writeFile(
            "alice.cfg", "alice\nalice.log\n127.0.0.1 " + ProcessFixture.freePort() + "\n");
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    String cmd = java + " -jar " + ProcessFixture.jar() + " participant " + cfg;
    Process p =
        new ProcessBuilder("/usr/bin/script", "-q", "-e", "-c", cmd, "/dev/null")
            .directory(fx.dir().toFile())
            .redirectErrorStream(true)
            .start();
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    try {
      Thread reader = new Thread(() -> copy(p.getInputStream(), seen), "pty-out");
      reader.setDaemon(true);
      reader.start();
      OutputStream in = p.getOutputStream();
      in.write("stats\n".getBytes(StandardCharsets.UTF_8));
      in.flush();
      ProcessFixture.await(
          Duration.ofSeconds(30),
          "OK stats at the terminal: " + seen,
          () -> text(seen).contains("OK stats"));
      in.write("quit\n".getBytes(StandardCharsets.UTF_8));
      in.flush();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits after quit: " + text(seen));
      assertTrue(text(seen).contains("OK bye"), text(seen));
      // only the JLine console keeps a history: the plain one on a pipe never writes this file
      List<String> history = Files.readAllLines(fx.dir().resolve("alice.log.history"));
      assertEquals(2, history.size(), history.toString());
      assertTrue(
          history.get(0).endsWith(":stats") && history.get(1).endsWith(":quit"),
          history.toString());
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  private static String text(ByteArrayOutputStream b) {
    synchronized (b) {
      return b.toString(StandardCharsets.UTF_8);
    }
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) > 0) {
        synchronized (out) {
          out.write(buf, 0, n);
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
  }
}
