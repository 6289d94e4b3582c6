package tempocast.protocol;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Splits a byte stream into lines without ever failing: a line longer than the limit becomes one
 * {@link #TOO_LONG} element and the rest of it is skipped up to its line end, after which framing
 * resumes. (Pekko's delimiter framing fails the stream instead, which cancels the socket's read
 * side and resets the connection before an error reply can be written.) Memory per connection stays
 * below one maximal line.
 */
public final class LineFramer {
  /** Stands for a line over the limit; compare by identity. */
  public static final ByteString TOO_LONG = ByteString.fromString("<line too long>");

  private LineFramer() {}

  public static Flow<ByteString, ByteString, NotUsed> lines(int maxLineBytes) {
    return Flow.of(ByteString.class)
        .statefulMapConcat(
            () -> {
              ByteStringBuilder partial = new ByteStringBuilder();
              boolean[] skipping = {false};
              return chunk -> {
                List<ByteString> out = new ArrayList<>(2);
                int from = 0;
                int nl;
                while ((nl = chunk.indexOf((byte) '\n', from)) >= 0) {
                  if (skipping[0]) {
                    skipping[0] = false;
                  } else if (partial.length() + (nl - from) > maxLineBytes) {
                    out.add(TOO_LONG);
                  } else {
                    partial.append(chunk.slice(from, nl));
                    out.add(partial.result().compact());
                  }
                  partial.clear();
                  from = nl + 1;
                }
                if (from < chunk.length() && !skipping[0]) {
                  partial.append(chunk.slice(from, chunk.length()));
                  if (partial.length() > maxLineBytes) {
                    out.add(TOO_LONG);
                    partial.clear();
                    skipping[0] = true;
                  }
                }
                return out;
              };
            });
  }
}
