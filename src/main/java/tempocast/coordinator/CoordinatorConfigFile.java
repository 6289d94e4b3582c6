package tempocast.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import tempocast.cluster.ClusterSettings;
import tempocast.config.ConfigException;
import tempocast.config.ConfigFile;

/**
 * Reads a coordinator file: line 1 the port, line 2 td in seconds, then optional settings that
 * override {@code tempocast.coordinator} in reference.conf.
 */
public final class CoordinatorConfigFile {
  private static final Set<String> KEYS =
      Set.of(
          "data-dir",
          "fsync",
          "bind",
          "delivery-window",
          "delivery-window-bytes",
          "idle-timeout",
          "heartbeat-interval",
          "heartbeat-timeout",
          "http-port",
          "http-token",
          "metrics-group-cap",
          "store",
          "store-user",
          "store-password",
          "standby",
          "cluster",
          "seed-nodes");

  /** The section form that HOCON users write: each cluster setting is a line of its own here. */
  private static final String CLUSTER_LINES =
      "the cluster settings are lines of their own: 'cluster = HOST:PORT' (this node's cluster"
          + " address), 'seed-nodes = HOST:PORT, HOST:PORT, ...' and"
          + " 'store = jdbc:postgresql://HOST:PORT/DATABASE'; see the README, \"A cluster\"";

  private static final Map<String, String> UNSUPPORTED =
      Map.of("cluster {", CLUSTER_LINES, "cluster{", CLUSTER_LINES);

  private CoordinatorConfigFile() {}

  /** What a cluster node's file must say, and what it cannot, each refused with its line. */
  private static void clusterRules(ConfigFile f, Map<String, Object> overrides)
      throws ConfigException {
    Map<String, ConfigFile.Line> o = f.options();
    ConfigFile.Line cluster = o.get("cluster");
    if (cluster == null) {
      if (o.containsKey("seed-nodes")) {
        throw f.error(
            o.get("seed-nodes"),
            "seed-nodes needs 'cluster = HOST:PORT' (this node's own cluster address) beside it");
      }
      return;
    }
    ConfigFile.Line store = o.get("store");
    if (store == null || store.text().equals(CoordinatorSettings.ROCKSDB)) {
      throw f.error(
          cluster,
          "a cluster keeps its journal in PostgreSQL, shared by its nodes: add"
              + " 'store = jdbc:postgresql://HOST:PORT/DATABASE'");
    }
    if (Boolean.TRUE.equals(overrides.get("tempocast.coordinator.standby"))) {
      throw f.error(
          o.get("standby"),
          "standby is for a coordinator on its own; in a cluster every node takes over from"
              + " the others: remove 'standby = on'");
    }
    if (o.containsKey("http-port") && !o.get("http-port").text().equals("off")) {
      throw f.error(
          o.get("http-port"),
          "the HTTP port (metrics, dashboard) is not available on a cluster node yet: remove"
              + " http-port, or run a coordinator on its own");
    }
  }

  public static CoordinatorSettings load(Path path) throws ConfigException {
    return load(path, ConfigFactory.load());
  }

  public static CoordinatorSettings load(Path path, Config defaults) throws ConfigException {
    ConfigFile f = ConfigFile.read(path, 2, KEYS, UNSUPPORTED);
    ConfigFile.Line portLine = f.fixed(0, "line 1: the port the coordinator listens on");
    int port = f.port(portLine, portLine.text());
    ConfigFile.Line tdLine = f.fixed(1, "line 2: td, the persistence threshold in seconds");
    long tdMillis = f.positiveSeconds(tdLine, tdLine.text(), "td");
    Map<String, Object> overrides = new HashMap<>();
    for (Map.Entry<String, ConfigFile.Line> e : f.options().entrySet()) {
      String key = e.getKey();
      ConfigFile.Line line = e.getValue();
      String v = line.text();
      Object value =
          switch (key) {
            case "fsync" -> {
              if (!v.equals("never") && !v.equals("always")) {
                throw f.error(line, "fsync must be 'never' or 'always', got '" + v + "'");
              }
              yield v;
            }
            case "delivery-window" -> {
              try {
                int w = Integer.parseInt(v);
                if (w < 2 || w > 1_000_000) {
                  throw new NumberFormatException();
                }
                yield w;
              } catch (NumberFormatException ex) {
                throw f.error(
                    line, "delivery-window must be a number from 2 to 1000000, got '" + v + "'");
              }
            }
            case "delivery-window-bytes" -> {
              try {
                long w = Long.parseLong(v);
                if (w < 65_536 + 1024 || w > (1L << 30)) {
                  throw new NumberFormatException();
                }
                yield w;
              } catch (NumberFormatException ex) {
                throw f.error(
                    line,
                    "delivery-window-bytes must be a number from 66560 (one maximal message) to 1073741824, got '"
                        + v
                        + "'");
              }
            }
            case "standby" -> {
              if (!v.equals("on") && !v.equals("off")) {
                throw f.error(line, "standby must be 'on' or 'off', got '" + v + "'");
              }
              yield v.equals("on");
            }
            case "store" -> {
              if (!v.equals(CoordinatorSettings.ROCKSDB) && !v.startsWith("jdbc:postgresql://")) {
                throw f.error(
                    line,
                    "store must be 'rocksdb' or a PostgreSQL JDBC URL"
                        + " (jdbc:postgresql://HOST:PORT/DATABASE), got '"
                        + v
                        + "'");
              }
              yield v;
            }
            case "cluster" -> {
              try {
                yield ClusterSettings.parseAddress(v).toString();
              } catch (IllegalArgumentException ex) {
                throw f.error(line, "cluster: this node's cluster address, " + ex.getMessage());
              }
            }
            case "seed-nodes" -> {
              try {
                ClusterSettings.parseAddresses(v);
                yield v;
              } catch (IllegalArgumentException ex) {
                throw f.error(line, "seed-nodes: the cluster's seed nodes, " + ex.getMessage());
              }
            }
            case "http-port" -> v.equals("off") ? 0 : f.port(line, v);
            case "http-token" -> {
              if (v.isEmpty() || !v.chars().allMatch(c -> c > ' ' && c < 127)) {
                throw f.error(
                    line, "http-token must be printable ASCII without spaces, got '" + v + "'");
              }
              yield v;
            }
            case "metrics-group-cap" -> {
              try {
                int cap = Integer.parseInt(v);
                if (cap < 0 || cap > 10_000) {
                  throw new NumberFormatException();
                }
                yield cap;
              } catch (NumberFormatException ex) {
                throw f.error(
                    line, "metrics-group-cap must be a number from 0 to 10000, got '" + v + "'");
              }
            }
            case "idle-timeout", "heartbeat-interval", "heartbeat-timeout" ->
                f.positiveSeconds(line, v, key) + " ms";
            default -> {
              if (v.isEmpty()) {
                throw f.error(line, key + " needs a value");
              }
              yield v;
            }
          };
      overrides.put("tempocast.coordinator." + key, value);
    }
    clusterRules(f, overrides);
    Config config = ConfigFactory.parseMap(overrides).withFallback(defaults);
    return CoordinatorSettings.fromConfig(port, Duration.ofMillis(tdMillis), config);
  }
}
