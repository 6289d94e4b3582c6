package tempocast.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class LineFramerTest {
  List<ByteString> frame(int max, String... chunks) {
    LineFramer.Splitter splitter = new LineFramer.Splitter(max);
    List<ByteString> lines = new ArrayList<>();
    for (String chunk : chunks) {
      lines.addAll(splitter.split(ByteString.fromString(chunk)));
    }
    return lines;
  }

  @Test
  void splitAndCoalescedChunksGiveTheSameLines() {
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
  void anOverLongLineIsReportedOnceAndFramingResumesAfterIt() {
    List<ByteString> lines = frame(5, "123", "456", "789", "0\nok\n", "0123456789\nend\n");
    assertEquals(4, lines.size());
    assertSame(LineFramer.TOO_LONG, lines.get(0));
    assertEquals(ByteString.fromString("ok"), lines.get(1));
    assertSame(LineFramer.TOO_LONG, lines.get(2));
    assertEquals(ByteString.fromString("end"), lines.get(3));
  }
}
