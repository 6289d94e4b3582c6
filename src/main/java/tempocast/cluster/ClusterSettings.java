package tempocast.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * A coordinator's place in a cluster: the address its node listens on for the other nodes, and the
 * seed nodes it joins through (itself among them, or not). Read from the coordinator file's {@code
 * cluster} and {@code seed-nodes} settings.
 */
public record ClusterSettings(Address node, List<Address> seedNodes) {

  /** A node's cluster address. */
  public record Address(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }

    /** The address as Pekko names the node: {@code pekko://SYSTEM@HOST:PORT}. */
    public String pekkoAddress(String system) {
      return "pekko://" + system + "@" + host + ":" + port;
    }
  }

  public ClusterSettings {
    seedNodes = List.copyOf(seedNodes);
  }

  /**
   * {@code HOST:PORT}; a malformed one throws {@link IllegalArgumentException} with the reason, in
   * words for the user.
   */
  public static Address parseAddress(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(
          "expected HOST:PORT, e.g. 127.0.0.1:2551, got '" + text + "'");
    }
    String host = text.substring(0, colon);
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException(
          "the port in '" + text + "' must be a number from 1 to 65535");
    }
    return new Address(host, port);
  }

  /** Addresses separated by commas or spaces. */
  public static List<Address> parseAddresses(String text) {
    List<Address> out = new ArrayList<>();
    for (String part : text.trim().split("[,\\s]+")) {
      if (!part.isEmpty()) {
        Address a = parseAddress(part);
        if (!out.contains(a)) {
          out.add(a);
        }
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("expected one or more HOST:PORT, e.g. 127.0.0.1:2551");
    }
    return out;
  }
}
