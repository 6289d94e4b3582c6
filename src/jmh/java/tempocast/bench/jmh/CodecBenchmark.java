package tempocast.bench.jmh;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import tempocast.protocol.ClientCommand;
import tempocast.protocol.CommandCodec;
import tempocast.protocol.DeliveryCodec;
import tempocast.protocol.Lines;
import tempocast.protocol.ProtocolException;
import tempocast.protocol.StoredMessage;

/** The protocol codec on the hot path, with the benchmark's 100-byte messages. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {
  static final String TEXT =
      "0 12345 987654321012345 " + "abcdefghijklmnopqrstuvwxyz".repeat(3).substring(0, 76);

  final ByteString msendLine =
      ByteString.fromString("MSEND main s0 lz3k-42 " + TEXT, StandardCharsets.UTF_8);
  final StoredMessage stored =
      new StoredMessage(
          "main",
          123_456,
          1_763_719_200_123L,
          "s0",
          "lz3k-42",
          TEXT.getBytes(StandardCharsets.UTF_8));
  final String msgLine = stored.deliveryLine().utf8String().trim();

  /** What the coordinator does with each MSEND line: strict UTF-8 decode, then parse. */
  @Benchmark
  public ClientCommand parseMsend() throws ProtocolException {
    return CommandCodec.parse(Lines.decode(msendLine));
  }

  /** Rendered once per message and shared by every member's connection. */
  @Benchmark
  public ByteString renderDelivery() {
    return stored.deliveryLine();
  }

  /** What a receiver does with each delivery. */
  @Benchmark
  public DeliveryCodec.Frame parseDelivery() throws ProtocolException {
    return DeliveryCodec.parseFrame(msgLine);
  }
}
