package tempocast.console;

import java.util.ArrayList;
import java.util.List;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/**
 * Tab completion at a terminal: the command's word first, then what it takes: a group name ({@code
 * join}, {@code leave}, {@code use}, {@code members}), a member ID ({@code send}), or for {@code
 * status} a group or {@code @ID}. Names come from the {@link Vocabulary}; JLine keeps the ones that
 * match what was typed.
 */
public final class ConsoleCompleter implements Completer {
  private final Vocabulary vocabulary;

  public ConsoleCompleter(Vocabulary vocabulary) {
    this.vocabulary = vocabulary;
  }

  @Override
  public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
    for (String c : candidates(line.words(), line.wordIndex())) {
      candidates.add(new Candidate(c));
    }
  }

  /** What may stand as word {@code index} (0: the command) of a line of {@code words}. */
  List<String> candidates(List<String> words, int index) {
    if (index == 0) {
      return ConsoleCommand.WORDS;
    }
    if (index != 1) {
      return List.of();
    }
    return switch (words.get(0)) {
      case "join", "leave", "use", "members" -> vocabulary.groups();
      case "send" -> vocabulary.members();
      case "status" -> {
        List<String> targets = new ArrayList<>(vocabulary.groups());
        for (String m : vocabulary.members()) {
          targets.add("@" + m);
        }
        yield targets;
      }
      default -> List.of();
    };
  }
}
