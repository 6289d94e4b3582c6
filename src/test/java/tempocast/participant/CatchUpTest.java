package tempocast.participant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatchUpTest {
  final List<String> notices = new ArrayList<>();
  long now = 5_000_000_000L;
  final CatchUp catchUp = new CatchUp(notices::add, () -> now);

  void advanceMillis(long ms) {
    now += ms * 1_000_000;
  }

  @Test
  void aLongCatchUpShowsProgressAtMostOnceASecondThenTheTotal() {
    catchUp.owed(3000);
    assertEquals(List.of("catching up: 0 of 3000"), notices);
    for (int i = 0; i < 29; i++) {
      advanceMillis(100);
      catchUp.received(100); // 100 messages every 100 ms: 2.9 s for 2,900
    }
    advanceMillis(100);
    catchUp.received(100);
    assertEquals(
        List.of(
            "catching up: 0 of 3000",
            "catching up: 1000 of 3000",
            "catching up: 2000 of 3000",
            "caught up: 3000 messages in 3.0 s"),
        notices);
    catchUp.received(5); // live messages after that: nothing more
    catchUp.quiet();
    assertEquals(4, notices.size());
  }

  @Test
  void aShortCatchUpSaysNothing() {
    catchUp.owed(1000);
    advanceMillis(2000);
    catchUp.received(1000);
    catchUp.quiet();
    assertEquals(List.of(), notices);
  }

  @Test
  void countsAddUpAcrossOwedLines() {
    catchUp.owed(0); // nothing owed of the groups within td ...
    catchUp.owed(800); // ... and two groups past td, counted by the journal
    assertEquals(List.of(), notices);
    catchUp.owed(700);
    assertEquals(List.of("catching up: 0 of 1500"), notices);
    advanceMillis(500);
    catchUp.received(1500);
    assertEquals("caught up: 1500 messages in 0.5 s", notices.get(1));
  }

  @Test
  void theCoordinatorsHeartbeatEndsACountThatIsNeverReached() {
    catchUp.owed(2000);
    catchUp.quiet(); // a heartbeat before anything arrived does not end it
    advanceMillis(1500);
    catchUp.received(1990);
    catchUp.quiet();
    assertEquals(
        List.of(
            "catching up: 0 of 2000",
            "catching up: 1990 of 2000",
            "caught up: 1990 messages in 1.5 s"),
        notices);
  }
}
