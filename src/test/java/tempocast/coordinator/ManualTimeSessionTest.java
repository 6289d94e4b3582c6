package tempocast.coordinator;

import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.junit.jupiter.api.BeforeEach;
import tempocast.journal.MutableClock;

/**
 * Set-up of the session tests that move time by hand: a {@link GroupFixture} per test, on an
 * in-memory journal, over the subclass's ManualTime kit (which the subclass shuts down), with alice
 * (receiver port 1) and bob (port 2) registered, and a wall clock that moves with the kit's
 * scheduler.
 */
abstract class ManualTimeSessionTest {
  final ActorTestKit kit;
  final Duration td;
  final ManualTime time;
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

  GroupFixture g;

  /** {@code kit} made with {@link ManualTime#config()}; {@code td} the fixture's td. */
  ManualTimeSessionTest(ActorTestKit kit, Duration td) {
    this.kit = kit;
    this.td = td;
    this.time = ManualTime.get(kit.system());
  }

  @BeforeEach
  void setUp() {
    g = new GroupFixture(kit, td, clock);
    g.register("alice", 1);
    g.register("bob", 2);
  }

  /** Moves both clocks by {@code d} at once. */
  void advance(Duration d) {
    jump(d);
  }

  /**
   * Moves both clocks in steps of {@code step}, so that timers set while time passes fire in turn.
   */
  void advanceInSteps(Duration d, Duration step) {
    for (long done = 0; done < d.toMillis(); done += step.toMillis()) {
      jump(step);
    }
  }

  private void jump(Duration d) {
    clock.advance(d);
    time.timePasses(d);
  }
}
