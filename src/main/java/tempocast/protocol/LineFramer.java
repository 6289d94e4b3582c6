package tempocast.protocol;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Splits a connection's bytes into lines without ever failing: a line longer than the limit becomes
 * one {@link #TOO_LONG} element and the rest of it is skipped up to its line end, after which
 * framing resumes, so the command port can answer it with an error and go on. Memory per connection
 * stays below one maximal line.
 */
public final class LineFramer {
  /** Stands for a line over the limit; compare by identity. */
  public static final ByteString TOO_LONG = ByteString.fromString("<line too long>");

  private LineFramer() {}

  /** One connection's framing state, fed its bytes in the order they arrive. */
  public static final class Splitter {
    private final int maxLineBytes;
    private final ByteStringBuilder partial = new ByteStringBuilder();
    private boolean skipping;

    public Splitter(int maxLineBytes) {
      this.maxLineBytes = maxLineBytes;
    }

    /** The lines that {@code chunk} completes, without their terminators. */
    public List<ByteString> split(ByteString chunk) {
      List<ByteString> out = new ArrayList<>(2);
      int from = 0;
      int nl;
      while ((nl = chunk.indexOf((byte) '\n', from)) >= 0) {
        if (skipping) {
          skipping = false;
        } else if (partial.length() + (nl - from) > maxLineBytes) {
          out.add(TOO_LONG);
        } else if (partial.length() == 0) {
          out.add(chunk.slice(from, nl).compact());
        } else {
          partial.append(chunk.slice(from, nl));
          out.add(partial.result().compact());
        }
        partial.clear();
        from = nl + 1;
      }
      if (from < chunk.length() && !skipping) {
        partial.append(chunk.slice(from, chunk.length()));
        if (partial.length() > maxLineBytes) {
          out.add(TOO_LONG);
          partial.clear();
          skipping = true;
        }
      }
      return out;
    }
  }
}
