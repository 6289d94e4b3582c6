package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/**
 * A journal on a full disk: msend gets an ERROR and nothing unstored is acknowledged; once there is
 * room again the coordinator stores messages again by itself, and nothing acknowledged is lost. The
 * disk is a small tmpfs mounted for the test (needs root; skipped otherwise).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DiskFullIT extends ItBase {
  Path mount;

  @Test
  void aFullDiskRefusesMessagesAndRecoversWhenThereIsRoomAgain() throws Exception {
    mount = fx.dir().resolve("small-disk");
    Files.createDirectories(mount);
    Process m =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString())
            .redirectErrorStream(true)
            .start();
    boolean mounted = m.waitFor(10, TimeUnit.SECONDS) && m.exitValue() == 0;
    Assumptions.assumeTrue(
        mounted,
        "cannot mount a tmpfs here (needs root): " + new String(m.getInputStream().readAllBytes()));

    int port = ProcessFixture.freePort();
    Path cfg =
        fx.writeFile("coordinator.conf", port + "\n30\ndata-dir = " + mount.resolve("data") + "\n");
    Coordinator c = fx.startCoordinator(cfg, port);
    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    alice.msend("before the disk filled up");

    Path filler = mount.resolve("filler");
    fill(filler);
    // What still fits in pages the journal's files already hold is stored; the first message
    // that needs a new page is refused.
    List<String> acknowledged = new ArrayList<>(List.of("before the disk filled up"));
    String refused = null;
    String pad = "p".repeat(30_000);
    for (int i = 0; i < 40 && refused == null; i++) {
      String text = "while full " + i + " " + pad;
      String r = alice.command("msend " + text);
      if (r.startsWith("OK sent #")) {
        acknowledged.add(text);
      } else {
        refused = r;
      }
    }
    assertTrue(
        refused != null && refused.startsWith("ERROR") && refused.contains("not stored"),
        "refused: " + refused);

    Files.delete(filler);
    long seq = Participant.parseSent(alice.commandUntilOk("msend after there is room again", 10));
    assertTrue(seq > 1, "stored again: #" + seq);
    acknowledged.add("after there is room again");
    for (Participant p : List.of(alice, bob)) {
      p.awaitText("after there is room again");
      assertEquals(
          acknowledged,
          ProcessFixture.texts(p.logEntries()),
          p.id + ": what was acknowledged, and only that");
    }
    assertTrue(c.proc.isAlive());
  }

  private static void fill(Path file) {
    byte[] block = new byte[1 << 16];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      // no space left: what we wanted
    }
  }

  @AfterEach
  void unmount() throws Exception {
    fx.close(); // stop the processes that have files open there first
    if (mount != null) {
      new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
