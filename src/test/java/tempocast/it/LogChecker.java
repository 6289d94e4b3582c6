package tempocast.it;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;

/**
 * Checks participants' message logs against the guarantees (README "Guarantees") after a run with
 * faults. Pure Java, no processes: it reads log lines and what the senders know.
 *
 * <p>Inputs:
 *
 * <ul>
 *   <li>each participant's log lines ({@code TIMESTAMP GROUP #SEQ SENDER: TEXT}) and the range of
 *       seqs it is owed: {@code [fromSeq, toSeq)} ({@code toSeq} only if it deregistered). A
 *       <em>prefix</em> log (a member that stopped receiving, e.g. stuck) is only owed what lies
 *       below its last logged seq: it may stop early, but must have no gaps before that;
 *   <li>every send attempt in each sender's order: acknowledged ({@code OK sent #SEQ}) or not
 *       (ERROR, timeout, process killed). Each attempt's text must be unique for its sender.
 * </ul>
 *
 * <p>Violations, by name:
 *
 * <ul>
 *   <li>{@link Kind#LOSS}: an acknowledged message missing from a log that is owed it;
 *   <li>{@link Kind#DUPLICATE}: a seq, or a (sender, text), twice in one log;
 *   <li>{@link Kind#ORDER}: seqs not strictly increasing in a log; a sender's messages out of its
 *       send order (in a log, or in the seqs the coordinator acknowledged);
 *   <li>{@link Kind#DIVERGENCE}: the same seq with a different sender/text in two logs, or a
 *       message at a seq other than its acknowledged one (or at different seqs in two logs), or an
 *       unacknowledged message present in some logs that are owed it but not in others;
 *   <li>{@link Kind#FOREIGN}: a message outside the log's registration range (before it registered,
 *       after it deregistered), or of another group;
 *   <li>{@link Kind#UNKNOWN}: a message nobody attempted to send;
 *   <li>{@link Kind#MALFORMED}: a line that is not a log line.
 * </ul>
 *
 * Adding inputs is thread-safe (sender threads may record their attempts directly).
 */
public final class LogChecker {

  public enum Kind {
    LOSS,
    DUPLICATE,
    ORDER,
    DIVERGENCE,
    FOREIGN,
    UNKNOWN,
    MALFORMED
  }

  /**
   * One violation; {@code log} is the participant whose log shows it, or {@code "acks"} for the
   * senders' OKs.
   */
  public record Violation(Kind kind, String log, String detail) {
    @Override
    public String toString() {
      return kind + " [" + log + "] " + detail;
    }
  }

  /** The outcome: violations and what was checked. */
  public static final class Report {
    public final List<Violation> violations;
    public final int logsChecked;
    public final long linesChecked;

    /** Distinct messages: acknowledged ones plus unacknowledged ones that showed up in some log. */
    public final int messagesChecked;

    public final int acked;
    public final int unacked;

    /**
     * Unacknowledged attempts that nevertheless appear (in every log owed them, unless a DIVERGENCE
     * says otherwise).
     */
    public final int unackedDelivered;

    /** Per log with a LOSS: how many acknowledged messages it lacks and their seqs as ranges. */
    public final Map<String, String> lossRanges;

    Report(
        List<Violation> violations,
        int logsChecked,
        long linesChecked,
        int messagesChecked,
        int acked,
        int unacked,
        int unackedDelivered,
        Map<String, String> lossRanges) {
      this.lossRanges = Collections.unmodifiableMap(lossRanges);
      this.violations = Collections.unmodifiableList(violations);
      this.logsChecked = logsChecked;
      this.linesChecked = linesChecked;
      this.messagesChecked = messagesChecked;
      this.acked = acked;
      this.unacked = unacked;
      this.unackedDelivered = unackedDelivered;
    }

    public boolean clean() {
      return violations.isEmpty();
    }

    public List<Violation> of(Kind k) {
      List<Violation> out = new ArrayList<>();
      for (Violation v : violations) if (v.kind() == k) out.add(v);
      return out;
    }

    public boolean has(Kind k) {
      return !of(k).isEmpty();
    }

    /** Violations per kind, in enum order, only the kinds that occur. */
    public Map<Kind, Integer> counts() {
      Map<Kind, Integer> m = new TreeMap<>();
      for (Violation v : violations) m.merge(v.kind(), 1, Integer::sum);
      return m;
    }

    /** One line: what was checked and how many violations of which kind. */
    public String summary() {
      return "logs checked "
          + logsChecked
          + ", log lines "
          + linesChecked
          + ", messages checked "
          + messagesChecked
          + " (acked "
          + acked
          + ", unacked attempts "
          + unacked
          + " of which delivered "
          + unackedDelivered
          + "), violations "
          + violations.size()
          + (violations.isEmpty() ? "" : " " + counts());
    }

    /** The summary and the first {@code max} violations, one a line. */
    public String details(int max) {
      StringBuilder sb = new StringBuilder(summary());
      for (Map.Entry<String, String> e : lossRanges.entrySet()) {
        sb.append("\n  LOSS [").append(e.getKey()).append("] ").append(e.getValue());
      }
      for (int i = 0; i < Math.min(max, violations.size()); i++)
        sb.append("\n  ").append(violations.get(i));
      if (violations.size() > max)
        sb.append("\n  ... ").append(violations.size() - max).append(" more");
      return sb.toString();
    }

    @Override
    public String toString() {
      return details(50);
    }
  }

  private record Key(String sender, String text) {
    @Override
    public String toString() {
      return sender + ": " + abbreviate(text);
    }
  }

  private static final class Attempt {
    final Key key;
    final int index; // position in its sender's send order
    Long ackedSeq;

    Attempt(Key key, int index) {
      this.key = key;
      this.index = index;
    }
  }

  private record LogInput(
      String id, List<String> lines, long fromSeq, long toSeq, boolean prefix) {}

  private record Line(int lineNo, long seq, Key key) {}

  private final String group;
  private final Map<String, LogInput> logs = new LinkedHashMap<>();
  private final Map<Key, Attempt> attempts = new LinkedHashMap<>();
  private final Map<String, List<Attempt>> bySender = new LinkedHashMap<>();

  public LogChecker() {
    this("main");
  }

  public LogChecker(String group) {
    this.group = group;
  }

  // ------------------------------------------------------------------ inputs

  /** A log owed every message with seq >= {@code fromSeq} (a member that is still registered). */
  public synchronized LogChecker log(String id, List<String> lines, long fromSeq) {
    return addLog(new LogInput(id, lines, fromSeq, Long.MAX_VALUE, false));
  }

  /**
   * A log owed every message with {@code fromSeq <= seq < toSeq} (a member that deregistered before
   * {@code toSeq}).
   */
  public synchronized LogChecker log(String id, List<String> lines, long fromSeq, long toSeq) {
    return addLog(new LogInput(id, lines, fromSeq, toSeq, false));
  }

  /**
   * A log that may stop early (its member stopped receiving): owed every message with {@code
   * fromSeq <= seq <= its last logged seq}, no gaps, duplicates or reordering.
   */
  public synchronized LogChecker prefixLog(String id, List<String> lines, long fromSeq) {
    return addLog(new LogInput(id, lines, fromSeq, Long.MAX_VALUE, true));
  }

  private LogChecker addLog(LogInput in) {
    if (logs.putIfAbsent(
            in.id(),
            new LogInput(in.id(), List.copyOf(in.lines()), in.fromSeq(), in.toSeq(), in.prefix()))
        != null) {
      throw new IllegalArgumentException("log " + in.id() + " given twice");
    }
    return this;
  }

  /**
   * A send that printed {@code OK sent #seq}; call in the sender's send order (mixed with {@link
   * #unacked}).
   */
  public synchronized LogChecker acked(String sender, String text, long seq) {
    attempt(sender, text).ackedSeq = seq;
    return this;
  }

  /**
   * A send attempted but not acknowledged (ERROR, no answer, process killed); in the sender's send
   * order.
   */
  public synchronized LogChecker unacked(String sender, String text) {
    attempt(sender, text);
    return this;
  }

  private Attempt attempt(String sender, String text) {
    Key k = new Key(Objects.requireNonNull(sender), Objects.requireNonNull(text));
    if (attempts.containsKey(k))
      throw new IllegalArgumentException("text attempted twice by " + k + ": texts must be unique");
    List<Attempt> list = bySender.computeIfAbsent(sender, s -> new ArrayList<>());
    Attempt a = new Attempt(k, list.size());
    list.add(a);
    attempts.put(k, a);
    return a;
  }

  public synchronized int ackedCount() {
    int n = 0;
    for (Attempt a : attempts.values()) if (a.ackedSeq != null) n++;
    return n;
  }

  public synchronized long maxAckedSeq() {
    long m = 0;
    for (Attempt a : attempts.values()) if (a.ackedSeq != null) m = Math.max(m, a.ackedSeq);
    return m;
  }

  // ------------------------------------------------------------------ the check

  public synchronized Report check() {
    List<Violation> v = new ArrayList<>();

    // 1. the acknowledgements themselves: one message per seq, each sender's seqs in its send order
    Map<Long, Attempt> ackedBySeq = new HashMap<>();
    for (Attempt a : attempts.values()) {
      if (a.ackedSeq == null) continue;
      Attempt other = ackedBySeq.putIfAbsent(a.ackedSeq, a);
      if (other != null) {
        v.add(
            new Violation(
                Kind.DIVERGENCE,
                "acks",
                "#"
                    + a.ackedSeq
                    + " acknowledged for two messages: ["
                    + other.key
                    + "] and ["
                    + a.key
                    + "]"));
      }
    }
    for (Map.Entry<String, List<Attempt>> e : bySender.entrySet()) {
      Attempt prev = null;
      for (Attempt a : e.getValue()) {
        if (a.ackedSeq == null) continue;
        if (prev != null && a.ackedSeq <= prev.ackedSeq) {
          v.add(
              new Violation(
                  Kind.ORDER,
                  "acks",
                  e.getKey()
                      + "'s send #"
                      + (a.index + 1)
                      + " ["
                      + a.key
                      + "] acked as #"
                      + a.ackedSeq
                      + ", not after its earlier send #"
                      + (prev.index + 1)
                      + " acked as #"
                      + prev.ackedSeq));
        }
        prev = a;
      }
    }

    // 2. each log on its own
    long lines = 0;
    Map<String, Map<Key, Long>> seqOfKeyByLog = new LinkedHashMap<>();
    Map<String, Long> lastSeqByLog = new HashMap<>();
    Map<Long, Map.Entry<String, Key>> firstAtSeq =
        new HashMap<>(); // seq -> (log, message) first seen
    Map<Key, Map.Entry<String, Long>> firstSeqOfKey =
        new HashMap<>(); // message -> (log, seq) first seen
    for (LogInput in : logs.values()) {
      String id = in.id();
      Map<Long, Line> bySeq = new HashMap<>();
      Map<Key, Line> byKey = new HashMap<>();
      Map<String, Attempt> lastOfSender = new HashMap<>();
      long maxSeq = 0;
      int lineNo = 0;
      for (String raw : in.lines()) {
        lineNo++;
        lines++;
        Matcher m = ProcessFixture.LOG_LINE.matcher(raw);
        if (!m.matches()) {
          v.add(
              new Violation(
                  Kind.MALFORMED,
                  id,
                  "line "
                      + lineNo
                      + " is not 'TIMESTAMP GROUP #SEQ SENDER: TEXT': ["
                      + abbreviate(raw)
                      + "]"));
          continue;
        }
        if (!m.group(2).equals(group)) {
          v.add(
              new Violation(
                  Kind.FOREIGN,
                  id,
                  "line " + lineNo + " is of group " + m.group(2) + ", not " + group));
          continue;
        }
        long seq;
        try {
          seq = Long.parseLong(m.group(3));
        } catch (NumberFormatException e) {
          v.add(
              new Violation(
                  Kind.MALFORMED,
                  id,
                  "line " + lineNo + ": seq out of range: [" + abbreviate(raw) + "]"));
          continue;
        }
        Line line = new Line(lineNo, seq, new Key(m.group(4), m.group(5)));
        String at = "line " + lineNo + " #" + seq + " [" + line.key() + "]";

        // duplicates and the log's own order
        Line sameSeq = bySeq.get(seq);
        Line sameKey = byKey.get(line.key());
        if (sameSeq != null && sameSeq.key().equals(line.key())) {
          v.add(new Violation(Kind.DUPLICATE, id, at + " repeats line " + sameSeq.lineNo()));
          continue;
        }
        if (sameSeq != null) {
          v.add(
              new Violation(
                  Kind.DUPLICATE,
                  id,
                  at
                      + ": seq #"
                      + seq
                      + " already logged at line "
                      + sameSeq.lineNo()
                      + " for ["
                      + sameSeq.key()
                      + "]"));
        } else if (sameKey != null) {
          v.add(
              new Violation(
                  Kind.DUPLICATE,
                  id,
                  at
                      + ": message already logged at line "
                      + sameKey.lineNo()
                      + " as #"
                      + sameKey.seq()));
        } else if (seq <= maxSeq) {
          v.add(
              new Violation(
                  Kind.ORDER, id, at + " after #" + maxSeq + ": seqs not strictly increasing"));
        }
        bySeq.putIfAbsent(seq, line);
        byKey.putIfAbsent(line.key(), line);
        maxSeq = Math.max(maxSeq, seq);

        // registration range
        if (seq < in.fromSeq() || seq >= in.toSeq()) {
          v.add(
              new Violation(
                  Kind.FOREIGN,
                  id,
                  at
                      + " outside its registration [#"
                      + in.fromSeq()
                      + ", "
                      + (in.toSeq() == Long.MAX_VALUE ? "..." : "#" + in.toSeq())
                      + ")"));
        }

        // what was sent
        Attempt a = attempts.get(line.key());
        if (a == null) {
          v.add(new Violation(Kind.UNKNOWN, id, at + ": nobody attempted to send this"));
        } else {
          if (a.ackedSeq != null && a.ackedSeq != seq) {
            v.add(new Violation(Kind.DIVERGENCE, id, at + ": acknowledged as #" + a.ackedSeq));
          }
          Attempt prev = lastOfSender.get(a.key.sender());
          if (prev != null && a.index < prev.index) {
            v.add(
                new Violation(
                    Kind.ORDER,
                    id,
                    at
                        + ": "
                        + a.key.sender()
                        + "'s send #"
                        + (a.index + 1)
                        + " logged after its send #"
                        + (prev.index + 1)
                        + " ["
                        + prev.key
                        + "]"));
          }
          if (prev == null || a.index > prev.index) lastOfSender.put(a.key.sender(), a);
        }

        // across logs: one message per seq, one seq per message
        if (sameSeq == null) {
          Map.Entry<String, Key> first = firstAtSeq.putIfAbsent(seq, Map.entry(id, line.key()));
          if (first != null && !first.getKey().equals(id) && !first.getValue().equals(line.key())) {
            v.add(
                new Violation(
                    Kind.DIVERGENCE,
                    id,
                    at
                        + " but "
                        + first.getKey()
                        + " has #"
                        + seq
                        + " = ["
                        + first.getValue()
                        + "]"));
          }
        }
        if (sameKey == null) {
          Map.Entry<String, Long> first = firstSeqOfKey.putIfAbsent(line.key(), Map.entry(id, seq));
          if (first != null
              && !first.getKey().equals(id)
              && first.getValue() != seq
              && (a == null
                  || a.ackedSeq == null)) { // an acked one is already compared with its ack
            v.add(
                new Violation(
                    Kind.DIVERGENCE,
                    id,
                    at + " but " + first.getKey() + " logged it as #" + first.getValue()));
          }
        }
      }
      Map<Key, Long> seqOfKey = new HashMap<>();
      for (Line l : byKey.values()) seqOfKey.put(l.key(), l.seq());
      seqOfKeyByLog.put(id, seqOfKey);
      lastSeqByLog.put(id, maxSeq);
    }

    // 3. what each log is owed
    int unackedDelivered = 0;
    for (Attempt a : attempts.values()) {
      if (a.ackedSeq != null) continue;
      Map.Entry<String, Long> first = firstSeqOfKey.get(a.key);
      if (first != null) unackedDelivered++;
    }
    List<Attempt> inSeqOrder = new ArrayList<>(attempts.values());
    inSeqOrder.sort(
        (x, y) ->
            Long.compare(
                x.ackedSeq == null ? Long.MAX_VALUE : x.ackedSeq,
                y.ackedSeq == null ? Long.MAX_VALUE : y.ackedSeq));
    Map<String, String> lossRanges = new LinkedHashMap<>();
    for (LogInput in : logs.values()) {
      String id = in.id();
      Map<Key, Long> has = seqOfKeyByLog.get(id);
      List<Long> lost = new ArrayList<>();
      long to = in.prefix() ? Math.min(in.toSeq(), lastSeqByLog.get(id) + 1) : in.toSeq();
      for (Attempt a : inSeqOrder) {
        if (has.containsKey(a.key)) continue;
        if (a.ackedSeq != null) {
          long s = a.ackedSeq;
          if (s >= in.fromSeq() && s < to) {
            lost.add(s);
            v.add(
                new Violation(
                    Kind.LOSS,
                    id,
                    "acknowledged #"
                        + s
                        + " ["
                        + a.key
                        + "] is missing"
                        + (in.prefix()
                            ? " (before its last logged #" + lastSeqByLog.get(id) + ")"
                            : "")));
          }
        } else {
          Map.Entry<String, Long> first = firstSeqOfKey.get(a.key);
          if (first == null) continue; // never delivered anywhere: allowed
          long s = first.getValue();
          if (s >= in.fromSeq() && s < to) {
            v.add(
                new Violation(
                    Kind.DIVERGENCE,
                    id,
                    "unacknowledged #"
                        + s
                        + " ["
                        + a.key
                        + "] is in "
                        + first.getKey()
                        + "'s log but not in this one"));
          }
        }
      }
      if (!lost.isEmpty()) lossRanges.put(id, lost.size() + " lost: " + ranges(lost));
    }

    int acked = 0;
    for (Attempt a : attempts.values()) if (a.ackedSeq != null) acked++;
    int messages = acked + unackedDelivered;
    for (Key k : firstSeqOfKey.keySet()) if (!attempts.containsKey(k)) messages++;
    return new Report(
        v,
        logs.size(),
        lines,
        messages,
        acked,
        attempts.size() - acked,
        unackedDelivered,
        lossRanges);
  }

  /** Sorted seqs as ranges: "#3, #7..#12". */
  static String ranges(List<Long> sorted) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    int shown = 0;
    while (i < sorted.size()) {
      int j = i;
      while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) j++;
      if (shown++ == 20) {
        sb.append(", ...");
        break;
      }
      if (sb.length() > 0) sb.append(", ");
      sb.append('#').append(sorted.get(i));
      if (j > i) sb.append("..#").append(sorted.get(j));
      i = j + 1;
    }
    return sb.toString();
  }

  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...[" + s.length() + " chars]";
  }
}
