package tempocast.participant;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import tempocast.protocol.DeliveryCodec.Delivery;

/**
 * The participant's message log: one line per message, {@code TIMESTAMP GROUP #SEQ SENDER: TEXT},
 * written and flushed before the receiver acknowledges it; a direct message has its inbox
 * {@code @RECIPIENT} in the place of the group. The log is also the participant's memory of what it
 * has: on start it reads the last sequence number of each group and inbox back, and skips any
 * delivery at or below it, so a message is written once however often it is sent.
 */
public final class MessageLog extends AbstractBehavior<MessageLog.Command> {

  public sealed interface Command {}

  public record Write(List<Delivery> deliveries, ActorRef<Written> replyTo) implements Command {}

  /** The highest sequence number now in the log for each group that was written to. */
  public record Written(Map<String, Long> lastSeqByGroup, String error) {}

  /**
   * The participant is about to become a new entrant of {@code group} (a group or its inbox): from
   * now on the log remembers what it writes for it, so that a {@link SetFloor} that follows does
   * not go below a delivery that arrived before the coordinator's answer did.
   */
  public record Entering(String group) implements Command {}

  /**
   * A new entrant of {@code group} receives nothing at or below {@code seq}; the log starts
   * counting there (it matters only if the coordinator's data was reset and numbering started
   * again), or above what it wrote for the group since {@link Entering}, whichever is higher.
   */
  public record SetFloor(String group, long seq) implements Command {}

  public static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  public static Behavior<Command> create(Path file) {
    return create(file, new ParticipantStats());
  }

  /** {@code stats} hears of every message written: its size and its delivery latency. */
  public static Behavior<Command> create(Path file, ParticipantStats stats) {
    return Behaviors.setup(ctx -> new MessageLog(ctx, file, stats));
  }

  private final Path file;
  private final Map<String, Long> lastSeq;

  /**
   * For each group between {@link Entering} and {@link SetFloor}: the highest seq written since.
   */
  private final Map<String, Long> writtenSinceEntering = new HashMap<>();

  private final OutputStream out;
  private final ParticipantStats stats;

  /** The timestamps and text sizes of the messages the current write wrote: reused. */
  private long[] writtenTimestamps = new long[64];

  private long[] writtenBytes = new long[64];

  private MessageLog(ActorContext<Command> ctx, Path file, ParticipantStats stats)
      throws IOException {
    super(ctx);
    this.file = file;
    this.stats = stats;
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.lastSeq = recover(file);
    this.out = new BufferedOutputStream(new FileOutputStream(file.toFile(), true), 1 << 16);
  }

  /**
   * Drops a line cut short by a crash (never acknowledged, so it comes again) and reads the last
   * seqs.
   */
  static Map<String, Long> recover(Path file) throws IOException {
    Map<String, Long> last = new HashMap<>();
    if (!Files.exists(file)) {
      return last;
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      long len = raf.length();
      long end = len;
      while (end > 0) {
        raf.seek(end - 1);
        if (raf.read() == '\n') {
          break;
        }
        end--;
      }
      if (end < len) {
        raf.setLength(end);
      }
    }
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE);
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder))) {
      String line;
      while ((line = r.readLine()) != null) {
        String[] f = line.split(" ", 4);
        if (f.length == 4 && f[2].startsWith("#")) {
          try {
            // The last line of a group wins: after a reset the numbering may restart lower.
            last.put(f[1], Long.parseLong(f[2].substring(1)));
          } catch (NumberFormatException e) {
            // not a line this program wrote; ignore it
          }
        }
      }
    }
    return last;
  }

  public static String format(Delivery d) {
    return TIMESTAMP.format(Instant.ofEpochMilli(d.timestamp()))
        + " "
        + d.group()
        + " #"
        + d.seq()
        + " "
        + d.sender()
        + ": "
        + d.text();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Write.class, this::onWrite)
        .onMessage(Entering.class, this::onEntering)
        .onMessage(SetFloor.class, this::onSetFloor)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onWrite(Write w) {
    Map<String, Long> written = new HashMap<>();
    try {
      int n = 0;
      for (Delivery d : w.deliveries()) {
        long last = lastSeq.getOrDefault(d.group(), 0L);
        if (d.seq() > last) {
          out.write((format(d) + "\n").getBytes(StandardCharsets.UTF_8));
          lastSeq.put(d.group(), d.seq());
          writtenSinceEntering.computeIfPresent(d.group(), (g, s) -> Math.max(s, d.seq()));
          if (n == writtenTimestamps.length) {
            writtenTimestamps = Arrays.copyOf(writtenTimestamps, n * 2);
            writtenBytes = Arrays.copyOf(writtenBytes, n * 2);
          }
          writtenTimestamps[n] = d.timestamp();
          writtenBytes[n] = ParticipantStats.utf8Length(d.text());
          n++;
        }
        written.put(d.group(), lastSeq.get(d.group()));
      }
      out.flush();
      if (n > 0) {
        Instant now = Instant.now();
        long nowMicros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
        for (int i = 0; i < n; i++) {
          stats.received(writtenBytes[i], nowMicros - writtenTimestamps[i] * 1000);
        }
      }
      w.replyTo().tell(new Written(Map.copyOf(written), null));
    } catch (IOException e) {
      getContext().getLog().error("Cannot write the message log {}: {}", file, e.getMessage());
      w.replyTo().tell(new Written(Map.of(), e.getMessage()));
    }
    return this;
  }

  private Behavior<Command> onEntering(Entering e) {
    writtenSinceEntering.put(e.group(), 0L);
    return this;
  }

  private Behavior<Command> onSetFloor(SetFloor f) {
    Long since = writtenSinceEntering.remove(f.group());
    lastSeq.put(f.group(), Math.max(f.seq(), since == null ? 0 : since));
    return this;
  }

  private Behavior<Command> onPostStop() {
    try {
      out.close();
    } catch (IOException e) {
      getContext().getLog().warn("Closing the message log {}: {}", file, e.getMessage());
    }
    return this;
  }
}
