package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static tempocast.it.ProcessFixture.assertStrictlyIncreasingSeqs;
import static tempocast.it.ProcessFixture.seqs;
import static tempocast.it.ProcessFixture.texts;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.LogEntry;
import tempocast.it.ProcessFixture.Participant;

/**
 * Guarantees 4 and 5 under load: three members send 100 messages each at the same time; every log
 * has all 300 exactly once, all logs in the same order, each sender's messages in its send order,
 * and the seq printed by `OK sent #SEQ` is the seq every log shows for that message.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ConcurrentSendersIT extends ItBase {

  private static final int PER_SENDER = 100;

  @Test
  void concurrentSendersTotalOrderAndFifo() throws Exception {
    Coordinator c = fx.startCoordinator("30");
    List<Participant> ps = fx.startAndRegister(c, "p1", "p2", "p3");

    ExecutorService pool = Executors.newFixedThreadPool(ps.size());
    Map<String, Long> seqOfText = new HashMap<>();
    try {
      List<Future<List<Long>>> futures = new ArrayList<>();
      for (Participant p : ps) {
        futures.add(
            pool.submit(
                () -> {
                  // each sender types its 100 commands as fast as it can, one line per command, in
                  // one thread per participant, so the three participants send concurrently
                  List<Long> seqsOfSender = new ArrayList<>();
                  for (int i = 0; i < PER_SENDER; i++) {
                    seqsOfSender.add(p.msend(text(p.id, i)));
                  }
                  return seqsOfSender;
                }));
      }
      for (int k = 0; k < ps.size(); k++) {
        List<Long> s = futures.get(k).get(120, TimeUnit.SECONDS);
        for (int i = 0; i < PER_SENDER; i++) {
          if (i > 0 && s.get(i) <= s.get(i - 1)) {
            fail(ps.get(k).id + ": OK sent seqs not increasing in send order: " + s);
          }
          seqOfText.put(text(ps.get(k).id, i), s.get(i));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(3 * PER_SENDER, new HashSet<>(seqOfText.values()).size(), "300 distinct seqs");

    ps.get(0).msend("barrier");
    int total = 3 * PER_SENDER + 1;
    List<Long> reference = null;
    for (Participant p : ps) {
      p.awaitText("barrier");
      List<LogEntry> log = p.logEntries();
      assertEquals(total, log.size(), p.id + ": 300 messages + barrier, each once");
      assertStrictlyIncreasingSeqs(log, p.id);
      Set<String> seen = new HashSet<>();
      Map<String, Integer> lastIndex = new HashMap<>();
      for (LogEntry e : log) {
        assertTrue(seen.add(e.text()), p.id + ": duplicate text " + e);
        if (e.text().equals("barrier")) continue;
        String[] f = e.text().split(" ");
        assertEquals(f[0], e.sender(), p.id + ": sender field of " + e);
        int idx = Integer.parseInt(f[2]);
        Integer prev = lastIndex.put(e.sender(), idx);
        assertEquals(
            prev == null ? 0 : prev + 1,
            idx,
            p.id + ": " + e.sender() + "'s messages in send order, at " + e);
        assertEquals(
            seqOfText.get(e.text()),
            e.seq(),
            p.id + ": logged seq = seq printed by OK sent, for " + e);
      }
      for (Participant sender : ps) {
        assertEquals(
            PER_SENDER - 1,
            lastIndex.get(sender.id),
            p.id + ": all of " + sender.id + "'s messages");
      }
      if (reference == null) reference = seqs(log);
      else assertEquals(reference, seqs(log), p.id + ": same order as " + ps.get(0).id);
      assertEquals(
          texts(ps.get(0).logEntries()), texts(log), p.id + ": same messages in the same order");
    }
  }

  private static String text(String sender, int i) {
    return sender + " msg " + i;
  }
}
