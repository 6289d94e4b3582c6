package tempocast.journal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private PostgreSQL server for tests, in a temp directory, on a free loopback port, with a
 * database {@code tempocast}: start one per test class ({@code @BeforeAll}) and close it after. As
 * root, initdb and the server run as the {@code postgres} user, since PostgreSQL refuses to run as
 * root. Without PostgreSQL's binaries the test fails (it does not skip): its guarantees are then
 * untested, which must not pass unnoticed.
 */
public final class PostgresServer implements AutoCloseable {
  public static final String DATABASE = "tempocast";

  private static final String INSTALL =
      "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb);"
          + " install it with: apt-get install postgresql";

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgres;
  private final Thread stopAtExit;
  private boolean running = true;

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgres = asPostgres;
    // A test JVM that dies without closing must not leave a server behind.
    this.stopAtExit = new Thread(this::stopQuietly, "stop-postgres-" + port);
    Runtime.getRuntime().addShutdownHook(stopAtExit);
  }

  /** A new server with an empty database {@link #DATABASE}; takes about two seconds. */
  public static PostgresServer start() {
    Path bin = binaries();
    boolean asPostgres = "root".equals(System.getProperty("user.name"));
    Path dir;
    try {
      dir = Files.createTempDirectory("tempocast-pg-");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a temp directory for PostgreSQL", e);
    }
    if (asPostgres) {
      run(List.of("chown", "postgres:postgres", dir.toString()), dir, "chown");
    }
    run(
        command(
            asPostgres,
            bin.resolve("initdb").toString(),
            "-D",
            dir.resolve("data").toString(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync"),
        dir,
        "initdb");
    // Another process may take the free port before the server binds it: try another one.
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = freePort();
      try {
        pgCtlStart(bin, dir, port, asPostgres);
      } catch (IllegalStateException e) {
        last = e;
        continue;
      }
      PostgresServer server = new PostgresServer(bin, dir, port, asPostgres);
      server.createDatabase(DATABASE);
      return server;
    }
    throw last;
  }

  private static void pgCtlStart(Path bin, Path dir, int port, boolean asPostgres) {
    run(
        command(
            asPostgres,
            bin.resolve("pg_ctl").toString(),
            "-D",
            dir.resolve("data").toString(),
            "-o",
            "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir,
            "-l",
            dir.resolve("server.log").toString(),
            "-w",
            "-t",
            "60",
            "start"),
        dir,
        "pg_ctl start");
  }

  /** The newest PostgreSQL in /usr/lib/postgresql, else the one whose initdb is on the PATH. */
  static Path binaries() {
    Path root = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        var newest =
            versions
                .filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                .max(
                    Comparator.comparingInt(
                        v -> {
                          try {
                            return Integer.parseInt(v.getFileName().toString());
                          } catch (NumberFormatException e) {
                            return 0;
                          }
                        }));
        if (newest.isPresent()) {
          return newest.get().resolve("bin");
        }
      } catch (IOException e) {
        throw new IllegalStateException(INSTALL, e);
      }
    }
    for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!p.isEmpty() && Files.isExecutable(Path.of(p, "initdb"))) {
        return Path.of(p);
      }
    }
    throw new IllegalStateException(INSTALL);
  }

  public int port() {
    return port;
  }

  /** The URL of the database {@link #DATABASE}. */
  public String jdbcUrl() {
    return jdbcUrl(DATABASE);
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** Creates an empty database (trust authentication: user postgres, no password). */
  public void createDatabase(String name) {
    sql("CREATE DATABASE \"" + name + "\"");
  }

  /** Runs SQL on the database {@code postgres}, as the superuser. */
  public void sql(String statement) {
    try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), "postgres", "");
        Statement s = c.createStatement()) {
      s.execute(statement);
    } catch (SQLException e) {
      throw new IllegalStateException(statement + ": " + e.getMessage(), e);
    }
  }

  /** Stops the server (fast: open connections are cut), keeping its files. */
  public synchronized void stop() {
    if (running) {
      run(
          command(
              asPostgres,
              bin.resolve("pg_ctl").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-m",
              "fast",
              "-w",
              "stop"),
          dir,
          "pg_ctl stop");
      running = false;
    }
  }

  /**
   * Starts a server that {@link #stop} stopped again, on its files and its port (a client that knew
   * it finds it where it was).
   */
  public synchronized void startAgain() {
    if (!running) {
      pgCtlStart(bin, dir, port, asPostgres);
      running = true;
    }
  }

  /** Stops the server and deletes its files. */
  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(stopAtExit);
    } catch (IllegalStateException exiting) {
      // the JVM is already exiting; the hook runs anyway and finds the server stopped
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot delete " + dir, e);
    }
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      // at exit there is no one left to tell
    }
  }

  private static List<String> command(boolean asPostgres, String... args) {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(List.of(args));
    return cmd;
  }

  /**
   * Runs a command to its end, its output in a file: pg_ctl leaves the server running with the
   * output it inherited, so a pipe would never close.
   */
  private static void run(List<String> cmd, Path dir, String what) {
    try {
      Path out = Files.createTempFile("tempocast-pg-", ".out");
      try {
        Process p =
            new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException(what + " did not finish in 90 s: " + cmd);
        }
        if (p.exitValue() != 0) {
          String log = dir.resolve("server.log").toFile().exists() ? serverLog(dir) : "";
          throw new IllegalStateException(
              what + " failed (exit " + p.exitValue() + "): " + Files.readString(out) + log);
        }
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + " interrupted", e);
    }
  }

  private static String serverLog(Path dir) throws IOException {
    return "\nserver.log:\n" + Files.readString(dir.resolve("server.log"));
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }
}
