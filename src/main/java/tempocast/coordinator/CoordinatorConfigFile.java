package tempocast.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
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
          "standby");

  private static final Map<String, String> UNSUPPORTED =
      Map.of(
          "cluster",
          "several coordinators as one (a 'cluster' section) are not supported yet: run one"
              + " coordinator with a standby beside it ('standby = on'), see docs/SCALING.md");

  private CoordinatorConfigFile() {}

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
    Config config = ConfigFactory.parseMap(overrides).withFallback(defaults);
    return CoordinatorSettings.fromConfig(port, Duration.ofMillis(tdMillis), config);
  }
}
