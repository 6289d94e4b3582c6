package tempocast.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import tempocast.protocol.StoredMessage;

/**
 * The journal on disk, in an embedded RocksDB. Keys:
 *
 * <ul>
 *   <li>{@code M target 0x00 seq(8, big-endian)} a message, so a target's messages sort by seq;
 *   <li>{@code G target} the target's last assigned seq, kept even when every message is pruned;
 *   <li>{@code R group} a group's record (its td);
 *   <li>{@code P id} a participant's record;
 *   <li>{@code V target 0x00 member} a current membership (where it began, its cursor);
 *   <li>{@code H target 0x00 member 0x00 joinSeq(8)} an ended membership;
 *   <li>{@code A target 0x00 member 0x00 seq(8)} the time the member acknowledged up to seq;
 *   <li>{@code X target 0x00 member 0x00 afterSeq(8)} what a member back after td never got.
 * </ul>
 *
 * Every value but a message's and a last seq's starts with a format version byte ({@link
 * #VERSION}). {@code U} records of the one-group journal are converted when it is loaded.
 *
 * <p>Every write goes through RocksDB's write-ahead log, so what {@link #append} returned survives
 * a process crash; with {@code sync} it also survives a power cut.
 */
public final class RocksDbJournalStore implements JournalStore {
  static {
    RocksDbLibrary.load();
  }

  private final Path dir;
  private final Options options;
  private final Cache blockCache;

  /**
   * Null after a failed write until it is reopened: RocksDB refuses every write after one fails.
   */
  private RocksDB db;

  private final WriteOptions syncWrite = new WriteOptions().setSync(true);
  private final WriteOptions asyncWrite = new WriteOptions().setSync(false);
  private final Map<String, Long> lastSeqByGroup = new HashMap<>();

  /** The format of the records with a version byte. */
  static final byte VERSION = 1;

  /**
   * RocksDB's native memory, outside the Java heap and counted in the coordinator's resident size:
   * up to {@link #MAX_WRITE_BUFFERS} memtables of {@link #WRITE_BUFFER_BYTES} (the one being
   * written and one being flushed) plus a block cache of {@link #BLOCK_CACHE_BYTES}, about 40 MiB
   * in all. Memtables of 16 MiB rather than 32, but not 8: with 8 MiB, W2 delivered about a fifth
   * less than with 16 in interleaved runs (more flushes and compactions on the same cores; see
   * docs/PERFORMANCE.md, issue 11). The block cache only serves replays, which read each block
   * once; without one RocksDB would make its own of 32 MiB. These sizes change how often memtables
   * are flushed, never what is durable: every write still goes through the write-ahead log first.
   */
  static final long WRITE_BUFFER_BYTES = 16L * 1024 * 1024;

  static final int MAX_WRITE_BUFFERS = 2;
  static final long BLOCK_CACHE_BYTES = 8L * 1024 * 1024;

  private RocksDbJournalStore(Path dir, Options options, Cache blockCache, RocksDB db) {
    this.dir = dir;
    this.options = options;
    this.blockCache = blockCache;
    this.db = db;
  }

  /**
   * Opens (creating if needed) the store in {@code dir}; fails with a message a user can act on.
   */
  public static RocksDbJournalStore open(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (Exception e) {
      throw new StoreException("cannot create data directory " + dir + ": " + e.getMessage(), e);
    }
    Cache blockCache = new LRUCache(BLOCK_CACHE_BYTES);
    Options options =
        new Options()
            .setCreateIfMissing(true)
            .setParanoidChecks(true)
            // Replay the whole write-ahead log or refuse to open. The default, point-in-time
            // recovery, stops at the first bad record without a word, dropping every later
            // write, acknowledged or not. This mode still ignores a record cut short at the end
            // of the log (what a crash leaves: it was never acknowledged), but fails the open on a
            // record whose checksum does not match, wherever it is. AbsoluteConsistency would
            // also refuse the cut-off tail, so a coordinator could not start after a crash.
            .setWalRecoveryMode(WALRecoveryMode.TolerateCorruptedTailRecords)
            .setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setWriteBufferSize(WRITE_BUFFER_BYTES)
            .setMaxWriteBufferNumber(MAX_WRITE_BUFFERS)
            .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache))
            .setMaxOpenFiles(256)
            // No preallocated log space: a full disk fails the write it affects, at once.
            .setAllowFAllocate(false);
    RocksDB db = null;
    try {
      db = RocksDB.open(options, dir.toString());
      // Opening reads no SST data block: read and check them all now, so that a damaged file
      // stops the start rather than a replay later (measured: 0.14 s for 60 MB of journal,
      // 1.5 s for 1 GB, from a cold page cache).
      db.verifyChecksum();
      return new RocksDbJournalStore(dir, options, blockCache, db);
    } catch (RocksDBException e) {
      if (db != null) {
        db.close();
      }
      options.close();
      blockCache.close();
      if (String.valueOf(e.getMessage()).contains(dir.resolve("LOCK").toString())) {
        throw StoreException.inUse(dir.toString(), e); // RocksDB's lock file: one process at once
      }
      throw new StoreException(openFailure(dir, e), e);
    }
  }

  /** One line: the directory, what is wrong, what to do. */
  static String openFailure(Path dir, RocksDBException e) {
    String reason = String.valueOf(e.getMessage()).replace('\n', ' ');
    if (e.getStatus() != null && e.getStatus().getCode() == Status.Code.Corruption) {
      return "the journal in "
          + dir
          + " is damaged: "
          + reason
          + " (starting on it could lose acknowledged messages; move the directory aside to start"
          + " empty)";
    }
    return "cannot open the journal in "
        + dir
        + ": "
        + reason
        + " (if the data is damaged, move the directory aside to start empty)";
  }

  public Path dir() {
    return dir;
  }

  /** How many of a group's latest messages are read back at start-up for their message IDs. */
  static final int RECENT_ON_LOAD = 16_384;

  @Override
  public Snapshot load() {
    migrateOneGroupMembers();
    List<GroupRecord> groups = new ArrayList<>();
    List<ParticipantRecord> participants = new ArrayList<>();
    List<MembershipRecord> memberships = new ArrayList<>();
    try (RocksIterator it = db().newIterator()) {
      for (it.seek(new byte[] {'G'}); it.isValid() && it.key()[0] == 'G'; it.next()) {
        String group = new String(it.key(), 1, it.key().length - 1, StandardCharsets.UTF_8);
        lastSeqByGroup.put(group, ByteBuffer.wrap(it.value()).getLong());
      }
      for (it.seek(new byte[] {'P'}); it.isValid() && it.key()[0] == 'P'; it.next()) {
        participants.add(decodeParticipant(it.key(), it.value()));
      }
      for (it.seek(new byte[] {'R'}); it.isValid() && it.key()[0] == 'R'; it.next()) {
        ByteBuffer b = versioned(it.value());
        groups.add(
            new GroupRecord(
                new String(it.key(), 1, it.key().length - 1, StandardCharsets.UTF_8), b.getLong()));
      }
      for (it.seek(new byte[] {'V'}); it.isValid() && it.key()[0] == 'V'; it.next()) {
        memberships.add(decodeMembership(it.key(), it.value()));
      }
      it.status();
    } catch (RocksDBException e) {
      throw new StoreException(openFailure(dir, e), e);
    }
    return new Snapshot(
        List.copyOf(groups),
        Map.copyOf(lastSeqByGroup),
        List.copyOf(participants),
        List.copyOf(memberships));
  }

  @Override
  public TargetState loadTarget(String target) {
    List<MembershipRecord> memberships = new ArrayList<>();
    List<EndedMembership> ended = new ArrayList<>();
    long lastSeq;
    try (RocksIterator it = db().newIterator()) {
      byte[] last = db().get(groupKey(target));
      lastSeq = last == null ? 0 : ByteBuffer.wrap(last).getLong();
      byte[] current = groupPrefix('V', target);
      for (it.seek(current); it.isValid() && hasPrefix(it.key(), current); it.next()) {
        memberships.add(decodeMembership(it.key(), it.value()));
      }
      byte[] past = groupPrefix('H', target);
      for (it.seek(past); it.isValid() && hasPrefix(it.key(), past); it.next()) {
        ended.add(decodeEnded(it.key(), it.value()));
      }
      it.status();
    } catch (RocksDBException e) {
      throw new StoreException("cannot read group " + target + ": " + e.getMessage(), e);
    }
    long from = Math.max(1, lastSeq - RECENT_ON_LOAD + 1);
    return new TargetState(
        lastSeq,
        List.copyOf(memberships),
        List.copyOf(ended),
        read(target, from, Long.MIN_VALUE, RECENT_ON_LOAD).messages());
  }

  /**
   * A journal written before groups and inboxes kept one {@code U} record per member of a group,
   * holding its presence too: split each into a participant and a membership, once.
   */
  private void migrateOneGroupMembers() {
    try (RocksIterator it = db().newIterator();
        WriteBatch wb = new WriteBatch()) {
      int n = 0;
      for (it.seek(new byte[] {'U'}); it.isValid() && it.key()[0] == 'U'; it.next()) {
        String[] tm = targetAndMember(it.key());
        ByteBuffer b = ByteBuffer.wrap(it.value());
        long incarnation = b.getLong();
        boolean online = b.get() == 1;
        long offlineSince = b.getLong();
        long cursor = b.getLong();
        int port = b.getInt();
        byte[] host = new byte[b.getShort()];
        b.get(host);
        byte[] secret = new byte[b.remaining() >= 2 ? b.getShort() : 0];
        b.get(secret);
        wb.put(
            participantKey(tm[1]),
            encodeParticipant(
                new ParticipantRecord(
                    tm[1],
                    online,
                    online ? -1 : offlineSince,
                    new String(host, StandardCharsets.UTF_8),
                    port,
                    secret.length == 0 ? null : new String(secret, StandardCharsets.US_ASCII))));
        wb.put(
            key('V', tm[0], tm[1]),
            encodeMembership(new MembershipRecord(tm[0], tm[1], incarnation, cursor)));
        wb.delete(it.key());
        n++;
      }
      it.status();
      if (n > 0) {
        write(true, wb, "cannot convert the member records");
      }
    } catch (RocksDBException e) {
      throw new StoreException(openFailure(dir, e), e);
    }
  }

  @Override
  public void append(List<StoredMessage> batch, boolean sync) {
    try (WriteBatch wb = new WriteBatch()) {
      Map<String, Long> high = new HashMap<>();
      for (StoredMessage m : batch) {
        wb.put(messageKey(m.group(), m.seq()), encodeMessage(m));
        high.merge(m.group(), m.seq(), Math::max);
      }
      for (Map.Entry<String, Long> e : high.entrySet()) {
        wb.put(groupKey(e.getKey()), ByteBuffer.allocate(8).putLong(e.getValue()).array());
      }
      write(sync, wb, "cannot write the journal");
      high.forEach((g, s) -> lastSeqByGroup.merge(g, s, Math::max));
    } catch (RocksDBException e) {
      throw new StoreException("cannot write the journal: " + e.getMessage(), e);
    }
  }

  /**
   * Writes a batch. After a failed write (a full disk, say) RocksDB refuses all writes, so the next
   * one first reopens the database, which replays its log: the store recovers by itself once the
   * cause is gone, and nothing that was acknowledged is lost.
   */
  private void write(boolean sync, WriteBatch wb, String what) {
    try {
      db().write(sync ? syncWrite : asyncWrite, wb);
    } catch (RocksDBException e) {
      db.close();
      db = null;
      throw new StoreException(what + ": " + e.getMessage(), e);
    }
  }

  private RocksDB db() {
    if (db == null) {
      try {
        db = RocksDB.open(options, dir.toString());
      } catch (RocksDBException e) {
        throw new StoreException("cannot reopen the journal in " + dir + ": " + e.getMessage(), e);
      }
    }
    return db;
  }

  @Override
  public ReadResult read(String group, long from, long notBefore, int max, long maxBytes) {
    List<StoredMessage> out = new ArrayList<>();
    long bytes = 0;
    long upTo = from - 1;
    byte[] prefix = groupPrefix('M', group);
    try (RocksIterator it = db().newIterator()) {
      for (it.seek(messageKey(group, from));
          it.isValid() && out.size() < max && bytes < maxBytes;
          it.next()) {
        byte[] key = it.key();
        if (!hasPrefix(key, prefix)) {
          break;
        }
        StoredMessage m = decodeMessage(group, key, it.value());
        upTo = m.seq();
        if (m.timestamp() >= notBefore) {
          out.add(m);
          bytes += m.text().length;
        }
      }
      // An iterator that meets a damaged block just stops being valid: ask why before taking
      // the end of the loop for the end of the group.
      it.status();
      if (out.size() < max && bytes < maxBytes) {
        // Passed the end of what is stored: nothing up to the group's last seq is left to read.
        upTo = Math.max(upTo, lastSeqByGroup.getOrDefault(group, 0L));
      }
    } catch (RocksDBException e) {
      if (out.isEmpty()) {
        throw new StoreException(
            "cannot read group "
                + group
                + " from seq "
                + from
                + " in the journal in "
                + dir
                + ": "
                + e.getMessage(),
            e);
      }
      // Hand over what was read before the damage; the next read starts at it and fails.
    }
    return new ReadResult(out, upTo);
  }

  @Override
  public long prune(String group, long maxSeq, long olderThan) {
    byte[] prefix = groupPrefix('M', group);
    long deleted = 0;
    byte[] lastKey = null;
    try (RocksIterator it = db().newIterator()) {
      for (it.seek(prefix); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (!hasPrefix(key, prefix)) {
          break;
        }
        long seq = ByteBuffer.wrap(key, key.length - 8, 8).getLong();
        long ts = ByteBuffer.wrap(it.value(), 0, 8).getLong();
        if (seq > maxSeq || ts >= olderThan) {
          break;
        }
        lastKey = key;
        deleted++;
      }
    }
    if (lastKey != null) {
      long lastSeq = ByteBuffer.wrap(lastKey, lastKey.length - 8, 8).getLong();
      try (WriteBatch wb = new WriteBatch()) {
        wb.deleteRange(prefix, messageKey(group, lastSeq + 1));
        pruneDeliveryRecords(wb, group, lastSeq);
        write(false, wb, "cannot prune the journal");
      } catch (RocksDBException e) {
        throw new StoreException("cannot prune the journal: " + e.getMessage(), e);
      }
    }
    return deleted;
  }

  /**
   * Delivery records that only messages up to {@code lastPruned} needed: acknowledgements at or
   * below it, memberships that ended at or below it, expiry markers older than what is left.
   */
  private void pruneDeliveryRecords(WriteBatch wb, String target, long lastPruned)
      throws RocksDBException {
    StoredMessage oldestLeft = null;
    try (RocksIterator it = db().newIterator()) {
      it.seek(messageKey(target, lastPruned + 1));
      if (it.isValid() && hasPrefix(it.key(), groupPrefix('M', target))) {
        oldestLeft = decodeMessage(target, it.key(), it.value());
      }
      byte[] acks = groupPrefix('A', target);
      String member = null;
      for (it.seek(acks); it.isValid() && hasPrefix(it.key(), acks); it.next()) {
        String m = targetAndMember(it.key())[1];
        if (!m.equals(member)) {
          member = m;
          wb.deleteRange(key('A', target, m), key('A', target, m, lastPruned + 1));
        }
      }
      byte[] ended = groupPrefix('H', target);
      for (it.seek(ended); it.isValid() && hasPrefix(it.key(), ended); it.next()) {
        if (versioned(it.value()).getLong() <= lastPruned) {
          wb.delete(it.key());
        }
      }
      byte[] markers = groupPrefix('X', target);
      for (it.seek(markers); it.isValid() && hasPrefix(it.key(), markers); it.next()) {
        long notBefore = versioned(it.value()).getLong();
        if (oldestLeft == null || notBefore <= oldestLeft.timestamp()) {
          wb.delete(it.key());
        }
      }
      it.status();
    }
  }

  @Override
  public StoredMessage message(String target, long seq) {
    try {
      byte[] v = db().get(messageKey(target, seq));
      return v == null ? null : decodeMessage(target, messageKey(target, seq), v);
    } catch (RocksDBException e) {
      throw new StoreException("cannot read the journal in " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void putGroup(GroupRecord g, boolean sync) {
    byte[] key =
        ByteBuffer.allocate(1 + utf8(g.name()).length).put((byte) 'R').put(utf8(g.name())).array();
    put(
        key,
        ByteBuffer.allocate(9).put(VERSION).putLong(g.tdMillis()).array(),
        sync,
        "group " + g.name());
  }

  @Override
  public void removeGroup(String name, boolean sync) {
    byte[] n = utf8(name);
    try (WriteBatch wb = new WriteBatch()) {
      wb.delete(ByteBuffer.allocate(1 + n.length).put((byte) 'R').put(n).array());
      for (char kind : new char[] {'M', 'V', 'H', 'A', 'X'}) {
        byte[] from = groupPrefix(kind, name);
        byte[] to = from.clone();
        to[to.length - 1] = 1; // just past every key of this group: the separator is 0x00
        wb.deleteRange(from, to);
      }
      // The last seq stays: a group created again under the name goes on from it, so no log
      // ever sees a number of the name twice.
      write(sync, wb, "cannot remove group " + name);
    } catch (RocksDBException e) {
      throw new StoreException("cannot remove group " + name + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void putParticipant(ParticipantRecord p, boolean sync) {
    put(participantKey(p.id()), encodeParticipant(p), sync, "participant " + p.id());
  }

  @Override
  public void removeParticipant(String id, boolean sync) {
    try (WriteBatch wb = new WriteBatch()) {
      wb.delete(participantKey(id));
      write(sync, wb, "cannot remove participant " + id);
    } catch (RocksDBException e) {
      throw new StoreException("cannot remove participant " + id + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void putMembership(MembershipRecord m, boolean sync) {
    put(key('V', m.target(), m.member()), encodeMembership(m), sync, "membership of " + m.member());
  }

  @Override
  public void endMembership(MembershipRecord m, long endSeq, boolean sync) {
    try (WriteBatch wb = new WriteBatch()) {
      wb.delete(key('V', m.target(), m.member()));
      wb.put(
          key('H', m.target(), m.member(), m.joinSeq()),
          ByteBuffer.allocate(9).put(VERSION).putLong(endSeq).array());
      write(sync, wb, "cannot end the membership of " + m.member());
    } catch (RocksDBException e) {
      throw new StoreException(
          "cannot end the membership of " + m.member() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void putProgress(List<Progress> batch) {
    try (WriteBatch wb = new WriteBatch()) {
      for (Progress p : batch) {
        MembershipRecord m = p.membership();
        wb.put(key('V', m.target(), m.member()), encodeMembership(m));
        for (int i = 0; i < p.ackSeqs().length; i++) {
          wb.put(
              key('A', m.target(), m.member(), p.ackSeqs()[i]),
              ByteBuffer.allocate(9).put(VERSION).putLong(p.ackTimes()[i]).array());
        }
      }
      // Cursor moves need no fsync: a cursor that lags after a crash only means a resend, which
      // the receiver drops by sequence number.
      write(false, wb, "cannot write cursors");
    } catch (RocksDBException e) {
      throw new StoreException("cannot write cursors: " + e.getMessage(), e);
    }
  }

  @Override
  public void putExpiry(String target, String member, long afterSeq, long notBefore, boolean sync) {
    put(
        key('X', target, member, afterSeq),
        ByteBuffer.allocate(9).put(VERSION).putLong(notBefore).array(),
        sync,
        "the expiry of " + member);
  }

  @Override
  public long deliveredAt(String target, String member, long seq, long upTo) {
    byte[] prefix = key('A', target, member);
    try (RocksIterator it = db().newIterator()) {
      it.seek(key('A', target, member, seq));
      if (it.isValid() && hasPrefix(it.key(), prefix)) {
        long acked = ByteBuffer.wrap(it.key(), it.key().length - 8, 8).getLong();
        if (acked <= upTo) {
          return versioned(it.value()).getLong();
        }
      }
      it.status();
      return -1;
    } catch (RocksDBException e) {
      throw new StoreException("cannot read the journal in " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean expiredByMarker(String target, String member, long seq, long timestamp) {
    byte[] prefix = key('X', target, member);
    try (RocksIterator it = db().newIterator()) {
      for (it.seek(prefix); it.isValid() && hasPrefix(it.key(), prefix); it.next()) {
        long afterSeq = ByteBuffer.wrap(it.key(), it.key().length - 8, 8).getLong();
        if (afterSeq >= seq) {
          break;
        }
        if (timestamp < versioned(it.value()).getLong()) {
          return true;
        }
      }
      it.status();
      return false;
    } catch (RocksDBException e) {
      throw new StoreException("cannot read the journal in " + dir + ": " + e.getMessage(), e);
    }
  }

  private void put(byte[] key, byte[] value, boolean sync, String what) {
    try (WriteBatch wb = new WriteBatch()) {
      wb.put(key, value);
      write(sync, wb, "cannot write " + what);
    } catch (RocksDBException e) {
      throw new StoreException("cannot write " + what + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (db != null) {
      try {
        db.syncWal();
      } catch (RocksDBException e) {
        // closing anyway; the WAL has every acknowledged write
      }
      db.close();
    }
    syncWrite.close();
    asyncWrite.close();
    options.close();
    blockCache.close();
  }

  private static byte[] groupPrefix(char kind, String group) {
    byte[] g = group.getBytes(StandardCharsets.UTF_8);
    byte[] p = new byte[g.length + 2];
    p[0] = (byte) kind;
    System.arraycopy(g, 0, p, 1, g.length);
    return p; // last byte stays 0x00, the separator
  }

  private static byte[] messageKey(String group, long seq) {
    byte[] p = groupPrefix('M', group);
    return ByteBuffer.allocate(p.length + 8).put(p).putLong(seq).array();
  }

  private static byte[] groupKey(String group) {
    byte[] g = group.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(g.length + 1).put((byte) 'G').put(g).array();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] participantKey(String id) {
    return ByteBuffer.allocate(1 + utf8(id).length).put((byte) 'P').put(utf8(id)).array();
  }

  /** {@code kind target 0x00 member 0x00}: the prefix of a member's records of one kind. */
  private static byte[] key(char kind, String target, String member) {
    byte[] p = groupPrefix(kind, target);
    byte[] m = utf8(member);
    return ByteBuffer.allocate(p.length + m.length + 1).put(p).put(m).put((byte) 0).array();
  }

  private static byte[] key(char kind, String target, String member, long seq) {
    byte[] p = key(kind, target, member);
    return ByteBuffer.allocate(p.length + 8).put(p).putLong(seq).array();
  }

  /** The target and the member of a {@code V}, {@code H}, {@code A} or {@code X} key. */
  private static String[] targetAndMember(byte[] key) {
    int sep = 1;
    while (key[sep] != 0) {
      sep++;
    }
    int end = sep + 1;
    while (end < key.length && key[end] != 0) {
      end++;
    }
    return new String[] {
      new String(key, 1, sep - 1, StandardCharsets.UTF_8),
      new String(key, sep + 1, end - sep - 1, StandardCharsets.UTF_8)
    };
  }

  private static ByteBuffer versioned(byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value);
    byte v = b.get();
    if (v != VERSION) {
      throw new StoreException(
          "a journal record has format version " + v + ", this coordinator reads " + VERSION, null);
    }
    return b;
  }

  private static byte[] encodeMembership(MembershipRecord m) {
    return ByteBuffer.allocate(17).put(VERSION).putLong(m.joinSeq()).putLong(m.cursor()).array();
  }

  private static MembershipRecord decodeMembership(byte[] key, byte[] value) {
    String[] tm = targetAndMember(key);
    ByteBuffer b = versioned(value);
    return new MembershipRecord(tm[0], tm[1], b.getLong(), b.getLong());
  }

  private static EndedMembership decodeEnded(byte[] key, byte[] value) {
    String[] tm = targetAndMember(key);
    long joinSeq = ByteBuffer.wrap(key, key.length - 8, 8).getLong();
    return new EndedMembership(tm[0], tm[1], joinSeq, versioned(value).getLong());
  }

  private static byte[] encodeParticipant(ParticipantRecord p) {
    byte[] host = utf8(p.host());
    byte[] secret =
        p.secretHash() == null ? new byte[0] : p.secretHash().getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(1 + 1 + 8 + 4 + 2 + host.length + 2 + secret.length)
        .put(VERSION)
        .put((byte) (p.online() ? 1 : 0))
        .putLong(p.offlineSince())
        .putInt(p.port())
        .putShort((short) host.length)
        .put(host)
        .putShort((short) secret.length)
        .put(secret)
        .array();
  }

  private static ParticipantRecord decodeParticipant(byte[] key, byte[] value) {
    String id = new String(key, 1, key.length - 1, StandardCharsets.UTF_8);
    ByteBuffer b = versioned(value);
    boolean online = b.get() == 1;
    long offlineSince = b.getLong();
    int port = b.getInt();
    byte[] host = new byte[b.getShort()];
    b.get(host);
    byte[] secret = new byte[b.getShort()];
    b.get(secret);
    return new ParticipantRecord(
        id,
        online,
        offlineSince,
        new String(host, StandardCharsets.UTF_8),
        port,
        secret.length == 0 ? null : new String(secret, StandardCharsets.US_ASCII));
  }

  private static boolean hasPrefix(byte[] key, byte[] prefix) {
    if (key.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (key[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  static byte[] encodeMessage(StoredMessage m) {
    byte[] sender = m.sender().getBytes(StandardCharsets.UTF_8);
    byte[] id = m.msgId() == null ? new byte[0] : m.msgId().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + 2 + sender.length + 2 + id.length + m.text().length)
        .putLong(m.timestamp())
        .putShort((short) sender.length)
        .put(sender)
        .putShort((short) id.length)
        .put(id)
        .put(m.text())
        .array();
  }

  static StoredMessage decodeMessage(String group, byte[] key, byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value);
    long seq = ByteBuffer.wrap(key, key.length - 8, 8).getLong();
    long ts = b.getLong();
    byte[] sender = new byte[b.getShort()];
    b.get(sender);
    byte[] id = new byte[b.getShort()];
    b.get(id);
    byte[] text = new byte[b.remaining()];
    b.get(text);
    return new StoredMessage(
        group,
        seq,
        ts,
        new String(sender, StandardCharsets.UTF_8),
        id.length == 0 ? null : new String(id, StandardCharsets.UTF_8),
        text);
  }
}
