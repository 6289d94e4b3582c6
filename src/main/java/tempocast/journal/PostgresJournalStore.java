package tempocast.journal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.postgresql.Driver;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.util.PSQLException;
import tempocast.protocol.StoredMessage;

/**
 * The journal in PostgreSQL, so that several coordinators can share one store. One table per kind
 * of record of {@link RocksDbJournalStore} (see {@code db/postgres/V1__journal.sql}); every method
 * means what it means there, and each is one transaction.
 *
 * <p>Every commit is durable, {@code sync} or not: a method returns once PostgreSQL has committed,
 * as durable as the server's own {@code synchronous_commit} and {@code fsync} make it.
 */
public final class PostgresJournalStore implements JournalStore {

  /**
   * Where the store is and how to log in; {@code user} and {@code password} may be null (then the
   * URL's, or the driver's defaults). {@code connectTimeout} bounds how long a write waits for a
   * connection before it fails.
   */
  public record Settings(String jdbcUrl, String user, String password, Duration connectTimeout) {
    public Settings(String jdbcUrl, String user, String password) {
      this(jdbcUrl, user, password, DEFAULT_CONNECT_TIMEOUT);
    }
  }

  static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** The schema, one script per version, applied in order; never edit one that was released. */
  static final List<String> MIGRATIONS = List.of("V1__journal.sql");

  /** The advisory lock that lets one coordinator at a time migrate the schema ("tempocas"). */
  static final long MIGRATION_LOCK = 0x74656d706f636173L;

  /** As {@link RocksDbJournalStore#RECENT_ON_LOAD}: the latest messages read back per target. */
  static final int RECENT_ON_LOAD = RocksDbJournalStore.RECENT_ON_LOAD;

  private static final String MESSAGE_COLUMNS = "seq, ts, sender, msg_id, body";

  private final HikariDataSource pool;

  /** {@code HOST:PORT} for error messages (never the URL: it may hold a password). */
  private final String where;

  private final String database;

  /** The advisory lock a coordinator holds while it writes to the database (see {@link #claim}). */
  static final long OWNER_LOCK = MIGRATION_LOCK + 1;

  /**
   * Guarded by this: whether {@link #claim} was called, and the connection whose session holds the
   * lock; null after it broke, until the next transaction takes the lock again.
   */
  private boolean claimed;

  private Connection owner;

  private PostgresJournalStore(HikariDataSource pool, String where, String database) {
    this.pool = pool;
    this.where = where;
    this.database = database;
  }

  public static PostgresJournalStore open(String jdbcUrl, String user, String password) {
    return open(new Settings(jdbcUrl, user, password));
  }

  /**
   * Connects, creates or migrates the schema, and starts the connection pool; fails with one line a
   * user can act on.
   */
  public static PostgresJournalStore open(Settings settings) {
    Properties url = Driver.parseURL(settings.jdbcUrl(), null);
    if (url == null || !settings.jdbcUrl().startsWith("jdbc:postgresql://")) {
      throw new StoreException(
          "not a PostgreSQL JDBC URL: '"
              + settings.jdbcUrl()
              + "' (expected jdbc:postgresql://HOST:PORT/DATABASE)",
          null);
    }
    String where = url.getProperty("PGHOST") + ":" + url.getProperty("PGPORT");
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(settings.jdbcUrl());
    if (settings.user() != null && !settings.user().isEmpty()) {
      ds.setUser(settings.user());
    }
    if (settings.password() != null && !settings.password().isEmpty()) {
      ds.setPassword(settings.password());
    }
    ds.setApplicationName("tempocast");
    // One multi-row INSERT per append instead of a round trip per message.
    ds.setReWriteBatchedInserts(true);
    ds.setConnectTimeout((int) Math.max(1, settings.connectTimeout().toSeconds()));
    ds.setTcpKeepAlive(true);

    // A plain connection first: a server that cannot be reached, a wrong password or a missing
    // database is then one line at once, where the pool would log its own error with a stack trace.
    try (Connection c = ds.getConnection()) {
      checkEncoding(c, url.getProperty("PGDBNAME"));
      migrate(c);
    } catch (SQLException e) {
      throw failure(null, where, e);
    }

    HikariConfig config = new HikariConfig();
    config.setPoolName("tempocast-journal");
    config.setDataSource(ds);
    config.setAutoCommit(false);
    // The journal actor is the one caller (one statement at a time); a second connection serves a
    // read from elsewhere, and stands ready while the first is replaced.
    config.setMaximumPoolSize(2);
    config.setMinimumIdle(1);
    long timeout = Math.max(250, settings.connectTimeout().toMillis());
    config.setConnectionTimeout(timeout);
    config.setValidationTimeout(Math.max(250, timeout / 2));
    // Reachable a moment ago: if the server went away since, the first write says so itself.
    config.setInitializationFailTimeout(-1);
    return new PostgresJournalStore(
        new HikariDataSource(config), where, url.getProperty("PGDBNAME"));
  }

  /**
   * Brings the schema to the newest version, in one transaction under an advisory lock, so that
   * coordinators starting together on a new database do not both create it.
   */
  static void migrate(Connection c) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
      s.execute(
          "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY,"
              + " applied_at timestamptz NOT NULL DEFAULT now())");
      int current;
      try (ResultSet rs = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_version")) {
        rs.next();
        current = rs.getInt(1);
      }
      if (current > MIGRATIONS.size()) {
        c.rollback();
        throw new StoreException(
            "the journal in PostgreSQL has schema version "
                + current
                + ", this coordinator knows versions up to "
                + MIGRATIONS.size()
                + " (a newer tempocast wrote it)",
            null);
      }
      for (int v = current + 1; v <= MIGRATIONS.size(); v++) {
        s.execute(script(MIGRATIONS.get(v - 1)));
        s.execute("INSERT INTO schema_version (version) VALUES (" + v + ")");
      }
    }
    c.commit();
  }

  /**
   * Names and IDs are UTF-8, of any script: a database in another encoding would refuse some of
   * them at the first write, long after the start. SQL_ASCII keeps the bytes as they come.
   */
  private static void checkEncoding(Connection c, String database) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW server_encoding")) {
      rs.next();
      String encoding = rs.getString(1);
      if (!encoding.equals("UTF8") && !encoding.equals("SQL_ASCII")) {
        throw new StoreException(
            "the PostgreSQL database "
                + database
                + " is in encoding "
                + encoding
                + "; the journal needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE"
                + " template0)",
            null);
      }
    }
  }

  private static String script(String name) {
    try (InputStream in = PostgresJournalStore.class.getResourceAsStream("/db/postgres/" + name)) {
      if (in == null) {
        throw new IllegalStateException("db/postgres/" + name + " is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read db/postgres/" + name, e);
    }
  }

  /** {@code postgresql://HOST:PORT/DATABASE}, without the login: what to show a user. */
  /**
   * Makes this store the one writer of its database, as RocksDB's lock file makes a coordinator the
   * one user of its data directory: two coordinators sequencing the same groups into one database
   * would give two messages one number. PostgreSQL holds the lock for the session of a connection
   * kept for it, and drops it when that session ends, also when the process is killed. Throws, in
   * one line, if another coordinator holds it.
   */
  public synchronized void claim() {
    claimed = true;
    takeOwnerLock("cannot claim the journal");
  }

  /** {@code what}: the failure's first words, for what the caller was doing. */
  private void takeOwnerLock(String what) {
    Connection c = null;
    try {
      c = pool.getDataSource().getConnection();
      c.setAutoCommit(true);
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT pg_try_advisory_lock(" + OWNER_LOCK + ")")) {
        rs.next();
        if (!rs.getBoolean(1)) {
          throw StoreException.inUse(describe(), null);
        }
      }
      c.setAutoCommit(false);
      owner = c;
    } catch (SQLException e) {
      throw failure(what, where, e);
    } finally {
      if (owner != c && c != null) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // it was refused or broken: nothing of it is kept
        }
      }
    }
  }

  public String describe() {
    return "postgresql://" + where + "/" + database;
  }

  // ------------------------------------------------------------------ load

  @Override
  public Snapshot load() {
    return inTransaction(
        "cannot load the journal",
        c -> {
          snapshotIsolation(c);
          List<GroupRecord> groups = new ArrayList<>();
          Map<String, Long> lastSeq = new HashMap<>();
          List<ParticipantRecord> participants = new ArrayList<>();
          List<MembershipRecord> memberships = new ArrayList<>();
          try (Statement s = c.createStatement()) {
            try (ResultSet rs =
                s.executeQuery("SELECT name, td_millis FROM journal_groups ORDER BY name")) {
              while (rs.next()) {
                groups.add(new GroupRecord(rs.getString(1), rs.getLong(2)));
              }
            }
            try (ResultSet rs = s.executeQuery("SELECT target, last_seq FROM journal_targets")) {
              while (rs.next()) {
                lastSeq.put(rs.getString(1), rs.getLong(2));
              }
            }
            try (ResultSet rs =
                s.executeQuery(
                    "SELECT id, online, offline_since, host, port, secret_hash"
                        + " FROM journal_participants ORDER BY id")) {
              while (rs.next()) {
                String secret = rs.getString(6);
                participants.add(
                    new ParticipantRecord(
                        rs.getString(1),
                        rs.getBoolean(2),
                        rs.getLong(3),
                        rs.getString(4),
                        rs.getInt(5),
                        secret == null || secret.isEmpty() ? null : secret));
              }
            }
            try (ResultSet rs =
                s.executeQuery(
                    "SELECT target, member, join_seq, cursor FROM journal_memberships"
                        + " ORDER BY target, member")) {
              while (rs.next()) {
                memberships.add(membership(rs));
              }
            }
          }
          return new Snapshot(
              List.copyOf(groups),
              Map.copyOf(lastSeq),
              List.copyOf(participants),
              List.copyOf(memberships));
        });
  }

  /**
   * Its last seq is 0 and its lists are empty if nothing was ever stored of it; read in one
   * consistent snapshot.
   */
  @Override
  public TargetState loadTarget(String target) {
    return inTransaction(
        "cannot load " + target + " from the journal",
        c -> {
          snapshotIsolation(c);
          long lastSeq = 0;
          boolean known = false;
          try (PreparedStatement ps =
              c.prepareStatement("SELECT last_seq FROM journal_targets WHERE target = ?")) {
            ps.setString(1, target);
            try (ResultSet rs = ps.executeQuery()) {
              if (rs.next()) {
                lastSeq = rs.getLong(1);
                known = true;
              }
            }
          }
          List<MembershipRecord> memberships =
              rowsOf(
                  c,
                  "SELECT target, member, join_seq, cursor FROM journal_memberships"
                      + " WHERE target = ? ORDER BY member",
                  target,
                  PostgresJournalStore::membership);
          List<EndedMembership> ended =
              rowsOf(
                  c,
                  "SELECT target, member, join_seq, end_seq FROM journal_ended_memberships"
                      + " WHERE target = ? ORDER BY member, join_seq",
                  target,
                  PostgresJournalStore::endedMembership);
          List<StoredMessage> recent = new ArrayList<>();
          if (known) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "SELECT "
                        + MESSAGE_COLUMNS
                        + " FROM journal_messages WHERE target = ? AND seq > ? AND seq >= 1"
                        + " ORDER BY seq")) {
              ps.setString(1, target);
              ps.setLong(2, lastSeq - RECENT_ON_LOAD);
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  recent.add(message(target, rs, 1));
                }
              }
            }
          }
          return new TargetState(
              lastSeq, List.copyOf(memberships), List.copyOf(ended), List.copyOf(recent));
        });
  }

  /** Every query of the transaction sees the same committed state, whatever others commit. */
  private static void snapshotIsolation(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    }
  }

  // ------------------------------------------------------------------ messages

  private static final String INSERT_MESSAGE =
      "INSERT INTO journal_messages (target, seq, ts, sender, msg_id, body)"
          + " VALUES (?, ?, ?, ?, ?, ?)";

  /**
   * A seq only grows: a coordinator never writes a lower one, and one that another coordinator
   * wrote earlier must not take it back.
   */
  private static final String UPSERT_LAST_SEQ =
      "INSERT INTO journal_targets (target, last_seq) VALUES (?, ?) ON CONFLICT (target)"
          + " DO UPDATE SET last_seq = GREATEST(journal_targets.last_seq, EXCLUDED.last_seq)";

  /**
   * The batch in one transaction: the journal actor hands over every append that came in while the
   * previous one was being committed (group commit). {@code sync} is not used: an OK promises that
   * PostgreSQL has committed the message, so that another coordinator taking the target over finds
   * it; {@code synchronous_commit = off} would acknowledge writes a crash of the server can lose. A
   * seq written twice is refused (the primary key), where RocksDB would overwrite it: with several
   * coordinators that means two of them think they own the target, and the first one's message must
   * stay.
   */
  @Override
  public void append(List<StoredMessage> batch, boolean sync) {
    if (batch.isEmpty()) {
      return;
    }
    inTransaction(
        "cannot write the journal",
        c -> {
          // Statements prepared anew on each call are still reused: the driver keeps each
          // connection's server-side prepared statements by SQL text (prepareThreshold).
          try (PreparedStatement ps = c.prepareStatement(INSERT_MESSAGE)) {
            for (StoredMessage m : batch) {
              ps.setString(1, m.group());
              ps.setLong(2, m.seq());
              ps.setLong(3, m.timestamp());
              ps.setString(4, m.sender());
              ps.setString(5, m.msgId() == null || m.msgId().isEmpty() ? null : m.msgId());
              ps.setBytes(6, m.text());
              ps.addBatch();
            }
            ps.executeBatch();
          }
          // In name order, so that two coordinators' transactions lock targets in the same order.
          Map<String, Long> high = new TreeMap<>();
          for (StoredMessage m : batch) {
            high.merge(m.group(), m.seq(), Math::max);
          }
          try (PreparedStatement ps = c.prepareStatement(UPSERT_LAST_SEQ)) {
            for (Map.Entry<String, Long> e : high.entrySet()) {
              ps.setString(1, e.getKey());
              ps.setLong(2, e.getValue());
              ps.addBatch();
            }
            ps.executeBatch();
          }
          return null;
        });
  }

  /**
   * Messages from {@code from} on that meet {@code notBefore}, at most {@code max}, while the bytes
   * before each one stay below {@code maxBytes}: the window sum lets the server stop where the
   * RocksDB store's loop does, and send only what is returned.
   */
  private static final String READ =
      "SELECT "
          + MESSAGE_COLUMNS
          + " FROM (SELECT "
          + MESSAGE_COLUMNS
          + ", coalesce(sum(octet_length(body)) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING"
          + " AND 1 PRECEDING), 0) AS before FROM journal_messages"
          + " WHERE target = ? AND seq >= ? AND ts >= ? ORDER BY seq LIMIT ?) m"
          + " WHERE before < ? ORDER BY seq";

  @Override
  public ReadResult read(String target, long from, long notBefore, int max, long maxBytes) {
    if (max <= 0 || maxBytes <= 0) {
      return new ReadResult(List.of(), from - 1);
    }
    return inTransaction(
        "cannot read " + target + " from seq " + from + " in the journal",
        c -> {
          List<StoredMessage> out = new ArrayList<>();
          long bytes = 0;
          long upTo = from - 1;
          try (PreparedStatement ps = c.prepareStatement(READ)) {
            ps.setString(1, target);
            ps.setLong(2, from);
            ps.setLong(3, notBefore);
            ps.setInt(4, max);
            ps.setLong(5, maxBytes);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                StoredMessage m = message(target, rs, 1);
                out.add(m);
                bytes += m.text().length;
                upTo = m.seq();
              }
            }
          }
          if (out.size() < max && bytes < maxBytes) {
            // Passed the end of what is stored: nothing up to the target's last seq is left.
            upTo = Math.max(upTo, lastSeq(c, target));
          }
          return new ReadResult(List.copyOf(out), upTo);
        });
  }

  private static long lastSeq(Connection c, String target) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT last_seq FROM journal_targets WHERE target = ?")) {
      ps.setString(1, target);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  @Override
  public StoredMessage message(String target, long seq) {
    return inTransaction(
        "cannot read the journal",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + MESSAGE_COLUMNS
                      + " FROM journal_messages WHERE target = ? AND seq = ?")) {
            ps.setString(1, target);
            ps.setLong(2, seq);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? message(target, rs, 1) : null;
            }
          }
        });
  }

  /**
   * Deletes the messages before the first one that must stay (the first with a seq above {@code
   * maxSeq} or not older than {@code olderThan}); returns how many, and the highest seq deleted.
   */
  private static final String PRUNE_MESSAGES =
      "WITH stop AS (SELECT seq FROM journal_messages WHERE target = ? AND (seq > ? OR ts >= ?)"
          + " ORDER BY seq LIMIT 1),"
          + " deleted AS (DELETE FROM journal_messages WHERE target = ?"
          + " AND seq < coalesce((SELECT seq FROM stop), 9223372036854775807) RETURNING seq)"
          + " SELECT count(*), max(seq) FROM deleted";

  @Override
  public long prune(String target, long maxSeq, long olderThan) {
    return inTransaction(
        "cannot prune the journal",
        c -> {
          long deleted;
          long lastPruned;
          try (PreparedStatement ps = c.prepareStatement(PRUNE_MESSAGES)) {
            ps.setString(1, target);
            ps.setLong(2, maxSeq);
            ps.setLong(3, olderThan);
            ps.setString(4, target);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              deleted = rs.getLong(1);
              lastPruned = rs.getLong(2);
            }
          }
          if (deleted > 0) {
            pruneDeliveryRecords(c, target, lastPruned);
          }
          return deleted;
        });
  }

  /**
   * Delivery records that only messages up to {@code lastPruned} needed: acknowledgements at or
   * below it, memberships that ended at or below it, expiry markers older than what is left.
   */
  private static void pruneDeliveryRecords(Connection c, String target, long lastPruned)
      throws SQLException {
    update(c, "DELETE FROM journal_acks WHERE target = ? AND seq <= ?", target, lastPruned);
    update(
        c,
        "DELETE FROM journal_ended_memberships WHERE target = ? AND end_seq <= ?",
        target,
        lastPruned);
    try (PreparedStatement ps =
        c.prepareStatement(
            "DELETE FROM journal_expiry_markers WHERE target = ? AND not_before <= coalesce("
                + "(SELECT ts FROM journal_messages WHERE target = ? AND seq > ? ORDER BY seq"
                + " LIMIT 1), 9223372036854775807)")) {
      ps.setString(1, target);
      ps.setString(2, target);
      ps.setLong(3, lastPruned);
      ps.executeUpdate();
    }
  }

  // ------------------------------------------------------------------ groups, participants

  @Override
  public void putGroup(GroupRecord g, boolean sync) {
    inTransaction(
        "cannot write group " + g.name(),
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO journal_groups (name, td_millis) VALUES (?, ?)"
                      + " ON CONFLICT (name) DO UPDATE SET td_millis = EXCLUDED.td_millis")) {
            ps.setString(1, g.name());
            ps.setLong(2, g.tdMillis());
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void removeGroup(String name, boolean sync) {
    inTransaction(
        "cannot remove group " + name,
        c -> {
          update(c, "DELETE FROM journal_groups WHERE name = ?", name);
          // The last seq stays: a group created again under the name goes on from it, so no log
          // ever sees a number of the name twice.
          for (String table :
              List.of(
                  "journal_messages",
                  "journal_memberships",
                  "journal_ended_memberships",
                  "journal_acks",
                  "journal_expiry_markers")) {
            update(c, "DELETE FROM " + table + " WHERE target = ?", name);
          }
          return null;
        });
  }

  @Override
  public void putParticipant(ParticipantRecord p, boolean sync) {
    inTransaction(
        "cannot write participant " + p.id(),
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO journal_participants"
                      + " (id, online, offline_since, host, port, secret_hash)"
                      + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                      + " online = EXCLUDED.online, offline_since = EXCLUDED.offline_since,"
                      + " host = EXCLUDED.host, port = EXCLUDED.port,"
                      + " secret_hash = EXCLUDED.secret_hash")) {
            ps.setString(1, p.id());
            ps.setBoolean(2, p.online());
            ps.setLong(3, p.offlineSince());
            ps.setString(4, p.host());
            ps.setInt(5, p.port());
            ps.setString(
                6, p.secretHash() == null || p.secretHash().isEmpty() ? null : p.secretHash());
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void removeParticipant(String id, boolean sync) {
    inTransaction(
        "cannot remove participant " + id,
        c -> update(c, "DELETE FROM journal_participants WHERE id = ?", id));
  }

  // ------------------------------------------------------------------ memberships, progress

  private static final String UPSERT_MEMBERSHIP =
      "INSERT INTO journal_memberships (target, member, join_seq, cursor) VALUES (?, ?, ?, ?)"
          + " ON CONFLICT (target, member) DO UPDATE SET join_seq = EXCLUDED.join_seq,"
          + " cursor = EXCLUDED.cursor";

  private static final String UPSERT_ACK =
      "INSERT INTO journal_acks (target, member, seq, acked_at) VALUES (?, ?, ?, ?)"
          + " ON CONFLICT (target, member, seq) DO UPDATE SET acked_at = EXCLUDED.acked_at";

  @Override
  public void putMembership(MembershipRecord m, boolean sync) {
    inTransaction(
        "cannot write the membership of " + m.member(),
        c -> {
          try (PreparedStatement ps = c.prepareStatement(UPSERT_MEMBERSHIP)) {
            setMembership(ps, m);
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void endMembership(MembershipRecord m, long endSeq, boolean sync) {
    inTransaction(
        "cannot end the membership of " + m.member(),
        c -> {
          update(
              c,
              "DELETE FROM journal_memberships WHERE target = ? AND member = ?",
              m.target(),
              m.member());
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO journal_ended_memberships (target, member, join_seq, end_seq)"
                      + " VALUES (?, ?, ?, ?) ON CONFLICT (target, member, join_seq)"
                      + " DO UPDATE SET end_seq = EXCLUDED.end_seq")) {
            ps.setString(1, m.target());
            ps.setString(2, m.member());
            ps.setLong(3, m.joinSeq());
            ps.setLong(4, endSeq);
            ps.executeUpdate();
          }
          return null;
        });
  }

  /**
   * All the cursor moves and acknowledgement times in one transaction of two batched statements.
   * Durable like every other commit here, though a lagging cursor would only mean a resend.
   */
  @Override
  public void putProgress(List<Progress> batch) {
    if (batch.isEmpty()) {
      return;
    }
    inTransaction(
        "cannot write cursors",
        c -> {
          // A row may be upserted only once per statement: the latest of each, as RocksDB keeps.
          Map<List<String>, MembershipRecord> moves = new LinkedHashMap<>();
          Map<Ack, Long> acks = new LinkedHashMap<>();
          for (Progress p : batch) {
            MembershipRecord m = p.membership();
            moves.put(List.of(m.target(), m.member()), m);
            for (int i = 0; i < p.ackSeqs().length; i++) {
              acks.put(new Ack(m.target(), m.member(), p.ackSeqs()[i]), p.ackTimes()[i]);
            }
          }
          try (PreparedStatement ps = c.prepareStatement(UPSERT_MEMBERSHIP)) {
            for (MembershipRecord m : moves.values()) {
              setMembership(ps, m);
              ps.addBatch();
            }
            ps.executeBatch();
          }
          if (!acks.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(UPSERT_ACK)) {
              for (Map.Entry<Ack, Long> a : acks.entrySet()) {
                ps.setString(1, a.getKey().target());
                ps.setString(2, a.getKey().member());
                ps.setLong(3, a.getKey().seq());
                ps.setLong(4, a.getValue());
                ps.addBatch();
              }
              ps.executeBatch();
            }
          }
          return null;
        });
  }

  private record Ack(String target, String member, long seq) {}

  @Override
  public void putExpiry(String target, String member, long afterSeq, long notBefore, boolean sync) {
    inTransaction(
        "cannot write the expiry of " + member,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO journal_expiry_markers (target, member, after_seq, not_before)"
                      + " VALUES (?, ?, ?, ?) ON CONFLICT (target, member, after_seq)"
                      + " DO UPDATE SET not_before = EXCLUDED.not_before")) {
            ps.setString(1, target);
            ps.setString(2, member);
            ps.setLong(3, afterSeq);
            ps.setLong(4, notBefore);
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public long deliveredAt(String target, String member, long seq, long upTo) {
    return inTransaction(
        "cannot read the journal",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT seq, acked_at FROM journal_acks WHERE target = ? AND member = ?"
                      + " AND seq >= ? ORDER BY seq LIMIT 1")) {
            ps.setString(1, target);
            ps.setString(2, member);
            ps.setLong(3, seq);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() && rs.getLong(1) <= upTo ? rs.getLong(2) : -1L;
            }
          }
        });
  }

  @Override
  public boolean expiredByMarker(String target, String member, long seq, long timestamp) {
    return inTransaction(
        "cannot read the journal",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT EXISTS (SELECT 1 FROM journal_expiry_markers WHERE target = ?"
                      + " AND member = ? AND after_seq < ? AND not_before > ?)")) {
            ps.setString(1, target);
            ps.setString(2, member);
            ps.setLong(3, seq);
            ps.setLong(4, timestamp);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getBoolean(1);
            }
          }
        });
  }

  @Override
  public void close() {
    synchronized (this) {
      if (owner != null) {
        try {
          owner.close(); // the claim ends with its session
        } catch (SQLException ignored) {
          // the server has gone: so has the claim
        }
        owner = null;
      }
    }
    pool.close();
  }

  // ------------------------------------------------------------------ plumbing

  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} in a transaction of its own and commits it; a failure rolls it back and
   * becomes a {@link StoreException} of one line. A broken connection is not handed out again: the
   * pool tests it before it lends it once more.
   */
  private <T> T inTransaction(String what, Work<T> work) {
    synchronized (this) {
      if (claimed) {
        return inOwnerTransaction(what, work);
      }
    }
    try (Connection c = pool.getConnection()) {
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the connection is gone; the failure that matters is e
        }
        throw e;
      }
    } catch (SQLException e) {
      throw failure(what, where, e);
    }
  }

  /** As {@link #inTransaction}, on the connection that holds the claim (taken again if lost). */
  private synchronized <T> T inOwnerTransaction(String what, Work<T> work) {
    if (owner == null) {
      // A write after a lost session: it fails as itself (a server away is not a claim's fault).
      takeOwnerLock(what);
    }
    Connection c = owner;
    try {
      T result = work.run(c);
      c.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // the connection is gone; the failure that matters is e
      }
      if (broken(c)) {
        owner = null; // and with its session, the claim
        try {
          c.close();
        } catch (SQLException ignored) {
          // broken already
        }
      }
      if (e instanceof SQLException sql) {
        throw failure(what, where, sql);
      }
      throw (RuntimeException) e;
    }
  }

  private static boolean broken(Connection c) {
    try {
      return c.isClosed() || !c.isValid(1);
    } catch (SQLException e) {
      return true;
    }
  }

  private static Void update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      ps.executeUpdate();
    }
    return null;
  }

  private static void setMembership(PreparedStatement ps, MembershipRecord m) throws SQLException {
    ps.setString(1, m.target());
    ps.setString(2, m.member());
    ps.setLong(3, m.joinSeq());
    ps.setLong(4, m.cursor());
  }

  private interface Row<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /** The rows of a query with one parameter, the target, in the query's order. */
  private static <T> List<T> rowsOf(Connection c, String sql, String target, Row<T> row)
      throws SQLException {
    List<T> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, target);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(row.read(rs));
        }
      }
    }
    return out;
  }

  private static MembershipRecord membership(ResultSet rs) throws SQLException {
    return new MembershipRecord(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4));
  }

  private static EndedMembership endedMembership(ResultSet rs) throws SQLException {
    return new EndedMembership(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4));
  }

  /** A message from the columns {@link #MESSAGE_COLUMNS}, the first at {@code first}. */
  private static StoredMessage message(String target, ResultSet rs, int first) throws SQLException {
    String id = rs.getString(first + 3);
    return new StoredMessage(
        target,
        rs.getLong(first),
        rs.getLong(first + 1),
        rs.getString(first + 2),
        id == null || id.isEmpty() ? null : id,
        rs.getBytes(first + 4));
  }

  /**
   * One line for a user: a server that cannot be reached, a refused login or a missing database
   * says so and names the server; anything else says what failed and PostgreSQL's own reason
   * (without its detail lines). {@code what} is null while opening.
   */
  static StoreException failure(String what, String where, SQLException e) {
    // The pool wraps the driver's exception; the innermost SQLException says what happened.
    SQLException inner = e;
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        inner = s;
      }
    }
    String state = inner.getSQLState() == null ? "" : inner.getSQLState();
    String reason = reason(inner);
    String line;
    if (state.startsWith("08")
        || state.startsWith("57P")
        || (state.isEmpty() && e instanceof SQLTransientConnectionException)) {
      line = "cannot reach PostgreSQL at " + where + ": " + reason;
    } else if (state.startsWith("28")) {
      line = "PostgreSQL at " + where + " refused the login: " + reason;
    } else if (state.equals("3D000")) {
      line = "PostgreSQL at " + where + ": " + reason + " (create the database first)";
    } else {
      line = "PostgreSQL at " + where + " failed: " + reason;
      what = what == null ? "cannot open the journal" : what;
    }
    return new StoreException((what == null ? "" : what + ": ") + line, e);
  }

  private static String reason(SQLException e) {
    String m =
        e instanceof PSQLException p && p.getServerErrorMessage() != null
            ? p.getServerErrorMessage().getMessage()
            : e.getMessage();
    return String.valueOf(m).replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
