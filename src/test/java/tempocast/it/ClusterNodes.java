package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import tempocast.cluster.ClusterNode;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Proc;
import tempocast.journal.PostgresServer;

/**
 * The nodes of one tempocast cluster on loopback, each a coordinator process with {@code cluster =
 * 127.0.0.1:PORT}, the same {@code seed-nodes} (every node) and the same PostgreSQL database as
 * {@code store}; free ports for the command and the cluster ports. Node {@code i} keeps its ports
 * and its file across restarts.
 */
final class ClusterNodes {

  /** The line a node prints when it takes the coordinator role. */
  static final String ROLE_LINE = "this node holds the coordinator role now: ";

  /**
   * A killed holder is downed after the failure detector's pause and the split-brain resolver's
   * stable-after (about 7 s), then the next node loads the journal: well past that.
   */
  static final Duration ROLE_MOVE_TIMEOUT = Duration.ofSeconds(45);

  /** A node restarted with its file: up and answering through its command port. */
  static final Duration REJOIN_TIMEOUT = Duration.ofSeconds(60);

  private final ProcessFixture fx;
  private final int[] commandPorts;
  private final int[] clusterPorts;
  private final Path[] files;
  private final Coordinator[] nodes;

  /** Writes the files of {@code n} nodes on {@code database} of {@code pg}, with td {@code td}. */
  ClusterNodes(ProcessFixture fx, PostgresServer pg, String database, String td, int n) {
    this.fx = fx;
    Set<Integer> taken = new HashSet<>();
    commandPorts = new int[n];
    clusterPorts = new int[n];
    for (int i = 0; i < n; i++) {
      commandPorts[i] = distinctFreePort(taken);
      clusterPorts[i] = distinctFreePort(taken);
    }
    String seeds =
        Arrays.stream(clusterPorts)
            .mapToObj(p -> "127.0.0.1:" + p)
            .collect(Collectors.joining(", "));
    files = new Path[n];
    for (int i = 0; i < n; i++) {
      files[i] =
          fx.writeFile(
              "node" + (i + 1) + ".cfg",
              commandPorts[i]
                  + "\n"
                  + td
                  + "\nstore = "
                  + pg.jdbcUrl(database)
                  + "\nstore-user = postgres\ncluster = 127.0.0.1:"
                  + clusterPorts[i]
                  + "\nseed-nodes = "
                  + seeds
                  + "\n");
    }
    nodes = new Coordinator[n];
  }

  private static int distinctFreePort(Set<Integer> taken) {
    int p = ProcessFixture.freePort();
    while (!taken.add(p)) p = ProcessFixture.freePort();
    return p;
  }

  int size() {
    return nodes.length;
  }

  /** Node {@code i}'s current process (0-based), or null before it started. */
  Coordinator node(int i) {
    return nodes[i];
  }

  int commandPort(int i) {
    return commandPorts[i];
  }

  /**
   * Starts every node at once (the first seed node forms the cluster, the others join it), waits
   * for each one's "listening on" and "up" lines, then for one of them to hold the coordinator
   * role; returns that one's index.
   */
  int startAll() {
    List<Proc> started = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) started.add(launch(i));
    for (int i = 0; i < nodes.length; i++) nodes[i] = listening(i, started.get(i));
    return awaitHolder(-1, new int[nodes.length]);
  }

  /** Starts node {@code i} again with its file (its process must be gone) until it listens. */
  Coordinator restart(int i) {
    assertTrue(!nodes[i].proc.isAlive(), "node" + (i + 1) + " is still running");
    nodes[i] = listening(i, launch(i));
    return nodes[i];
  }

  private Proc launch(int i) {
    return fx.start("node" + (i + 1), "coordinator", files[i].toString());
  }

  /**
   * Waits for the node's "listening on" line, then for its "up in the cluster" line: a node still
   * joining does not count for the split-brain resolver's majority, so killing another before this
   * one is up can leave two equal halves, and the wrong one goes.
   */
  private Coordinator listening(int i, Proc p) {
    String line =
        p.nextLine(
            ProcessFixture.STARTUP_TIMEOUT,
            l -> l.contains("listening on"),
            "node" + (i + 1) + "'s 'listening on' line");
    ProcessFixture.await(
        REJOIN_TIMEOUT,
        "node" + (i + 1) + "'s '" + ClusterNode.UP_LINE + "...' line",
        () -> p.stdoutLines().stream().anyMatch(l -> l.startsWith(ClusterNode.UP_LINE)));
    return new Coordinator(p, files[i], commandPorts[i], line);
  }

  /** How many role lines each node's current process has printed so far. */
  int[] roleLines() {
    int[] n = new int[nodes.length];
    for (int i = 0; i < nodes.length; i++) n[i] = nodes[i] == null ? 0 : roleLines(nodes[i].proc);
    return n;
  }

  private static int roleLines(Proc p) {
    int n = 0;
    for (String l : p.stdoutLines()) if (l.startsWith(ROLE_LINE)) n++;
    return n;
  }

  /**
   * Waits until a node other than {@code except} that is alive prints a role line beyond {@code
   * before} (from {@link #roleLines()}); returns its index.
   */
  int awaitHolder(int except, int[] before) {
    int[] found = {-1};
    ProcessFixture.await(
        ROLE_MOVE_TIMEOUT,
        "a node printing '" + ROLE_LINE + "...'" + (except < 0 ? "" : " after node" + (except + 1)),
        () -> {
          int[] now = roleLines();
          for (int i = 0; i < nodes.length; i++) {
            if (i != except && nodes[i].proc.isAlive() && now[i] > before[i]) {
              found[0] = i;
              return true;
            }
          }
          return false;
        });
    return found[0];
  }

  /**
   * Waits until a command sent to node {@code i}'s command port reaches the coordinator role and is
   * answered ({@code GROUPS}).
   */
  void awaitAnswering(int i) {
    ProcessFixture.await(
        REJOIN_TIMEOUT,
        "node" + (i + 1) + " answering GROUPS through its command port",
        () -> answers(commandPorts[i]));
  }

  /** Whether {@code GROUPS} through {@code port} gets an {@code OK GROUPS} (one try). */
  static boolean answers(int port) {
    try (RawLineSocket raw = RawLineSocket.connect(port)) {
      raw.send("GROUPS");
      String l = raw.readLine();
      return l != null && l.startsWith("OK GROUPS ");
    } catch (IOException | AssertionError e) {
      return false;
    }
  }

  /**
   * Line 3 of a participant's file: the nodes' command ports in the order {@code order} (0-based
   * indexes), comma-separated {@code IP PORT}.
   */
  String addresses(int... order) {
    List<String> out = new ArrayList<>();
    for (int i : order) out.add("127.0.0.1 " + commandPorts[i]);
    return String.join(", ", out);
  }
}
