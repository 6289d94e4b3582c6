package tempocast.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The node configuration format: fixed lines first (their meaning is their position), then optional
 * {@code key = value} lines. Blank lines and lines starting with {@code #} are ignored everywhere.
 */
public final class ConfigFile {

  /** A significant line and its number in the file (1-based), for error messages. */
  public record Line(int number, String text) {}

  private final Path path;
  private final List<Line> fixed;
  private final Map<String, Line> options;
  private final int lastLine;

  private ConfigFile(Path path, List<Line> fixed, Map<String, Line> options, int lastLine) {
    this.path = path;
    this.fixed = fixed;
    this.options = options;
    this.lastLine = lastLine;
  }

  /**
   * Reads {@code path}; the first {@code fixedCount} significant lines are the fixed ones, the rest
   * must be {@code key = value} with a key from {@code knownKeys}.
   */
  public static ConfigFile read(Path path, int fixedCount, Set<String> knownKeys)
      throws ConfigException {
    return read(path, fixedCount, knownKeys, Map.of());
  }

  /**
   * As above; a line that starts with a key of {@code unsupported} fails with its value, a line
   * that says what to do instead (for settings users look for that do not exist yet).
   */
  public static ConfigFile read(
      Path path, int fixedCount, Set<String> knownKeys, Map<String, String> unsupported)
      throws ConfigException {
    List<String> raw;
    try {
      raw = Files.readAllLines(path, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException("cannot read " + path + ": no such file");
    } catch (CharacterCodingException e) {
      throw new ConfigException("cannot read " + path + ": not UTF-8 text");
    } catch (IOException e) {
      throw new ConfigException("cannot read " + path + ": " + e.getMessage());
    }
    ConfigFile shape = new ConfigFile(path, List.of(), Map.of(), raw.size());
    List<Line> fixed = new ArrayList<>();
    Map<String, Line> options = new LinkedHashMap<>();
    for (int i = 0; i < raw.size(); i++) {
      String text = raw.get(i).strip();
      if (i == 0 && text.startsWith("\uFEFF")) {
        text = text.substring(1).strip();
      }
      if (text.isEmpty() || text.startsWith("#")) {
        continue;
      }
      Line line = new Line(i + 1, text);
      if (fixed.size() < fixedCount) {
        fixed.add(line);
        continue;
      }
      for (Map.Entry<String, String> u : unsupported.entrySet()) {
        if (text.startsWith(u.getKey())) {
          throw ConfigException.at(shape, line.number(), u.getValue());
        }
      }
      int eq = text.indexOf('=');
      if (eq < 0) {
        throw ConfigException.at(
            shape, line.number(), "expected 'key = value', got '" + text + "'");
      }
      String key = text.substring(0, eq).strip();
      if (!knownKeys.contains(key)) {
        throw ConfigException.at(
            shape,
            line.number(),
            "unknown setting '" + key + "'; known: " + String.join(", ", new TreeSet<>(knownKeys)));
      }
      if (options.containsKey(key)) {
        throw ConfigException.at(shape, line.number(), "'" + key + "' is set twice");
      }
      options.put(key, new Line(line.number(), text.substring(eq + 1).strip()));
    }
    return new ConfigFile(path, List.copyOf(fixed), options, raw.size());
  }

  public Path path() {
    return path;
  }

  /** The {@code index}-th fixed line (0-based), or an error naming what is missing. */
  public Line fixed(int index, String what) throws ConfigException {
    if (index < fixed.size()) {
      return fixed.get(index);
    }
    throw ConfigException.at(this, lastLine + 1, "missing " + what);
  }

  public Map<String, Line> options() {
    return options;
  }

  public ConfigException error(Line line, String what) {
    return ConfigException.at(this, line.number(), what);
  }

  /** A port from 1 to 65535. */
  public int port(Line line, String text) throws ConfigException {
    try {
      int p = Integer.parseInt(text);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw error(line, "port must be a number from 1 to 65535, got '" + text + "'");
  }

  /** A positive number of seconds (decimals allowed), in milliseconds. */
  public long positiveSeconds(Line line, String text, String what) throws ConfigException {
    try {
      java.math.BigDecimal s = new java.math.BigDecimal(text);
      long ms = s.movePointRight(3).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
      if (s.signum() > 0 && ms > 0) {
        return ms;
      }
    } catch (NumberFormatException | ArithmeticException e) {
      // reported below
    }
    throw error(
        line, what + " must be a positive number of seconds (e.g. 10 or 2.5), got '" + text + "'");
  }
}
