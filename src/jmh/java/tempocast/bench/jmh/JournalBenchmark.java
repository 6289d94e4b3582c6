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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import tempocast.journal.RocksDbJournalStore;
import tempocast.protocol.StoredMessage;

/**
 * The RocksDB journal on disk: appending one group-commit batch (no fsync, the default write path;
 * {@code sync = true} is fsync = always).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JournalBenchmark {
  static final byte[] TEXT = "x".repeat(100).getBytes(StandardCharsets.UTF_8);

  @Param({"1", "64"})
  int batch;

  @Param({"false", "true"})
  boolean sync;

  Path dir;
  RocksDbJournalStore store;
  long seq;

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory(Path.of("target"), "jmh-journal");
    store = RocksDbJournalStore.open(dir);
  }

  StoredMessage message() {
    ++seq;
    return new StoredMessage("main", seq, seq, "s0", null, TEXT);
  }

  @Benchmark
  public void append() {
    List<StoredMessage> b = new ArrayList<>(batch);
    for (int i = 0; i < batch; i++) {
      b.add(message());
    }
    store.append(b, sync);
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
