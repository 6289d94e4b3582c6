package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A cluster node that cannot start stops at once with one {@code error:} line on stderr, no stack
 * trace: its cluster port or its command port in use (exit status 1), a file that is wrong for a
 * cluster node (exit status 2, the file's line named). No PostgreSQL is needed: none of them gets
 * as far as the journal.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClusterNodeStartErrorsIT extends ItBase {

  /** A store nobody listens on: a node that got as far as the journal would say so instead. */
  private static String deadStore() {
    return "store = jdbc:postgresql://127.0.0.1:" + ProcessFixture.freePort() + "/tempocast";
  }

  @Test
  void aClusterPortInUseStopsTheNodeWithOneLine() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int cluster = taken.getLocalPort();
      String line =
          refused(
              "cluster-port-in-use",
              ProcessFixture.freePort()
                  + "\n2\n"
                  + deadStore()
                  + "\nstore-user = postgres\ncluster = 127.0.0.1:"
                  + cluster
                  + "\nseed-nodes = 127.0.0.1:"
                  + cluster
                  + "\n",
              1);
      assertTrue(line.contains("127.0.0.1:" + cluster), "names the cluster address: " + line);
    }
  }

  @Test
  void aCommandPortInUseStopsTheNodeWithOneLine() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      int cluster = ProcessFixture.freePort();
      String line =
          refused(
              "command-port-in-use",
              port
                  + "\n2\n"
                  + deadStore()
                  + "\nstore-user = postgres\ncluster = 127.0.0.1:"
                  + cluster
                  + "\nseed-nodes = 127.0.0.1:"
                  + cluster
                  + "\n",
              1);
      assertTrue(line.contains("127.0.0.1:" + port), "names the command port: " + line);
    }
  }

  @Test
  void aClusterWithoutAPostgresStoreIsAConfigurationError() {
    String line =
        refused("no-store", ProcessFixture.freePort() + "\n2\ncluster = 127.0.0.1:2551\n", 2);
    assertTrue(line.contains("line 3"), "names the 'cluster' line: " + line);
    assertTrue(line.contains("store = jdbc:postgresql://"), "says what to add: " + line);
  }

  @Test
  void seedNodesWithoutAClusterAddressIsAConfigurationError() {
    String line =
        refused(
            "no-cluster",
            ProcessFixture.freePort()
                + "\n2\n"
                + deadStore()
                + "\nseed-nodes = 127.0.0.1:2551, 127.0.0.1:2552\n",
            2);
    assertTrue(line.contains("line 4"), "names the 'seed-nodes' line: " + line);
  }

  /**
   * Starts a coordinator on a file of {@code content}; it must exit with {@code status} and one
   * stderr line starting {@code error:}, which is returned.
   */
  private String refused(String name, String content, int status) {
    var cfg = fx.writeFile(name + ".cfg", content);
    ProcessFixture.Proc p = fx.start("node-" + name, "coordinator", cfg.toString());
    assertEquals(status, p.awaitExit(Duration.ofSeconds(30)), "exit status");
    List<String> lines = p.stderr().lines().filter(l -> !l.startsWith("Picked up ")).toList();
    assertEquals(1, lines.size(), "one line on stderr, no stack trace: " + lines);
    assertTrue(lines.get(0).startsWith("error: "), lines.get(0));
    assertEquals(List.of(), p.stdoutLines(), "nothing on stdout");
    return lines.get(0);
  }
}
