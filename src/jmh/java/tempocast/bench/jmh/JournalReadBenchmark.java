package tempocast.bench.jmh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import tempocast.journal.JournalStore;
import tempocast.journal.RocksDbJournalStore;
import tempocast.protocol.StoredMessage;

/** The RocksDB journal read path a member catching up takes: 256 messages a read, per message. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JournalReadBenchmark {
  static final byte[] TEXT = "x".repeat(100).getBytes(StandardCharsets.UTF_8);

  Path dir;
  RocksDbJournalStore store;
  long readFrom;

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory(Path.of("target"), "jmh-journal-read");
    store = RocksDbJournalStore.open(dir);
    List<StoredMessage> fill = new ArrayList<>();
    for (long seq = 1; seq <= 100_000; seq++) {
      fill.add(new StoredMessage("main", seq, seq, "s0", null, TEXT));
      if (fill.size() == 1000) {
        store.append(fill, false);
        fill.clear();
      }
    }
  }

  /** One replay read of 256 messages, as a member catching up does (per message). */
  @Benchmark
  @OperationsPerInvocation(256)
  public JournalStore.ReadResult read256() {
    readFrom = readFrom >= 99_000 ? 1 : readFrom + 256;
    return store.read("main", readFrom, Long.MIN_VALUE, 256);
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
