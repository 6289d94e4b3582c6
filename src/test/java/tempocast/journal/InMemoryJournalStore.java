package tempocast.journal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import tempocast.protocol.StoredMessage;

/**
 * A {@link JournalStore} in memory, for actor tests: the semantics of {@link RocksDbJournalStore},
 * which {@code JournalStoreContract} checks for both, without a RocksDB directory per test.
 *
 * <p>It mirrors the RocksDB store where that store's key order shows through: lists in a {@link
 * JournalStore.Snapshot} come sorted as RocksDB's bytewise comparator sorts the keys (names by
 * their UTF-8 bytes, sequence numbers as unsigned 8-byte big-endian values, so a negative one sorts
 * after every positive one), and what the encoding cannot tell apart is normalised the same way (an
 * empty message ID or secret hash reads back as null). Texts are copied in and out, as the encoding
 * copies them.
 *
 * <p>What it does not have: durability (the {@code sync} flags are ignored), failures ({@link
 * StoreException} is never thrown), the one-group journal's migration and format versions. {@link
 * #close()} keeps the contents, so a test can hand the same instance to a new journal actor as a
 * coordinator restarted over the same directory (RocksDB: open the directory again).
 *
 * <p>Thread-safe: every method is synchronized (the journal actor calls it from the blocking-I/O
 * dispatcher, a test may look from its own thread).
 */
public class InMemoryJournalStore implements JournalStore {

  /** Strings in the order of their UTF-8 bytes, unsigned, as RocksDB orders keys. */
  private static final Comparator<String> UTF8 =
      (a, b) ->
          Arrays.compareUnsigned(
              a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  /** Sequence numbers in the order of their big-endian bytes, as in RocksDB's keys. */
  private static final Comparator<Long> SEQ = Long::compareUnsigned;

  /** A member's records in one target: the {@code target 0x00 member 0x00} of a key. */
  private record Tm(String target, String member) {}

  private static final Comparator<Tm> TM =
      Comparator.comparing(Tm::target, UTF8).thenComparing(Tm::member, UTF8);

  /** An ended membership's key: {@code H target 0x00 member 0x00 joinSeq}. */
  private record Ended(Tm tm, long joinSeq) {}

  private static final Comparator<Ended> ENDED =
      Comparator.comparing(Ended::tm, TM).thenComparing(Ended::joinSeq, SEQ);

  /** {@code G}: every target's last seq, kept when its messages are pruned or its group removed. */
  private final Map<String, Long> lastSeq = new HashMap<>();

  /** {@code M} */
  private final Map<String, NavigableMap<Long, StoredMessage>> messages = new HashMap<>();

  /** {@code R}: group name to td. */
  private final NavigableMap<String, GroupRecord> groups = new TreeMap<>(UTF8);

  /** {@code P} */
  private final NavigableMap<String, ParticipantRecord> participants = new TreeMap<>(UTF8);

  /** {@code V} */
  private final NavigableMap<Tm, MembershipRecord> memberships = new TreeMap<>(TM);

  /** {@code H}: to the end seq. */
  private final NavigableMap<Ended, Long> ended = new TreeMap<>(ENDED);

  /** {@code A}: per member, acknowledged seq to the time it was acknowledged. */
  private final Map<Tm, NavigableMap<Long, Long>> acks = new HashMap<>();

  /** {@code X}: per member, afterSeq to notBefore. */
  private final Map<Tm, NavigableMap<Long, Long>> markers = new HashMap<>();

  @Override
  public synchronized Snapshot load() {
    return new Snapshot(
        List.copyOf(groups.values()),
        Map.copyOf(lastSeq),
        List.copyOf(participants.values()),
        List.copyOf(memberships.values()));
  }

  @Override
  public synchronized TargetState loadTarget(String target) {
    List<MembershipRecord> current = new ArrayList<>();
    memberships.forEach(
        (k, m) -> {
          if (k.target().equals(target)) {
            current.add(m);
          }
        });
    List<EndedMembership> endedList = new ArrayList<>();
    ended.forEach(
        (k, endSeq) -> {
          if (k.tm().target().equals(target)) {
            endedList.add(new EndedMembership(target, k.tm().member(), k.joinSeq(), endSeq));
          }
        });
    long last = lastSeq.getOrDefault(target, 0L);
    long from = Math.max(1, last - RocksDbJournalStore.RECENT_ON_LOAD + 1);
    return new TargetState(
        last,
        List.copyOf(current),
        List.copyOf(endedList),
        read(target, from, Long.MIN_VALUE, RocksDbJournalStore.RECENT_ON_LOAD).messages());
  }

  @Override
  public synchronized void append(List<StoredMessage> batch, boolean sync) {
    List<StoredMessage> copies = batch.stream().map(InMemoryJournalStore::copyIn).toList();
    for (StoredMessage m : copies) {
      messages.computeIfAbsent(m.group(), t -> new TreeMap<>(SEQ)).put(m.seq(), m);
      lastSeq.merge(m.group(), m.seq(), Math::max);
    }
  }

  @Override
  public synchronized ReadResult read(
      String target, long from, long notBefore, int max, long maxBytes) {
    List<StoredMessage> out = new ArrayList<>();
    long bytes = 0;
    long upTo = from - 1;
    Iterator<StoredMessage> it =
        messages.getOrDefault(target, new TreeMap<>(SEQ)).tailMap(from, true).values().iterator();
    while (it.hasNext() && out.size() < max && bytes < maxBytes) {
      StoredMessage m = it.next();
      upTo = m.seq();
      if (m.timestamp() >= notBefore) {
        out.add(copyOut(m));
        bytes += m.text().length;
      }
    }
    if (out.size() < max && bytes < maxBytes) {
      // Passed the end of what is stored: nothing up to the target's last seq is left to read.
      upTo = Math.max(upTo, lastSeq.getOrDefault(target, 0L));
    }
    return new ReadResult(out, upTo);
  }

  @Override
  public synchronized StoredMessage message(String target, long seq) {
    NavigableMap<Long, StoredMessage> ms = messages.get(target);
    StoredMessage m = ms == null ? null : ms.get(seq);
    return m == null ? null : copyOut(m);
  }

  @Override
  public synchronized long prune(String target, long maxSeq, long olderThan) {
    NavigableMap<Long, StoredMessage> ms = messages.get(target);
    if (ms == null) {
      return 0;
    }
    long deleted = 0;
    Long lastPruned = null;
    for (StoredMessage m : ms.values()) {
      if (m.seq() > maxSeq || m.timestamp() >= olderThan) {
        break;
      }
      lastPruned = m.seq();
      deleted++;
    }
    if (lastPruned != null) {
      ms.headMap(lastPruned + 1, false).clear(); // RocksDB: deleteRange to seq lastPruned + 1
      pruneDeliveryRecords(target, lastPruned, ms.isEmpty() ? null : ms.firstEntry().getValue());
    }
    return deleted;
  }

  /** As the RocksDB store's: acknowledgements, ended memberships and markers no longer needed. */
  private void pruneDeliveryRecords(String target, long lastPruned, StoredMessage oldestLeft) {
    acks.forEach(
        (tm, a) -> {
          if (tm.target().equals(target)) {
            a.headMap(lastPruned + 1, false).clear();
          }
        });
    ended
        .entrySet()
        .removeIf(e -> e.getKey().tm().target().equals(target) && e.getValue() <= lastPruned);
    markers.forEach(
        (tm, x) -> {
          if (tm.target().equals(target)) {
            x.values()
                .removeIf(notBefore -> oldestLeft == null || notBefore <= oldestLeft.timestamp());
          }
        });
  }

  @Override
  public synchronized void putGroup(GroupRecord group, boolean sync) {
    groups.put(group.name(), group);
  }

  @Override
  public synchronized void removeGroup(String name, boolean sync) {
    groups.remove(name);
    messages.remove(name);
    memberships.keySet().removeIf(tm -> tm.target().equals(name));
    ended.keySet().removeIf(k -> k.tm().target().equals(name));
    acks.keySet().removeIf(tm -> tm.target().equals(name));
    markers.keySet().removeIf(tm -> tm.target().equals(name));
    // the last seq stays, as in RocksDB: a group created again under the name goes on from it
  }

  @Override
  public synchronized void putParticipant(ParticipantRecord p, boolean sync) {
    Objects.requireNonNull(p.host(), "host");
    participants.put(
        p.id(),
        p.secretHash() != null && p.secretHash().isEmpty()
            ? new ParticipantRecord(p.id(), p.online(), p.offlineSince(), p.host(), p.port(), null)
            : p);
  }

  @Override
  public synchronized void removeParticipant(String id, boolean sync) {
    participants.remove(id);
  }

  @Override
  public synchronized void putMembership(MembershipRecord m, boolean sync) {
    memberships.put(new Tm(m.target(), m.member()), m);
  }

  @Override
  public synchronized void endMembership(MembershipRecord m, long endSeq, boolean sync) {
    Tm tm = new Tm(m.target(), m.member());
    memberships.remove(tm);
    ended.put(new Ended(tm, m.joinSeq()), endSeq);
  }

  @Override
  public synchronized void putProgress(List<Progress> batch) {
    for (Progress p : batch) { // checked first: RocksDB writes the whole batch or nothing
      if (p.ackTimes().length < p.ackSeqs().length) {
        throw new ArrayIndexOutOfBoundsException(p.ackTimes().length);
      }
    }
    for (Progress p : batch) {
      MembershipRecord m = p.membership();
      Tm tm = new Tm(m.target(), m.member());
      memberships.put(tm, m);
      for (int i = 0; i < p.ackSeqs().length; i++) {
        acks.computeIfAbsent(tm, k -> new TreeMap<>(SEQ)).put(p.ackSeqs()[i], p.ackTimes()[i]);
      }
    }
  }

  @Override
  public synchronized void putExpiry(
      String target, String member, long afterSeq, long notBefore, boolean sync) {
    markers
        .computeIfAbsent(new Tm(target, member), k -> new TreeMap<>(SEQ))
        .put(afterSeq, notBefore);
  }

  @Override
  public synchronized long deliveredAt(String target, String member, long seq, long upTo) {
    NavigableMap<Long, Long> a = acks.get(new Tm(target, member));
    Map.Entry<Long, Long> first = a == null ? null : a.ceilingEntry(seq);
    return first != null && first.getKey() <= upTo ? first.getValue() : -1;
  }

  @Override
  public synchronized boolean expiredByMarker(
      String target, String member, long seq, long timestamp) {
    NavigableMap<Long, Long> x = markers.get(new Tm(target, member));
    if (x != null) {
      for (Map.Entry<Long, Long> e : x.entrySet()) {
        if (e.getKey() >= seq) {
          break;
        }
        if (timestamp < e.getValue()) {
          return true;
        }
      }
    }
    return false;
  }

  /** Keeps the contents: the same instance stands for the store reopened after a restart. */
  @Override
  public void close() {}

  private static StoredMessage copyIn(StoredMessage m) {
    Objects.requireNonNull(m.group(), "group");
    Objects.requireNonNull(m.sender(), "sender");
    return new StoredMessage(
        m.group(),
        m.seq(),
        m.timestamp(),
        m.sender(),
        m.msgId() == null || m.msgId().isEmpty() ? null : m.msgId(),
        m.text().clone());
  }

  private static StoredMessage copyOut(StoredMessage m) {
    return new StoredMessage(
        m.group(), m.seq(), m.timestamp(), m.sender(), m.msgId(), m.text().clone());
  }
}
