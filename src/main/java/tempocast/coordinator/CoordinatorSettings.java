package tempocast.coordinator;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import tempocast.cluster.ClusterSettings;

/** The coordinator's settings, read once at start-up from {@code tempocast.coordinator}. */
public record CoordinatorSettings(
    int port,
    Duration td,
    String bind,
    Path dataDir,
    boolean fsync,
    int deliveryWindow,
    long deliveryWindowBytes,
    Duration idleTimeout,
    Duration heartbeatInterval,
    Duration heartbeatTimeout,
    Duration connectTimeout,
    Duration askTimeout,
    Duration pruneInterval,
    int maxAppendBatch,
    Duration progressInterval,
    int httpPort,
    String httpToken,
    int metricsGroupCap,
    String store,
    String storeUser,
    String storePassword,
    boolean standby,
    ClusterSettings cluster) {

  /** The value of {@code store} that keeps the journal in RocksDB, in {@link #dataDir()}. */
  public static final String ROCKSDB = "rocksdb";

  public static CoordinatorSettings fromConfig(int port, Duration td, Config root) {
    Config c = root.getConfig("tempocast.coordinator");
    String dataDir = c.getString("data-dir");
    return new CoordinatorSettings(
        port,
        td,
        c.getString("bind"),
        Path.of(dataDir.isEmpty() ? "data/coordinator-" + port : dataDir),
        c.getString("fsync").equals("always"),
        c.getInt("delivery-window"),
        c.getBytes("delivery-window-bytes"),
        c.getDuration("idle-timeout"),
        c.getDuration("heartbeat-interval"),
        c.getDuration("heartbeat-timeout"),
        c.getDuration("connect-timeout"),
        c.getDuration("ask-timeout"),
        c.getDuration("prune-interval"),
        c.getInt("max-append-batch"),
        c.getDuration("progress-interval"),
        c.getInt("http-port"),
        c.getString("http-token"),
        c.getInt("metrics-group-cap"),
        c.getString("store"),
        c.getString("store-user"),
        c.getString("store-password"),
        c.getBoolean("standby"),
        clusterOf(c));
  }

  private static ClusterSettings clusterOf(Config c) {
    String node = c.getString("cluster");
    if (node.isEmpty()) {
      return null;
    }
    ClusterSettings.Address self = ClusterSettings.parseAddress(node);
    String seeds = c.getString("seed-nodes");
    return new ClusterSettings(
        self, seeds.isEmpty() ? List.of(self) : ClusterSettings.parseAddresses(seeds));
  }

  /** Whether this coordinator is a node of a cluster (its file has a {@code cluster} setting). */
  public boolean clustered() {
    return cluster != null;
  }

  /** Whether the journal is in PostgreSQL ({@code store} is a JDBC URL) rather than RocksDB. */
  public boolean postgresStore() {
    return !store.equals(ROCKSDB);
  }

  /** Whether the HTTP port (metrics, dashboard, API) is on. */
  public boolean httpEnabled() {
    return httpPort > 0;
  }

  /**
   * The line a coordinator prints once it listens on {@code port}, holding its journal in {@code
   * data}; {@code more}: what follows fsync inside the brackets (a cluster node's place), or "".
   * Users and tests wait for it: one place writes it.
   */
  public String listeningLine(int port, String data, String more) {
    return "tempocast coordinator listening on "
        + bind
        + ":"
        + port
        + " (td "
        + tdText()
        + " s, data "
        + data
        + ", fsync "
        // PostgreSQL acknowledges only what it has committed, durably, whatever fsync says
        + (fsync || postgresStore() ? "always" : "never")
        + more
        + ")";
  }

  public String tdText() {
    double seconds = td.toMillis() / 1000.0;
    return seconds == Math.rint(seconds) ? String.valueOf((long) seconds) : String.valueOf(seconds);
  }
}
