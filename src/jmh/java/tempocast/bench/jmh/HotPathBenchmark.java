package tempocast.bench.jmh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import tempocast.journal.RocksDbJournalStore;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.LineFramer;
import tempocast.protocol.Lines;
import tempocast.protocol.ProtocolException;
import tempocast.protocol.Replies;
import tempocast.protocol.Reply;
import tempocast.protocol.StoredMessage;

/**
 * One {@code MSEND} through the coordinator's code, without actors (their hand-offs are measured by
 * scripts/bench): frame and decode the line, parse it, give it the group's next seq and timestamp,
 * append it to the RocksDB journal (no fsync), render the delivery line once and hand it to each of
 * the group's 10 members' connections, render the {@code OK SENT} reply. One operation is one
 * message; with {@code batch} 64 the journal writes (and the members are sent) 64 messages at once,
 * as a group commit does, so the per-message figure includes 1/64 of that batch's cost.
 *
 * <p>Framing and parsing call the coordinator's own code ({@code LineFramer.Splitter}, {@code
 * CommandCodec}). Modelled, not called: the sequencer ({@code GroupManager.store}, private) and the
 * per-member hand-off ({@code ParticipantSession.writeLive}: one line goes as rendered, several are
 * gathered into one {@link ByteStringBuilder}; {@code DeliveryLoop.Connection.send} queues it on a
 * {@link ConcurrentLinkedQueue}); each copies the code's steps. Left out: the actors' bookkeeping
 * (waiting senders, recent MSGIDs, in-flight windows, metrics) and the socket write.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPathBenchmark {
  static final int MEMBERS = 10;

  /** What one socket read brings: one whole line, terminator included. */
  final ByteString chunk =
      ByteString.fromString(
          "MSEND main s0 lz3k-42 " + CodecBenchmark.TEXT + "\n", StandardCharsets.UTF_8);

  @Param({"1", "64"})
  int batch;

  Path dir;
  RocksDbJournalStore store;
  final Clock clock = Clock.systemUTC();
  final String target = "main";
  long lastSeq;
  long lastTimestamp;
  List<StoredMessage> pending;

  /** The command connection's framer (the command loop keeps one per connection). */
  final LineFramer.Splitter framer = new LineFramer.Splitter(Lines.MAX_LINE_BYTES);

  final List<Queue<ByteString>> connections = new ArrayList<>();
  final List<AtomicLong> queuedBytes = new ArrayList<>();

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory(Path.of("target"), "jmh-hotpath");
    store = RocksDbJournalStore.open(dir);
    pending = new ArrayList<>(batch);
    for (int i = 0; i < MEMBERS; i++) {
      connections.add(new ConcurrentLinkedQueue<>());
      queuedBytes.add(new AtomicLong());
    }
  }

  @Benchmark
  public void msend(Blackhole bh) throws ProtocolException {
    List<ByteString> lines = framer.split(chunk);
    // CommandServer.handle
    ClientCommand.MSend s = (ClientCommand.MSend) CommandCodec.parse(Lines.decode(lines.get(0)));
    // GroupManager.store
    long seq = ++lastSeq;
    lastTimestamp = Math.max(lastTimestamp, clock.millis());
    pending.add(new StoredMessage(target, seq, lastTimestamp, s.member(), s.msgId(), s.text()));
    if (pending.size() == batch) {
      flush(bh);
    }
  }

  /** The group commit, then what each stored message causes. */
  void flush(Blackhole bh) {
    // MessageJournal.flush
    List<StoredMessage> msgs = pending;
    pending = new ArrayList<>(batch);
    store.append(msgs, false);
    // GroupManager.onJournaled: one delivery line per message, the OK for its sender
    List<ByteString> delivery = new ArrayList<>(msgs.size());
    for (StoredMessage msg : msgs) {
      delivery.add(msg.deliveryLine());
      bh.consume(Lines.line(Replies.render(new Reply.Sent(target, msg.seq()))));
    }
    // ParticipantSession.writeLive and DeliveryLoop.Connection.send, per member: one line as the
    // manager rendered it, several gathered
    for (int i = 0; i < MEMBERS; i++) {
      ByteString b;
      if (delivery.size() == 1) {
        b = delivery.get(0);
      } else {
        ByteStringBuilder out = new ByteStringBuilder();
        for (ByteString line : delivery) {
          out.append(line);
        }
        b = out.result();
      }
      connections.get(i).add(b);
      queuedBytes.get(i).addAndGet(b.length());
    }
    // the delivery loop takes them off the queues
    for (int i = 0; i < MEMBERS; i++) {
      ByteString b;
      while ((b = connections.get(i).poll()) != null) {
        queuedBytes.get(i).addAndGet(-b.length());
        bh.consume(b);
      }
    }
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
