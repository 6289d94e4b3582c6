package tempocast.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tempocast.cluster.ClusterSettings;
import tempocast.coordinator.CoordinatorConfigFile;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.participant.ParticipantConfigFile;
import tempocast.participant.ParticipantSettings;
import tempocast.participant.ParticipantSettings.CoordinatorAddress;

class ConfigFilesTest {
  @TempDir Path dir;

  Path write(String text) throws Exception {
    Path p = dir.resolve("node.conf");
    Files.writeString(p, text);
    return p;
  }

  @Test
  void coordinatorFixedLinesAndSettings() throws Exception {
    CoordinatorSettings s =
        CoordinatorConfigFile.load(
            write("# comment\n5000\n\n2.5\ndata-dir = /tmp/x\nfsync = always\n"));
    assertEquals(5000, s.port());
    assertEquals(Duration.ofMillis(2500), s.td());
    assertEquals(Path.of("/tmp/x"), s.dataDir());
    assertTrue(s.fsync());
  }

  @Test
  void coordinatorStoreIsRocksDbOrAPostgresUrl() throws Exception {
    assertEquals("rocksdb", CoordinatorConfigFile.load(write("5001\n10\n")).store());
    CoordinatorSettings pg =
        CoordinatorConfigFile.load(
            write(
                "5001\n10\nstore = jdbc:postgresql://127.0.0.1:5432/tc?ssl=false\n"
                    + "store-user = tc\nstore-password = s=cret\n"));
    assertTrue(pg.postgresStore());
    assertEquals("jdbc:postgresql://127.0.0.1:5432/tc?ssl=false", pg.store());
    assertEquals("tc", pg.storeUser());
    assertEquals("s=cret", pg.storePassword());
    assertError(
        () -> CoordinatorConfigFile.load(write("5000\n1\nstore = mysql://h/db\n")),
        "line 3",
        "store must be 'rocksdb' or a PostgreSQL JDBC URL");
  }

  @Test
  void coordinatorDefaultDataDirIsPerPort() throws Exception {
    assertEquals(
        Path.of("data/coordinator-5001"),
        CoordinatorConfigFile.load(write("5001\n10\n")).dataDir());
  }

  @Test
  void coordinatorErrorsNameTheLine() throws Exception {
    assertError(() -> CoordinatorConfigFile.load(write("abc\n10\n")), "line 1", "port");
    assertError(() -> CoordinatorConfigFile.load(write("5000\n-1\n")), "line 2", "td");
    assertError(() -> CoordinatorConfigFile.load(write("5000\n0\n")), "line 2", "td");
    assertError(() -> CoordinatorConfigFile.load(write("5000\n")), "line 2", "td");
    assertError(
        () -> CoordinatorConfigFile.load(write("5000\n1\nfsync = sometimes\n")), "line 3", "fsync");
    assertError(
        () -> CoordinatorConfigFile.load(write("5000\n1\ncolour = red\n")),
        "line 3",
        "unknown setting 'colour'; known: bind, cluster, data-dir, delivery-window,");
    assertError(
        () -> CoordinatorConfigFile.load(write("5000\n1\ncluster {\n  seed-nodes = []\n}\n")),
        "line 3",
        "the cluster settings are lines of their own: 'cluster = HOST:PORT'");
    assertError(
        () -> CoordinatorConfigFile.load(write("5000\n1\nstandby = maybe\n")),
        "line 3",
        "standby must be 'on' or 'off', got 'maybe'");
    assertError(
        () -> CoordinatorConfigFile.load(dir.resolve("missing.conf")),
        "missing.conf",
        "no such file");
  }

  @Test
  void clusterNodeReadsItsAddressAndSeeds() throws Exception {
    CoordinatorSettings s =
        CoordinatorConfigFile.load(
            write(
                "5001\n10\nstore = jdbc:postgresql://127.0.0.1:5432/t\ncluster = 127.0.0.1:2552\n"
                    + "seed-nodes = 127.0.0.1:2551, 127.0.0.1:2552 127.0.0.1:2553\n"));
    assertTrue(s.clustered());
    assertEquals(new ClusterSettings.Address("127.0.0.1", 2552), s.cluster().node());
    assertEquals(
        List.of(
            new ClusterSettings.Address("127.0.0.1", 2551),
            new ClusterSettings.Address("127.0.0.1", 2552),
            new ClusterSettings.Address("127.0.0.1", 2553)),
        s.cluster().seedNodes());
    CoordinatorSettings alone =
        CoordinatorConfigFile.load(
            write(
                "5001\n10\nstore = jdbc:postgresql://127.0.0.1:5432/t\ncluster = 127.0.0.1:2552\n"));
    assertEquals(List.of(alone.cluster().node()), alone.cluster().seedNodes());
    assertFalse(CoordinatorConfigFile.load(write("5001\n10\n")).clustered());
  }

  @Test
  void clusterNodeErrorsSayWhatToWrite() throws Exception {
    String pg = "store = jdbc:postgresql://127.0.0.1:5432/t\n";
    assertError(
        () -> CoordinatorConfigFile.load(write("5000\n1\ncluster = 127.0.0.1:2551\n")),
        "line 3",
        "a cluster keeps its journal in PostgreSQL, shared by its nodes: add"
            + " 'store = jdbc:postgresql://HOST:PORT/DATABASE'");
    assertError(
        () -> CoordinatorConfigFile.load(write("5000\n1\n" + pg + "cluster = localhost\n")),
        "line 4",
        "cluster: this node's cluster address, expected HOST:PORT, e.g. 127.0.0.1:2551, got"
            + " 'localhost'");
    assertError(
        () ->
            CoordinatorConfigFile.load(
                write("5000\n1\n" + pg + "cluster = 127.0.0.1:2551\nseed-nodes = a:0\n")),
        "line 5",
        "seed-nodes: the cluster's seed nodes, the port in 'a:0' must be a number from 1 to 65535");
    assertError(
        () -> CoordinatorConfigFile.load(write("5000\n1\nseed-nodes = 127.0.0.1:2551\n")),
        "line 3",
        "seed-nodes needs 'cluster = HOST:PORT'");
    assertError(
        () ->
            CoordinatorConfigFile.load(
                write("5000\n1\n" + pg + "cluster = 127.0.0.1:2551\nstandby = on\n")),
        "line 5",
        "standby is for a coordinator on its own");
    assertError(
        () ->
            CoordinatorConfigFile.load(
                write("5000\n1\n" + pg + "cluster = 127.0.0.1:2551\nhttp-port = 8080\n")),
        "line 5",
        "not available on a cluster node yet");
  }

  @Test
  void participantAcceptsBothAddressForms() throws Exception {
    ParticipantSettings a =
        ParticipantConfigFile.load(write("alice\nlogs/a.log\n127.0.0.1 5000\n"));
    assertEquals("alice", a.id());
    assertEquals(Path.of("logs/a.log"), a.logFile());
    assertEquals(List.of(new CoordinatorAddress("127.0.0.1", 5000)), a.coordinators());
    ParticipantSettings b = ParticipantConfigFile.load(write("bob\nb.log\n127.0.0.1:5001\n"));
    assertEquals(List.of(new CoordinatorAddress("127.0.0.1", 5001)), b.coordinators());
    assertTrue(b.notifyDelivered(), "delivered notices are on by default");
    assertEquals(
        List.of(new CoordinatorAddress("::1", 5002)),
        ParticipantConfigFile.load(write("c\nc.log\n[::1]:5002\n")).coordinators());
    assertEquals(
        List.of(new CoordinatorAddress("::1", 5003)),
        ParticipantConfigFile.load(write("c\nc.log\n::1 5003\n")).coordinators());
    assertEquals("[::1]:5003", new CoordinatorAddress("::1", 5003).toString());
  }

  @Test
  void participantAcceptsSeveralCoordinatorsInEveryForm() throws Exception {
    List<CoordinatorAddress> two =
        List.of(
            new CoordinatorAddress("127.0.0.1", 7000), new CoordinatorAddress("127.0.0.2", 7001));
    for (String line :
        List.of(
            "127.0.0.1 7000, 127.0.0.2 7001",
            "127.0.0.1 7000,127.0.0.2 7001",
            "127.0.0.1:7000, 127.0.0.2 7001",
            "127.0.0.1:7000,127.0.0.2:7001",
            "127.0.0.1:7000 127.0.0.2:7001",
            "127.0.0.1:7000   127.0.0.2:7001",
            "127.0.0.1 7000 127.0.0.2 7001")) {
      assertEquals(
          two, ParticipantConfigFile.load(write("a\na.log\n" + line + "\n")).coordinators(), line);
    }
    assertEquals(
        List.of(
            new CoordinatorAddress("::1", 7000),
            new CoordinatorAddress("127.0.0.1", 7001),
            new CoordinatorAddress("fe80::1", 7002)),
        ParticipantConfigFile.load(write("a\na.log\n[::1]:7000 127.0.0.1:7001 [fe80::1]:7002\n"))
            .coordinators(),
        "the order is kept: it is the order they are tried in");
  }

  @Test
  void participantRefusesAmbiguousOrBrokenCoordinatorLists() throws Exception {
    for (String line :
        List.of(
            "127.0.0.1 7000 127.0.0.2:7001", // mixed forms without commas
            "127.0.0.1:7000 7001",
            "127.0.0.1 7000,",
            ",127.0.0.1 7000",
            "127.0.0.1 7000,, 127.0.0.2 7001",
            "127.0.0.1 7000 127.0.0.2", // a host without its port
            "127.0.0.1 7000 x, 127.0.0.2 7001",
            "127.0.0.1 7000; 127.0.0.2 7001")) {
      assertError(
          () -> ParticipantConfigFile.load(write("a\na.log\n" + line + "\n")),
          "line 3",
          "'IP PORT' or 'IP:PORT'",
          "several",
          "got '" + line + "'");
    }
    assertError(
        () -> ParticipantConfigFile.load(write("a\na.log\n127.0.0.1 7000, 127.0.0.1:7000\n")),
        "line 3",
        "127.0.0.1:7000 is listed twice");
    assertError(
        () -> ParticipantConfigFile.load(write("a\na.log\n127.0.0.1 7000, 127.0.0.2 70000\n")),
        "line 3",
        "port must be a number from 1 to 65535, got '70000'");
  }

  @Test
  void participantNotifyDeliveredIsOnOrOff() throws Exception {
    assertTrue(
        ParticipantConfigFile.load(write("a\na.log\n127.0.0.1 1\nnotify-delivered = on\n"))
            .notifyDelivered());
    ParticipantSettings off =
        ParticipantConfigFile.load(
            write("a\na.log\n127.0.0.1 1\nsecret = s\nnotify-delivered = off\n"));
    assertFalse(off.notifyDelivered());
    assertEquals("s", off.secret());
    assertError(
        () -> ParticipantConfigFile.load(write("a\na.log\n127.0.0.1 1\nnotify-delivered = no\n")),
        "line 4",
        "notify-delivered",
        "'on' or 'off'");
  }

  @Test
  void participantErrorsNameTheLine() throws Exception {
    assertError(
        () -> ParticipantConfigFile.load(write("al ice\na.log\n127.0.0.1 5000\n")), "line 1", "ID");
    assertError(
        () -> ParticipantConfigFile.load(write("alice\na.log\n127.0.0.1 port\n")),
        "line 3",
        "port");
    assertError(() -> ParticipantConfigFile.load(write("alice\na.log\n")), "line 3", "address");
    assertError(
        () -> ParticipantConfigFile.load(write("alice\na.log\n127.0.0.1\n")), "line 3", "IP PORT");
  }

  @Test
  void coordinatorHttpPortIsOffUnlessSetAndChecked() throws Exception {
    CoordinatorSettings off = CoordinatorConfigFile.load(write("5000\n10\n"));
    assertFalse(off.httpEnabled());
    assertEquals("", off.httpToken());
    assertEquals(100, off.metricsGroupCap());
    CoordinatorSettings on =
        CoordinatorConfigFile.load(
            write("5000\n10\nhttp-port = 8080\nhttp-token = abc.DEF-1\nmetrics-group-cap = 5\n"));
    assertTrue(on.httpEnabled());
    assertEquals(8080, on.httpPort());
    assertEquals("abc.DEF-1", on.httpToken());
    assertEquals(5, on.metricsGroupCap());
    assertFalse(CoordinatorConfigFile.load(write("5000\n10\nhttp-port = off\n")).httpEnabled());
    assertError(
        () -> CoordinatorConfigFile.load(write("5000\n10\nhttp-port = 70000\n")), "line 3", "port");
    assertError(
        () -> CoordinatorConfigFile.load(write("5000\n10\nmetrics-group-cap = -1\n")),
        "line 3",
        "metrics-group-cap");
  }

  interface Load {
    Object run() throws Exception;
  }

  private static void assertError(Load load, String... fragments) {
    ConfigException e = assertThrows(ConfigException.class, load::run);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "'" + e.getMessage() + "' should mention " + f);
    }
  }
}
