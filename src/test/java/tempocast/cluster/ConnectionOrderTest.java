package tempocast.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The order in which the coordinator role runs one connection's commands: the connection's own,
 * whatever order they arrive in after the role moved, without waiting for what was answered before
 * or given up on.
 */
class ConnectionOrderTest {
  final List<Long> ran = new ArrayList<>();

  static CoordinatorRole.Forward command(long n, long oldest) {
    return new CoordinatorRole.Forward("c", n, oldest, new byte[0], null, null);
  }

  void arrive(CoordinatorRole.ConnectionOrder order, long n, long oldest) {
    order.arrived(command(n, oldest), f -> ran.add(f.n()));
  }

  @Test
  void inTheSteadyStateEachRunsAsItArrives() {
    var order = new CoordinatorRole.ConnectionOrder(1);
    arrive(order, 1, 1);
    arrive(order, 2, 1);
    arrive(order, 3, 2);
    assertEquals(List.of(1L, 2L, 3L), ran);
  }

  @Test
  void laterOnesThatCameFirstWaitForAnEarlierOneSentAgain() {
    // 3 and 4 reached the new holder first; 2 (lost with the old one) comes again after them.
    var order = new CoordinatorRole.ConnectionOrder(2);
    arrive(order, 3, 2);
    arrive(order, 4, 2);
    assertEquals(List.of(), ran);
    arrive(order, 2, 2);
    assertEquals(List.of(2L, 3L, 4L), ran);
    arrive(order, 3, 3); // 3 sent again as well: it runs again (an MSEND recognises itself)
    assertEquals(List.of(2L, 3L, 4L, 3L), ran);
  }

  @Test
  void aCommandGivenUpOnNoLongerHoldsTheOthers() {
    var order = new CoordinatorRole.ConnectionOrder(1);
    arrive(order, 2, 1);
    arrive(order, 4, 1);
    order.givenUp(1, f -> ran.add(f.n()));
    assertEquals(List.of(2L), ran); // 4 still waits for 3
    order.givenUp(3, f -> ran.add(f.n()));
    assertEquals(List.of(2L, 4L), ran);
    arrive(order, 5, 5);
    assertEquals(List.of(2L, 4L, 5L), ran);
  }

  @Test
  void anOldestUnansweredLaterThanExpectedReleasesWhatWaits() {
    // 6 waited for 5; then 5 was answered (by the old holder, its reply was only late), and 7
    // says so: 6 runs, then 7.
    var order = new CoordinatorRole.ConnectionOrder(5);
    arrive(order, 6, 5);
    assertEquals(List.of(), ran);
    arrive(order, 7, 6);
    assertEquals(List.of(6L, 7L), ran);
  }
}
