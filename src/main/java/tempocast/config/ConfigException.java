package tempocast.config;

/**
 * A configuration file that cannot be used; the message names the file and, where known, the line.
 */
public final class ConfigException extends Exception {
  public ConfigException(String message) {
    super(message, null, false, false);
  }

  public static ConfigException at(ConfigFile file, int line, String what) {
    return new ConfigException(file.path() + " line " + line + ": " + what);
  }
}
