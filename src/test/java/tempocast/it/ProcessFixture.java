package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts real tempocast processes (coordinator / participant) from target/tempocast.jar, in a
 * per-test working directory, and talks to them through stdin/stdout exactly like a user would.
 * Every process started here is killed in {@link #close()}; nothing else is ever touched.
 */
public final class ProcessFixture implements AutoCloseable {

  /** Bounded wait for one console command's OK/ERROR line. */
  public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);

  /** Bounded wait for a JVM to come up (coordinator's "listening on" line). */
  public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

  /** Bounded wait for deliveries to show up in message logs. */
  public static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(20);

  public static final long POLL_MILLIS = 20;

  /**
   * `<ts> <group> #<seq> <sender>: <text>`, or for a direct message `<ts> @<recipient> #<seq>
   * <sender>: <text>`: group 2 is the sequence space (a group, or {@code @ID}).
   */
  public static final Pattern LOG_LINE =
      Pattern.compile(
          "^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z) (@?[A-Za-z0-9._-]+) #(\\d+) ([A-Za-z0-9._-]+): (.*)$",
          Pattern.DOTALL);

  public static final Pattern LISTENING =
      Pattern.compile(
          "^tempocast coordinator listening on 127\\.0\\.0\\.1:(\\d+) \\(td ([0-9.]+) s, data (.+), fsync (never|always)\\)$");
  public static final Pattern REGISTERED =
      Pattern.compile("^OK registered (\\S+) in group main, receiver on port (\\d+)$");
  public static final Pattern RECONNECTED =
      Pattern.compile("^OK reconnected (\\S+) to group main, receiver on port (\\d+)$");

  /** msend's and send's OK line: {@code OK sent #SEQ to GROUP} or {@code OK sent #SEQ to @ID}. */
  public static final Pattern SENT = Pattern.compile("^OK sent #(\\d+) to (@?[A-Za-z0-9._-]+)$");

  /** A line of the {@code groups} listing. */
  public static final Pattern GROUP_LINE =
      Pattern.compile("^group ([A-Za-z0-9._-]+) members (\\d+) online (\\d+) td ([0-9.]+)$");

  /** A line of the {@code members} listing. */
  public static final Pattern MEMBER_LINE =
      Pattern.compile("^member ([A-Za-z0-9._-]+) (online|offline)$");

  /** A line of the {@code status} listing; group 3 is the delivered time. */
  public static final Pattern STATUS_LINE =
      Pattern.compile(
          "^([A-Za-z0-9._-]+) (sent|expired|delivered (\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z))$");

  public static final Pattern STATUS_RESULT =
      Pattern.compile(
          "^OK status (@?[A-Za-z0-9._-]+) #(\\d+): (\\d+) delivered, (\\d+) sent, (\\d+) expired$");

  /** A membership event on the console: {@code GROUP: ID joined|left|offline|online}. */
  public static final Pattern EVENT_NOTICE =
      Pattern.compile("^([A-Za-z0-9._-]+): ([A-Za-z0-9._-]+) (joined|left|offline|online)$");

  /** The notice to a sender: {@code delivered TARGET #SEQ}. */
  public static final Pattern DELIVERED_NOTICE =
      Pattern.compile("^delivered (@?[A-Za-z0-9._-]+) #(\\d+)$");

  /** A console line that is a notice, not a listing line nor a result. */
  public static boolean isNotice(String l) {
    return EVENT_NOTICE.matcher(l).matches()
        || DELIVERED_NOTICE.matcher(l).matches()
        || l.startsWith("coordinator ")
        || l.startsWith("catching up: ")
        || l.startsWith("caught up: ");
  }

  private static final String EOF = new String("<EOF>"); // compared by identity

  private final Path dir;
  private final List<Proc> procs = new CopyOnWriteArrayList<>();
  private final AtomicInteger counter = new AtomicInteger();

  public ProcessFixture(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  // ------------------------------------------------------------------ static helpers

  public static Path jar() {
    String p = System.getProperty("tempocast.jar");
    Path jar = p != null && !p.isBlank() ? Paths.get(p) : Paths.get("target", "tempocast.jar");
    jar = jar.toAbsolutePath();
    assertTrue(
        Files.isRegularFile(jar),
        "tempocast jar not found at " + jar + " (system property tempocast.jar)");
    return jar;
  }

  /** A TCP port that was free a moment ago: bind 127.0.0.1:0, read the port, close. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Binds a listening socket on all interfaces at {@code port} (fails with IOException if it is in
   * use).
   */
  public static ServerSocket bindWildcard(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    try {
      // SO_REUSEADDR only ignores TIME_WAIT leftovers; a socket still LISTENing on the port makes
      // bind fail.
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(port));
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Fails unless nobody listens on {@code port} any more (binds it on all interfaces, then releases
   * it).
   */
  public static void assertPortFree(int port, String when) {
    try (ServerSocket s = bindWildcard(port)) {
      assertEquals(port, s.getLocalPort());
    } catch (IOException e) {
      fail("port " + port + " is still bound " + when + ": " + e);
    }
  }

  /**
   * Polls {@code cond} every POLL_MILLIS until true or the deadline passes (then fails with {@code
   * what}).
   */
  public static void await(Duration timeout, String what, BooleanSupplier cond) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (cond.getAsBoolean()) return;
      if (System.nanoTime() - deadline > 0)
        fail("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
      sleepQuietly(POLL_MILLIS);
    }
  }

  static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  public Path writeFile(String name, String content) {
    try {
      Path p = dir.resolve(name);
      Files.writeString(p, content, StandardCharsets.UTF_8);
      return p;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ starting processes

  /**
   * Writes a coordinator config (free port, td seconds, data dir in the temp dir) and starts it.
   */
  public Coordinator startCoordinator(String td) {
    return startCoordinator(td, new String[0]);
  }

  /**
   * As {@link #startCoordinator(String)}, with further {@code key = value} lines in the config
   * (e.g. {@code heartbeat-timeout = 60}).
   */
  public Coordinator startCoordinator(String td, String... settings) {
    int port = freePort();
    return startCoordinatorOn(port, dir.resolve("coordinator-data-" + port), td, settings);
  }

  /**
   * Writes a coordinator config for {@code port} and {@code dataDir} (which may be another
   * coordinator's: a standby taking over its data once it is gone) and starts it.
   */
  public Coordinator startCoordinatorOn(int port, Path dataDir, String td, String... settings) {
    Path cfg =
        writeFile(
            "coordinator-" + port + ".cfg",
            "# written by "
                + getClass().getSimpleName()
                + "\n"
                + port
                + "\n"
                + td
                + "\n"
                + "data-dir = "
                + dataDir
                + "\n"
                + lines(settings));
    return startCoordinator(cfg, port);
  }

  /**
   * Starts (or restarts) a coordinator with an existing config file and waits for its "listening
   * on" line.
   */
  public Coordinator startCoordinator(Path cfg, int port) {
    Proc p = start("coordinator", "coordinator", cfg.toString());
    String line =
        p.nextLine(
            STARTUP_TIMEOUT, l -> l.contains("listening on"), "coordinator's 'listening on' line");
    return new Coordinator(p, cfg, port, line);
  }

  /**
   * Writes {@code <id>.cfg} (ID, log {@code <id>.log}, coordinator 127.0.0.1 PORT) and starts the
   * participant.
   */
  public Participant startParticipant(String id, int coordinatorPort) {
    return startParticipant(id, coordinatorPort, new String[0]);
  }

  /**
   * As {@link #startParticipant(String, int)}, with further {@code key = value} lines in the config
   * (e.g. {@code notify-delivered = off}).
   */
  public Participant startParticipant(String id, int coordinatorPort, String... settings) {
    Path cfg =
        writeFile(
            id + ".cfg",
            id + "\n" + id + ".log\n127.0.0.1 " + coordinatorPort + "\n" + lines(settings));
    return startParticipant(id, cfg, dir.resolve(id + ".log"));
  }

  /**
   * Writes {@code <id>.cfg} with {@code coordinators} as its line 3 (one coordinator address or
   * several, in any form the file accepts) and starts the participant.
   */
  public Participant startParticipantAt(String id, String coordinators, String... settings) {
    Path cfg =
        writeFile(id + ".cfg", id + "\n" + id + ".log\n" + coordinators + "\n" + lines(settings));
    return startParticipant(id, cfg, dir.resolve(id + ".log"));
  }

  /**
   * Starts one participant per ID (every JVM before the first registers, so they come up in
   * parallel), then registers each on port 0, in the order given; returns them in that order.
   */
  public List<Participant> startAndRegister(Coordinator c, String... ids) {
    List<Participant> ps = startParticipants(c, ids);
    for (Participant p : ps) p.register(0);
    return ps;
  }

  /** Starts one participant per ID on {@code c}, in the order given (none registered). */
  public List<Participant> startParticipants(Coordinator c, String... ids) {
    List<Participant> ps = new ArrayList<>();
    for (String id : ids) ps.add(startParticipant(id, c.port));
    return List.copyOf(ps);
  }

  private static String lines(String... settings) {
    StringBuilder sb = new StringBuilder();
    for (String l : settings) sb.append(l).append('\n');
    return sb.toString();
  }

  public Participant startParticipant(String id, Path cfg, Path log) {
    Proc p = start("participant-" + id, "participant", cfg.toString());
    return new Participant(p, id, cfg, log);
  }

  /** Restart with the same config (and therefore the same log file). */
  public Participant restart(Participant old) {
    assertTrue(!old.proc.process.isAlive(), "restart(): old participant process is still alive");
    Participant p = startParticipant(old.id, old.cfg, old.log);
    p.lastPort = old.lastPort;
    return p;
  }

  public Coordinator restart(Coordinator old) {
    assertTrue(!old.proc.process.isAlive(), "restart(): old coordinator process is still alive");
    return startCoordinator(old.cfg, old.port);
  }

  /** Starts {@code java -Xmx256m -jar tempocast.jar ARGS...} in the temp dir. */
  public Proc start(String name, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-jar");
    cmd.add(jar().toString());
    Collections.addAll(cmd, args);
    int n = counter.incrementAndGet();
    String fullName = name + "#" + n;
    Path stderr = dir.resolve(String.format("%02d-%s.stderr", n, name));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()));
    try {
      Process process = pb.start();
      Proc p = new Proc(fullName, cmd, process, stderr);
      procs.add(p);
      return p;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + cmd, e);
    }
  }

  // ------------------------------------------------------------------ cleanup / diagnostics

  @Override
  public void close() {
    for (Proc p : procs) p.kill();
  }

  public void dumpDiagnostics(String testName) {
    StringBuilder sb = new StringBuilder();
    sb.append("\n========== diagnostics for failed test ")
        .append(testName)
        .append(" (dir ")
        .append(dir)
        .append(")\n");
    for (Proc p : procs) sb.append(p.describe());
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        if (f.getFileName().toString().endsWith(".log")) {
          sb.append("---- message log ").append(f.getFileName()).append(":\n");
          sb.append(tail(Files.readString(f, StandardCharsets.UTF_8), 4000)).append("\n");
        }
      }
    } catch (IOException | RuntimeException e) {
      sb.append("(cannot list ").append(dir).append(": ").append(e).append(")\n");
    }
    sb.append("========== end of diagnostics\n");
    System.err.println(sb);
  }

  static String tail(String s, int max) {
    return s.length() <= max
        ? s
        : "...[" + (s.length() - max) + " chars cut]..." + s.substring(s.length() - max);
  }

  // ================================================================== process wrapper

  /** One started OS process: stdout read line by line on a thread, stderr into a file. */
  public static final class Proc {
    final String name;
    final List<String> cmd;
    final Process process;
    final Path stderrFile;
    private final BlockingQueue<String> stdoutQueue = new LinkedBlockingQueue<>();
    private final List<String> stdoutAll = Collections.synchronizedList(new ArrayList<>());
    private final Writer stdin;

    Proc(String name, List<String> cmd, Process process, Path stderrFile) {
      this.name = name;
      this.cmd = cmd;
      this.process = process;
      this.stderrFile = stderrFile;
      this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread t = new Thread(this::readStdout, "stdout-" + name);
      t.setDaemon(true);
      t.start();
    }

    private void readStdout() {
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          stdoutAll.add(line);
          stdoutQueue.add(line);
        }
      } catch (IOException ignored) {
        // process killed
      } finally {
        stdoutQueue.add(EOF);
      }
    }

    public Process process() {
      return process;
    }

    public long pid() {
      return process.pid();
    }

    public boolean isAlive() {
      return process.isAlive();
    }

    public List<String> stdoutLines() {
      synchronized (stdoutAll) {
        return new ArrayList<>(stdoutAll);
      }
    }

    public String stderr() {
      try {
        return Files.exists(stderrFile) ? Files.readString(stderrFile, StandardCharsets.UTF_8) : "";
      } catch (IOException e) {
        return "(cannot read " + stderrFile + ": " + e + ")";
      }
    }

    /**
     * Next stdout line matching {@code accept}; non-matching lines are skipped. Fails on timeout /
     * EOF.
     */
    public String nextLine(Duration timeout, Predicate<String> accept, String what) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0)
          fail(
              name
                  + ": timed out after "
                  + timeout.toMillis()
                  + " ms waiting for "
                  + what
                  + "\n"
                  + describe());
        String line;
        try {
          line = stdoutQueue.poll(left, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted waiting for " + what, e);
        }
        if (line == null) continue;
        if (line == EOF) {
          stdoutQueue.add(EOF); // keep reporting EOF to later callers
          waitForQuietly(Duration.ofSeconds(2));
          fail(
              name
                  + ": stdout closed (process exited?) while waiting for "
                  + what
                  + "\n"
                  + describe());
        }
        if (accept.test(line)) return line;
      }
    }

    /**
     * A stdout line already queued (without waiting), matching {@code accept}, or null. Consumes
     * skipped lines.
     */
    public String pollLine(Predicate<String> accept) {
      String line;
      while ((line = stdoutQueue.poll()) != null) {
        if (line == EOF) {
          stdoutQueue.add(EOF);
          return null;
        }
        if (accept.test(line)) return line;
      }
      return null;
    }

    public void writeLine(String line) {
      writeRaw(line + "\n");
    }

    public void writeRaw(String s) {
      try {
        stdin.write(s);
        stdin.flush();
      } catch (IOException e) {
        fail(name + ": cannot write to stdin (" + e + ")\n" + describe());
      }
    }

    public void closeStdin() {
      try {
        stdin.close();
      } catch (IOException ignored) {
        // already gone
      }
    }

    /** What a process that hangs is doing: its threads' stacks (jcmd), for the failure message. */
    String threadDump() {
      Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
      try {
        Process dump =
            new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "Thread.print")
                .redirectErrorStream(true)
                .start();
        String out = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        dump.waitFor(10, TimeUnit.SECONDS);
        return "\n---- threads of " + name + " (jcmd Thread.print):\n" + out;
      } catch (IOException | InterruptedException e) {
        return "\n---- no thread dump of " + name + ": " + e;
      }
    }

    /** Waits for exit; returns the exit code or fails after timeout. */
    public int awaitExit(Duration timeout) {
      try {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          fail(
              name
                  + ": did not exit within "
                  + timeout.toMillis()
                  + " ms\n"
                  + describe()
                  + threadDump());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      return process.exitValue();
    }

    void waitForQuietly(Duration d) {
      try {
        process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Sends {@code kill -SIG} (e.g. STOP, CONT) to this process only. */
    public void signal(String sig) {
      try {
        Process k =
            new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
        if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
          fail("kill -" + sig + " " + process.pid() + " failed");
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** SIGKILL (Process.destroyForcibly on this process only) and wait for it to be gone. */
    public void kill() {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
      closeStdin();
      try {
        process.waitFor(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Graceful stop: close stdin, SIGTERM, then SIGKILL if it is still there. */
    public void stop() {
      closeStdin();
      if (process.isAlive()) process.destroy();
      waitForQuietly(Duration.ofSeconds(10));
      kill();
    }

    String describe() {
      StringBuilder sb = new StringBuilder();
      sb.append("---- process ")
          .append(name)
          .append(" pid ")
          .append(process.pid())
          .append(' ')
          .append(process.isAlive() ? "alive" : "exited with " + process.exitValue())
          .append('\n');
      sb.append("     cmd: ").append(String.join(" ", cmd)).append('\n');
      List<String> out = stdoutLines();
      sb.append("     stdout (").append(out.size()).append(" lines, last 40):\n");
      for (String l : out.subList(Math.max(0, out.size() - 40), out.size())) {
        sb.append("       | ")
            .append(l.length() > 300 ? l.substring(0, 300) + "...[" + l.length() + " chars]" : l)
            .append('\n');
      }
      sb.append("     stderr (").append(stderrFile.getFileName()).append("):\n");
      for (String l : tail(stderr(), 12000).split("\n", -1))
        sb.append("       ! ").append(l).append('\n');
      return sb.toString();
    }
  }

  // ================================================================== coordinator

  public static final class Coordinator {
    public final Proc proc;
    public final Path cfg;
    public final int port;
    public final String listeningLine;

    Coordinator(Proc proc, Path cfg, int port, String listeningLine) {
      this.proc = proc;
      this.cfg = cfg;
      this.port = port;
      this.listeningLine = listeningLine;
    }

    public void kill() {
      proc.kill();
    }

    public void stop() {
      proc.stop();
    }
  }

  // ================================================================== participant

  /** A parsed message-log line. */
  public record LogEntry(
      Instant ts, String group, long seq, String sender, String text, String raw) {
    @Override
    public String toString() {
      return raw.length() > 200 ? raw.substring(0, 200) + "...[" + raw.length() + " chars]" : raw;
    }
  }

  public static LogEntry parseLogLine(String line) {
    Matcher m = LOG_LINE.matcher(line);
    if (!m.matches())
      fail(
          "message log line does not match '<ts> <group> #<seq> <sender>: <text>': ["
              + tail(line, 300)
              + "]");
    Instant ts;
    try {
      ts = Instant.parse(m.group(1));
    } catch (DateTimeParseException e) {
      throw new AssertionError("bad timestamp in log line: " + line, e);
    }
    return new LogEntry(ts, m.group(2), Long.parseLong(m.group(3)), m.group(4), m.group(5), line);
  }

  public static final class Participant {
    public final Proc proc;
    public final String id;
    public final Path cfg;
    public final Path log;

    /** The receiver port of the last successful register/reconnect. */
    public volatile int lastPort;

    /** The current group (the target of msend) as far as this test told it with {@link #use}. */
    public volatile String current = "main";

    Participant(Proc proc, String id, Path cfg, Path log) {
      this.proc = proc;
      this.id = id;
      this.cfg = cfg;
      this.log = log;
    }

    /** Writes one command line and returns the next stdout line starting with OK or ERROR. */
    public String command(String line) {
      assertNoStrayResult("before command [" + abbreviate(line) + "]");
      proc.writeLine(line);
      return nextResult(COMMAND_TIMEOUT, line);
    }

    /** Next OK/ERROR line (for commands written with {@link Proc#writeLine}). */
    public String nextResult(Duration timeout, String forCommand) {
      return proc.nextLine(
          timeout, Participant::isResult, "result (OK/ERROR) of [" + abbreviate(forCommand) + "]");
    }

    static boolean isResult(String l) {
      return l.startsWith("OK") || l.startsWith("ERROR");
    }

    /**
     * Fails if an OK/ERROR line is already waiting that no command asked for (i.e. a command
     * printed two).
     */
    public void assertNoStrayResult(String when) {
      String stray = proc.pollLine(Participant::isResult);
      if (stray != null)
        fail(
            proc.name
                + ": unexpected extra result line "
                + when
                + ": ["
                + stray
                + "]\n"
                + proc.describe());
    }

    public String expectOk(String cmd) {
      String r = command(cmd);
      if (!r.startsWith("OK")) failReply(cmd, r, "OK");
      return r;
    }

    public String expectError(String cmd) {
      String r = command(cmd);
      if (!r.startsWith("ERROR ") || r.length() <= "ERROR ".length()) {
        failReply(cmd, r, "'ERROR <reason>'");
      }
      return r;
    }

    private void failReply(String cmd, String r, String expected) {
      fail(
          proc.name
              + ": ["
              + abbreviate(cmd)
              + "] -> ["
              + r
              + "], expected "
              + expected
              + "\n"
              + proc.describe());
    }

    /** register PORT; checks the exact OK line and returns the real receiver port. */
    public int register(int port) {
      return checkPortReply(REGISTERED, "register", expectOk("register " + port), port);
    }

    public int reconnect(int port) {
      return checkReconnected(expectOk("reconnect " + port), port);
    }

    int checkReconnected(String r, int port) {
      return checkPortReply(RECONNECTED, "reconnect", r, port);
    }

    /**
     * Checks a register/reconnect OK line {@code r} ({@code what}) against {@code contract}: this
     * ID, a valid receiver port, {@code port} unless 0; remembers and returns the port.
     */
    private int checkPortReply(Pattern contract, String what, String r, int port) {
      Matcher m = contract.matcher(r);
      assertTrue(m.matches(), what + " reply does not match contract: [" + r + "]");
      assertEquals(id, m.group(1), "ID in " + what + " reply");
      int p = Integer.parseInt(m.group(2));
      assertTrue(p > 0 && p < 65536, "receiver port in [" + r + "]");
      if (port != 0) assertEquals(port, p, "receiver port in " + what + " reply");
      lastPort = p;
      return p;
    }

    public void disconnect() {
      assertEquals("OK disconnected " + id, command("disconnect"));
    }

    public void deregister() {
      assertEquals("OK deregistered " + id, command("deregister"));
    }

    /** msend TEXT; checks `OK sent #SEQ to GROUP` (the current group) and returns SEQ. */
    public long msend(String text) {
      return parseSent(expectOk("msend " + text), current);
    }

    /** send ID TEXT; checks `OK sent #SEQ to @ID` and returns SEQ. */
    public long send(String to, String text) {
      return parseSent(expectOk("send " + to + " " + text), "@" + to);
    }

    /** The SEQ of an `OK sent #SEQ to TARGET` line, whatever its target. */
    static long parseSent(String r) {
      Matcher m = SENT.matcher(r);
      assertTrue(m.matches(), "reply does not match 'OK sent #SEQ to TARGET': [" + r + "]");
      return Long.parseLong(m.group(1));
    }

    /** The SEQ of an `OK sent #SEQ to TARGET` line; fails unless it names {@code target}. */
    static long parseSent(String r, String target) {
      long seq = parseSent(r);
      assertEquals(target, SENT.matcher(r).replaceFirst("$2"), "target in [" + r + "]");
      return seq;
    }

    // -------------------------------------------------------------- groups, listings, status

    /**
     * {@code create GROUP [TD]} ({@code tdArg} null: none); checks {@code OK created group GROUP
     * (td TD s)} with {@code tdShown}.
     */
    public void create(String group, String tdArg, String tdShown) {
      String cmd = "create " + group + (tdArg == null ? "" : " " + tdArg);
      assertEquals("OK created group " + group + " (td " + tdShown + " s)", command(cmd), cmd);
    }

    public void join(String group) {
      assertEquals("OK joined group " + group, command("join " + group));
    }

    public void leave(String group) {
      assertEquals("OK left group " + group, command("leave " + group));
    }

    /** {@code use GROUP}; checks {@code OK sending to group GROUP}; msend then checks GROUP. */
    public void use(String group) {
      assertEquals("OK sending to group " + group, command("use " + group));
      current = group;
    }

    /**
     * Writes {@code cmd} and returns the lines printed before its result line (notices left out)
     * and the result line.
     */
    public Listing listing(String cmd) {
      assertNoStrayResult("before command [" + abbreviate(cmd) + "]");
      proc.writeLine(cmd);
      List<String> items = new ArrayList<>();
      while (true) {
        String l = proc.nextLine(COMMAND_TIMEOUT, x -> true, "result (OK/ERROR) of [" + cmd + "]");
        if (isResult(l)) return new Listing(List.copyOf(items), l);
        if (!isNotice(l)) items.add(l);
      }
    }

    /**
     * {@code groups}: checks every line's form, the name order and {@code OK N groups}; returns the
     * lines.
     */
    public List<String> groups() {
      Listing l = listing("groups");
      assertEquals("OK " + l.lines().size() + " groups", l.result(), "groups: " + l);
      List<String> names = new ArrayList<>();
      for (String line : l.lines()) {
        Matcher m = GROUP_LINE.matcher(line);
        assertTrue(
            m.matches(), "groups line [" + line + "] is not 'group NAME members N online M td TD'");
        names.add(m.group(1));
      }
      List<String> sorted = new ArrayList<>(names);
      Collections.sort(sorted);
      assertEquals(sorted, names, "groups in name order");
      return l.lines();
    }

    /** {@code members} (the current group). */
    public List<String> members() {
      return checkMembers(listing("members"), current);
    }

    /** {@code members GROUP}. */
    public List<String> members(String group) {
      return checkMembers(listing("members " + group), group);
    }

    private static List<String> checkMembers(Listing l, String group) {
      assertEquals("OK " + l.lines().size() + " members in " + group, l.result(), "members: " + l);
      List<String> ids = new ArrayList<>();
      for (String line : l.lines()) {
        Matcher m = MEMBER_LINE.matcher(line);
        assertTrue(m.matches(), "members line [" + line + "] is not 'member ID online|offline'");
        ids.add(m.group(1));
      }
      List<String> sorted = new ArrayList<>(ids);
      Collections.sort(sorted);
      assertEquals(sorted, ids, "members in ID order");
      return l.lines();
    }

    /**
     * {@code status TARGET #SEQ}: checks the lines' form and ID order and that the result line's
     * counts match them.
     */
    public Status status(String target, long seq) {
      String cmd = "status " + target + " #" + seq;
      Listing l = listing(cmd);
      Matcher r = STATUS_RESULT.matcher(l.result());
      assertTrue(
          r.matches(),
          cmd + ": result is not 'OK status TARGET #SEQ: D delivered, S sent, E expired': " + l);
      assertEquals(target, r.group(1), cmd + ": target in " + l.result());
      assertEquals(seq, Long.parseLong(r.group(2)), cmd + ": seq in " + l.result());
      int d = 0;
      int se = 0;
      int e = 0;
      List<String> ids = new ArrayList<>();
      for (String line : l.lines()) {
        Matcher m = STATUS_LINE.matcher(line);
        assertTrue(
            m.matches(),
            cmd + ": line [" + line + "] is not 'ID sent|expired|delivered TIMESTAMP'");
        ids.add(m.group(1));
        if (m.group(2).equals("sent")) se++;
        else if (m.group(2).equals("expired")) e++;
        else {
          d++;
          Instant.parse(m.group(3));
        }
      }
      List<String> sorted = new ArrayList<>(ids);
      Collections.sort(sorted);
      assertEquals(sorted, ids, cmd + ": recipients in ID order");
      assertEquals(
          "OK status "
              + target
              + " #"
              + seq
              + ": "
              + d
              + " delivered, "
              + se
              + " sent, "
              + e
              + " expired",
          l.result(),
          cmd + ": counts in the result line match the lines " + l.lines());
      return new Status(l.lines(), l.result());
    }

    /** Polls {@code status} until {@code cond} holds for its answer; returns that answer. */
    public Status awaitStatus(String target, long seq, String what, Predicate<Status> cond) {
      long deadline = System.nanoTime() + DELIVERY_TIMEOUT.toNanos();
      Status s;
      while (!cond.test(s = status(target, seq))) {
        if (System.nanoTime() - deadline > 0) {
          fail(
              proc.name
                  + ": status "
                  + target
                  + " #"
                  + seq
                  + " never became "
                  + what
                  + "; last: "
                  + s
                  + "\n"
                  + proc.describe());
        }
        sleepQuietly(100);
      }
      return s;
    }

    // -------------------------------------------------------------- notices

    /** How many console lines this participant has printed so far (a mark for notices). */
    public int mark() {
      return proc.stdoutLines().size();
    }

    /** Console lines printed since {@code mark} that are notices. */
    public List<String> noticesSince(int mark) {
      List<String> all = proc.stdoutLines();
      List<String> out = new ArrayList<>();
      for (String l : all.subList(Math.min(mark, all.size()), all.size()))
        if (isNotice(l)) out.add(l);
      return out;
    }

    /** Waits until the console has printed exactly {@code notice} as a line since {@code mark}. */
    public void awaitNotice(int mark, String notice) {
      await(
          DELIVERY_TIMEOUT,
          proc.name + ": console notice [" + notice + "]; notices so far " + noticesSince(mark),
          () -> noticesSince(mark).contains(notice));
    }

    /** Waits for {@code notice} anywhere in the console's output so far. */
    public void awaitNotice(String notice) {
      awaitNotice(0, notice);
    }

    /** Fails if the console printed {@code notice} since {@code mark}. */
    public void assertNoNotice(int mark, String notice) {
      List<String> n = noticesSince(mark);
      assertTrue(!n.contains(notice), proc.name + ": unexpected notice [" + notice + "] in " + n);
    }

    /** Log entries of one sequence space (a group, or {@code @ID}). */
    public List<LogEntry> logOf(String target) {
      List<LogEntry> out = new ArrayList<>();
      for (LogEntry e : logEntries()) if (e.group().equals(target)) out.add(e);
      return out;
    }

    /**
     * Repeats {@code cmd} until it prints OK, at most {@code attempts} times, pausing briefly
     * between attempts (used only right after a coordinator restart). Returns the OK line.
     */
    public String commandUntilOk(String cmd, int attempts) {
      String r = null;
      for (int i = 0; i < attempts; i++) {
        r = command(cmd);
        if (r.startsWith("OK")) return r;
        sleepQuietly(300);
      }
      fail(
          proc.name
              + ": ["
              + abbreviate(cmd)
              + "] never succeeded in "
              + attempts
              + " attempts, last: ["
              + r
              + "]\n"
              + proc.describe());
      return r;
    }

    /** Complete lines of the message log (a trailing partial line is ignored), parsed. */
    public List<LogEntry> logEntries() {
      List<LogEntry> out = new ArrayList<>();
      for (String l : logLines()) out.add(parseLogLine(l));
      return out;
    }

    public List<String> logLines() {
      byte[] bytes;
      try {
        if (!Files.exists(log)) return new ArrayList<>();
        bytes = Files.readAllBytes(log);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      int end = bytes.length;
      while (end > 0 && bytes[end - 1] != '\n') end--; // drop a partial last line
      String s = new String(bytes, 0, end, StandardCharsets.UTF_8);
      List<String> lines = new ArrayList<>();
      if (s.isEmpty()) return lines;
      for (String l : s.substring(0, s.length() - 1).split("\n", -1)) lines.add(l);
      return lines;
    }

    /** Polls until the log has at least {@code n} lines; returns them (parsed). */
    public List<LogEntry> awaitLog(int n) {
      return awaitLog(n, DELIVERY_TIMEOUT);
    }

    public List<LogEntry> awaitLog(int n, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        List<String> lines = logLines();
        if (lines.size() >= n) {
          List<LogEntry> out = new ArrayList<>();
          for (String l : lines) out.add(parseLogLine(l));
          return out;
        }
        if (System.nanoTime() - deadline > 0) {
          fail(
              proc.name
                  + ": log "
                  + log.getFileName()
                  + " has "
                  + lines.size()
                  + " lines after "
                  + timeout.toMillis()
                  + " ms, expected at least "
                  + n
                  + ": "
                  + lines
                  + "\n"
                  + proc.describe());
        }
        sleepQuietly(POLL_MILLIS);
      }
    }

    /** Polls until some log line has exactly this text (any sender); returns the whole log. */
    public List<LogEntry> awaitText(String text) {
      long deadline = System.nanoTime() + DELIVERY_TIMEOUT.toNanos();
      while (true) {
        List<LogEntry> entries = logEntries();
        for (LogEntry e : entries) if (e.text().equals(text)) return entries;
        if (System.nanoTime() - deadline > 0) {
          fail(
              proc.name
                  + ": no log line with text ["
                  + abbreviate(text)
                  + "] after "
                  + DELIVERY_TIMEOUT.toMillis()
                  + " ms; log: "
                  + entries
                  + "\n"
                  + proc.describe());
        }
        sleepQuietly(POLL_MILLIS);
      }
    }

    public void kill() {
      proc.kill();
    }

    public boolean isAlive() {
      return proc.isAlive();
    }
  }

  /** What a command printed: the lines before its result (notices left out) and the result. */
  public record Listing(List<String> lines, String result) {}

  /** A {@code status} answer: one line per recipient, and the result line. */
  public record Status(List<String> lines, String result) {
    /** The line of {@code id}, or null. */
    public String of(String id) {
      for (String l : lines) if (l.startsWith(id + " ")) return l;
      return null;
    }

    /** {@code id}'s state word: sent, expired or delivered. */
    public String stateOf(String id) {
      String l = of(id);
      return l == null ? null : l.substring(id.length() + 1).split(" ")[0];
    }

    /** {@code id}'s delivered time, or null. */
    public Instant deliveredAt(String id) {
      String l = of(id);
      if (l == null) return null;
      Matcher m = STATUS_LINE.matcher(l);
      return m.matches() && m.group(3) != null ? Instant.parse(m.group(3)) : null;
    }

    /** {@code status}'s lines with every delivered time replaced by {@code T}. */
    public List<String> shapes() {
      List<String> out = new ArrayList<>();
      for (String l : lines) out.add(l.replaceAll(" delivered \\S+$", " delivered T"));
      return out;
    }
  }

  static String abbreviate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 120) + "...[" + s.length() + " chars]";
  }

  // ================================================================== assertions on logs

  public static List<Long> seqs(List<LogEntry> log) {
    List<Long> out = new ArrayList<>();
    for (LogEntry e : log) out.add(e.seq());
    return out;
  }

  public static List<String> texts(List<LogEntry> log) {
    List<String> out = new ArrayList<>();
    for (LogEntry e : log) out.add(e.text());
    return out;
  }

  /** Every seq at most once and strictly increasing (the log is in the group's one order). */
  public static void assertStrictlyIncreasingSeqs(List<LogEntry> log, String who) {
    for (int i = 1; i < log.size(); i++) {
      if (log.get(i).seq() <= log.get(i - 1).seq()) {
        fail(
            who
                + ": log seqs not strictly increasing (duplicate or out of order) at line "
                + (i + 1)
                + ": "
                + log.get(i - 1)
                + " / "
                + log.get(i)
                + "\nfull log seqs: "
                + seqs(log));
      }
    }
  }

  /** Used by tests writing raw bytes. */
  public static void writeAndFlush(OutputStream out, byte[] b) throws IOException {
    out.write(b);
    out.flush();
  }
}
