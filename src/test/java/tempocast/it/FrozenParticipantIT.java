package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * A participant frozen (SIGSTOP) for longer than heartbeat-timeout while others send is taken
 * offline by the coordinator; once it runs again (SIGCONT) it gets everything it is owed, exactly
 * once and in order, without anyone typing anything to it, and it can send again.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FrozenParticipantIT extends ItBase {
  static final int HEARTBEAT_TIMEOUT_S = 3;

  @Test
  void aFrozenParticipantComesBackByItselfWithNothingLost() throws Exception {
    int port = ProcessFixture.freePort();
    Path cfg =
        fx.writeFile(
            "coordinator.cfg",
            port
                + "\n120\ndata-dir = "
                + tmp.resolve("coordinator-data")
                + "\nheartbeat-timeout = "
                + HEARTBEAT_TIMEOUT_S
                + "\n");
    Coordinator c = fx.startCoordinator(cfg, port);
    List<Participant> senders = new ArrayList<>();
    for (String id : List.of("ann", "ben", "cat")) {
      senders.add(fx.startParticipant(id, c.port));
    }
    Participant dee = fx.startParticipant("dee", c.port);
    for (Participant p : senders) {
      p.register(0);
    }
    dee.register(0);

    // Three senders, one msend after another each, messages of a few KiB.
    String filler = "x".repeat(3000);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (Participant p : senders) {
      Thread t =
          new Thread(
              () -> {
                try {
                  for (int i = 1; !stop.get(); i++) {
                    String text = p.id + "-" + i + " " + filler;
                    p.msend(text);
                    acknowledged.add(text);
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "sender-" + p.id);
      t.start();
      threads.add(t);
    }
    await("messages before the freeze", () -> acknowledged.size() >= 100, failure);

    signal(dee, "STOP");
    try {
      // The coordinator notices the silence and takes dee offline; the others go on meanwhile.
      await(
          "the coordinator to take dee offline",
          () -> c.proc.stderr().contains("Participant [dee] offline"),
          failure);
      int atDrop = acknowledged.size();
      await(
          "more messages while dee is offline", () -> acknowledged.size() >= atDrop + 200, failure);
    } finally {
      signal(dee, "CONT");
    }
    int atCont = acknowledged.size();
    await("messages after SIGCONT", () -> acknowledged.size() >= atCont + 100, failure);
    stop.set(true);
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(30));
    }
    if (failure.get() != null) {
      fail("a sender failed", failure.get());
    }

    // Nobody types anything to dee: its log must fill by itself.
    int total = acknowledged.size();
    List<LogEntry> log = dee.awaitLog(total, Duration.ofSeconds(30));
    assertEquals(total, log.size(), "dee's log: exactly the acknowledged messages");
    ProcessFixture.assertStrictlyIncreasingSeqs(log, "dee");
    assertEquals(
        acknowledged.stream().sorted().toList(),
        ProcessFixture.texts(log).stream().sorted().toList(),
        "every acknowledged message once in dee's log (td 120 s: nothing lost)");
    assertEquals(
        ProcessFixture.seqs(senders.get(0).awaitLog(total)),
        ProcessFixture.seqs(log),
        "dee's order is everyone's order");

    List<String> notices =
        dee.proc.stdoutLines().stream()
            .filter(l -> l.startsWith("coordinator connection"))
            .toList();
    assertTrue(
        notices.isEmpty()
            || notices.get(notices.size() - 1).startsWith("coordinator connection restored"),
        "dee's console must not end on a lost connection while deliveries flow: " + notices);
    String stderr = c.proc.stderr();
    assertTrue(stderr.contains("heartbeat-timeout"), "the coordinator says why dee went offline");
    assertFalse(
        stderr.contains("No elements passed"), "no stream internals in the coordinator's log");
    // dee is online by its own account and by the coordinator's: it can send, and receives it.
    dee.msend("dee is back");
    dee.awaitText("dee is back");
    senders.get(0).awaitText("dee is back");
  }

  private static void await(
      String what, java.util.function.BooleanSupplier cond, AtomicReference<Throwable> failure) {
    ProcessFixture.await(
        Duration.ofSeconds(30),
        what,
        () -> {
          if (failure.get() != null) {
            fail("a sender failed while waiting for " + what, failure.get());
          }
          return cond.getAsBoolean();
        });
  }

  private static void signal(Participant p, String sig) throws IOException, InterruptedException {
    Process k =
        new ProcessBuilder("kill", "-" + sig, Long.toString(p.proc.pid())).inheritIO().start();
    if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
      fail("kill -" + sig + " " + p.proc.pid() + " failed");
    }
  }
}
