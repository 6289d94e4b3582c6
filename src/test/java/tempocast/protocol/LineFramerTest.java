package tempocast.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class LineFramerTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  List<ByteString> frame(int max, String... chunks) throws Exception {
    return Source.from(List.of(chunks))
        .map(ByteString::fromString)
        .via(LineFramer.lines(max))
        .runWith(Sink.seq(), kit.system())
        .toCompletableFuture()
        .get(5, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Test
  void splitAndCoalescedChunksGiveTheSameLines() throws Exception {
    List<ByteString> lines = frame(10, "PI", "NG\nPONG\nab", "c\n\n");
    assertEquals(
        List.of(
            ByteString.fromString("PING"),
            ByteString.fromString("PONG"),
            ByteString.fromString("abc"),
            ByteString.emptyByteString()),
        lines);
  }

  @Test
  void anOverLongLineIsReportedOnceAndFramingResumesAfterIt() throws Exception {
    List<ByteString> lines = frame(5, "123", "456", "789", "0\nok\n", "0123456789\nend\n");
    assertEquals(4, lines.size());
    assertSame(LineFramer.TOO_LONG, lines.get(0));
    assertEquals(ByteString.fromString("ok"), lines.get(1));
    assertSame(LineFramer.TOO_LONG, lines.get(2));
    assertEquals(ByteString.fromString("end"), lines.get(3));
  }
}
