package tempocast.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tempocast.coordinator.CoordinatorConfigFile;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.journal.InMemoryJournalStore;
import tempocast.journal.StoreException;
import tempocast.metrics.Metrics;

/**
 * The coordinator role as a node takes it: commands wait while the journal is claimed and loaded, a
 * journal that another node still holds is tried again, and handing the role on releases the
 * journal for the next holder.
 */
class CoordinatorRoleTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  CoordinatorSettings settings() throws Exception {
    Path file = dir.resolve("node.conf");
    Files.writeString(file, "5999\n5\n");
    return CoordinatorConfigFile.load(file);
  }

  /** Command {@code n} of connection {@code origin}, whose oldest unanswered is {@code oldest}. */
  static CoordinatorRole.Forward line(
      String origin, long n, long oldest, String text, TestProbe<CoordinatorRole.Answer> probe) {
    return new CoordinatorRole.Forward(
        origin, n, oldest, text.getBytes(StandardCharsets.UTF_8), null, probe.getRef());
  }

  /** A connection's only command. */
  static CoordinatorRole.Forward line(String text, TestProbe<CoordinatorRole.Answer> probe) {
    return line(java.util.UUID.randomUUID().toString(), 1, 1, text, probe);
  }

  ActorRef<CoordinatorRole.Command> openRole() throws Exception {
    InMemoryJournalStore store = new InMemoryJournalStore();
    return kit.spawn(
        CoordinatorRole.create(
            settings(),
            Metrics.disabled(),
            () -> new CoordinatorRole.Opened(store, "memory", store.load())));
  }

  static final String MEMBERS = "OK MEMBERS main 0\n";
  static final String GROUPS = "OK GROUPS 1 main 0 0 5\n";

  static String next(TestProbe<CoordinatorRole.Answer> probe) {
    return text(probe.receiveMessage(Duration.ofSeconds(10)));
  }

  /** The next two answers, in either order: they run in order, but answer as they finish. */
  static java.util.Set<String> nextTwo(TestProbe<CoordinatorRole.Answer> probe) {
    return java.util.Set.of(next(probe), next(probe));
  }

  @Test
  void aLaterCommandWaitsForAnEarlierOneThisHolderHasNotSeen() throws Exception {
    ActorRef<CoordinatorRole.Command> role = openRole();
    TestProbe<CoordinatorRole.Answer> probe = kit.createTestProbe();
    // The old holder died with command 1; command 2 waited in the singleton's buffer and comes
    // first, command 1 comes when its node sends it again.
    role.tell(line("c", 2, 1, "GROUPS", probe));
    probe.expectNoMessage(Duration.ofMillis(300));
    role.tell(line("c", 1, 1, "MEMBERS main", probe));
    assertEquals(java.util.Set.of(MEMBERS, GROUPS), nextTwo(probe));
    // Later ones run at once again, and a resent one runs again (it may run twice).
    role.tell(line("c", 3, 3, "GROUPS", probe));
    assertEquals(GROUPS, next(probe));
    role.tell(line("c", 3, 3, "MEMBERS main", probe));
    assertEquals(MEMBERS, next(probe));
    kit.stop(role);
  }

  @Test
  void aCommandGivenUpOnHoldsNoLaterOne() throws Exception {
    ActorRef<CoordinatorRole.Command> role = openRole();
    TestProbe<CoordinatorRole.Answer> probe = kit.createTestProbe();
    role.tell(line("c", 2, 1, "GROUPS", probe));
    role.tell(line("c", 3, 1, "MEMBERS main", probe));
    probe.expectNoMessage(Duration.ofMillis(300));
    role.tell(new CoordinatorRole.GivenUp("c", 1));
    assertEquals(java.util.Set.of(MEMBERS, GROUPS), nextTwo(probe));
    kit.stop(role);
  }

  @Test
  void whatWasAnsweredBeforeTheHolderCameIsNotWaitedFor() throws Exception {
    ActorRef<CoordinatorRole.Command> role = openRole();
    TestProbe<CoordinatorRole.Answer> probe = kit.createTestProbe();
    // Commands 1 to 4 were answered by the old holder: 5 is this holder's first and runs.
    role.tell(line("c", 5, 5, "GROUPS", probe));
    assertEquals(GROUPS, next(probe));
    // 7 waits for 6, sent before it and not answered yet (oldest 6).
    role.tell(line("c", 7, 6, "GROUPS", probe));
    probe.expectNoMessage(Duration.ofMillis(300));
    role.tell(line("c", 6, 6, "MEMBERS main", probe));
    assertEquals(java.util.Set.of(MEMBERS, GROUPS), nextTwo(probe));
    kit.stop(role);
  }

  static String text(CoordinatorRole.Answer a) {
    return new String(a.line(), StandardCharsets.UTF_8);
  }

  @Test
  void commandsWaitForTheJournalThenRunInTheirOrder() throws Exception {
    CountDownLatch loaded = new CountDownLatch(1);
    InMemoryJournalStore store = new InMemoryJournalStore();
    ActorRef<CoordinatorRole.Command> role =
        kit.spawn(
            CoordinatorRole.create(
                settings(),
                Metrics.disabled(),
                () -> {
                  try {
                    loaded.await(10, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return new CoordinatorRole.Opened(store, "memory", store.load());
                }));
    TestProbe<CoordinatorRole.Answer> probe = kit.createTestProbe();
    role.tell(line("c", 1, 1, "CREATE team alice -", probe));
    role.tell(line("c", 2, 1, "GROUPS", probe));
    probe.expectNoMessage(Duration.ofMillis(300));
    loaded.countDown();
    assertEquals(
        "ERROR not-registered alice is not registered: REGISTER first\n",
        text(probe.receiveMessage(Duration.ofSeconds(10))));
    assertEquals("OK GROUPS 1 main 0 0 5\n", text(probe.receiveMessage(Duration.ofSeconds(10))));
    kit.stop(role);
  }

  @Test
  void aJournalThatAnotherNodeHoldsIsTriedAgainUntilItIsFree() throws Exception {
    AtomicInteger tries = new AtomicInteger();
    InMemoryJournalStore store = new InMemoryJournalStore();
    ActorRef<CoordinatorRole.Command> role =
        kit.spawn(
            CoordinatorRole.create(
                settings(),
                Metrics.disabled(),
                () -> {
                  if (tries.incrementAndGet() < 3) {
                    throw StoreException.inUse("postgresql://test/db", null);
                  }
                  return new CoordinatorRole.Opened(store, "memory", store.load());
                }));
    TestProbe<CoordinatorRole.Answer> probe = kit.createTestProbe();
    role.tell(line("GROUPS", probe));
    assertEquals("OK GROUPS 1 main 0 0 5\n", text(probe.receiveMessage(Duration.ofSeconds(10))));
    assertEquals(3, tries.get());
    kit.stop(role);
  }

  @Test
  void handingTheRoleOnReleasesTheJournal() throws Exception {
    CountDownLatch closed = new CountDownLatch(1);
    InMemoryJournalStore store =
        new InMemoryJournalStore() {
          @Override
          public void close() {
            closed.countDown();
          }
        };
    ActorRef<CoordinatorRole.Command> role =
        kit.spawn(
            CoordinatorRole.create(
                settings(),
                Metrics.disabled(),
                () -> new CoordinatorRole.Opened(store, "memory", store.load())));
    TestProbe<CoordinatorRole.Answer> probe = kit.createTestProbe();
    role.tell(line("GROUPS", probe));
    probe.receiveMessage(Duration.ofSeconds(10));
    kit.stop(role);
    assertEquals(true, closed.await(10, TimeUnit.SECONDS), "the journal was not closed");
  }
}
