package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tempocast.it.ProcessFixture.texts;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Participant;

/**
 * IDs are unique across the cluster: two participants with the same ID, each talking to another
 * node, type {@code register 0} at the same moment; exactly one gets {@code OK registered}, the
 * other an {@code ERROR}, and the ID is then registered once, at the winner's receiver. Three
 * rounds (the winner deregisters after each), the two writes in turn in either order.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ClusterUniqueIdIT extends PostgresItBase {
  @Test
  void twoRegistrationsOfOneIdThroughTwoNodesAtOnceGiveOneOk() throws Exception {
    pg.createDatabase("unique_id");
    ClusterNodes nodes = new ClusterNodes(fx, pg, "unique_id", "30", 2);
    nodes.startAll();
    // Both nodes in the cluster, forwarding to the role, before the race.
    nodes.awaitAnswering(0);
    nodes.awaitAnswering(1);

    Participant a = twin("a", nodes.addresses(0, 1));
    Participant b = twin("b", nodes.addresses(1, 0));
    for (Participant p : List.of(a, b)) {
      assertEquals("OK help", p.listing("help").result(), p.proc.name + ": console up");
    }

    List<String> wonByA = new ArrayList<>();
    List<String> wonByB = new ArrayList<>();
    for (int round = 1; round <= 3; round++) {
      Participant first = round % 2 == 1 ? a : b;
      Participant second = first == a ? b : a;
      first.proc.writeLine("register 0");
      second.proc.writeLine("register 0");
      String rFirst = first.nextResult(ProcessFixture.COMMAND_TIMEOUT, "register 0");
      String rSecond = second.nextResult(ProcessFixture.COMMAND_TIMEOUT, "register 0");
      String outcome =
          "round "
              + round
              + ": "
              + first.proc.name
              + " ["
              + rFirst
              + "], "
              + second.proc.name
              + " ["
              + rSecond
              + "]";
      System.out.println("CLUSTER unique id " + outcome);
      boolean firstWon = rFirst.startsWith("OK registered alice ");
      boolean secondWon = rSecond.startsWith("OK registered alice ");
      assertTrue(firstWon != secondWon, "exactly one OK registered: " + outcome);
      Participant winner = firstWon ? first : second;
      Participant loser = firstWon ? second : first;
      String lost = firstWon ? rSecond : rFirst;
      assertTrue(lost.startsWith("ERROR ") && lost.length() > 6, "the other an ERROR: " + outcome);
      String won = firstWon ? rFirst : rSecond;
      assertTrue(ProcessFixture.REGISTERED.matcher(won).matches(), "the OK line: " + outcome);

      // The cluster has one alice, online, at the winner's receiver: its message reaches it.
      try (RawLineSocket raw = RawLineSocket.connect(nodes.commandPort(round % 2))) {
        raw.send("MEMBERS main");
        assertEquals("OK MEMBERS main 1 alice online", raw.readLine(), outcome);
      }
      String text = "round " + round + " from the one alice";
      winner.msend(text);
      winner.awaitText(text);
      (winner == a ? wonByA : wonByB).add(text);
      // The loser is not registered: it may not send.
      loser.expectError("msend from the one that was refused");
      winner.deregister();
    }
    assertEquals(wonByA, texts(a.logEntries()), "a's log: the messages of the rounds it won");
    assertEquals(wonByB, texts(b.logEntries()), "b's log: the messages of the rounds it won");
  }

  /** A participant {@code alice} with a file and a log of its own, {@code alice-SUFFIX}. */
  private Participant twin(String suffix, String addresses) {
    String name = "alice-" + suffix;
    var cfg =
        fx.writeFile(
            name + ".cfg", "alice\n" + name + ".log\n" + addresses + "\nnotify-delivered = off\n");
    return fx.startParticipant("alice", cfg, fx.dir().resolve(name + ".log"));
  }
}
