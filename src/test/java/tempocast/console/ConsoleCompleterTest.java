package tempocast.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jline.reader.Candidate;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser.ParseContext;
import org.jline.reader.impl.DefaultParser;
import org.junit.jupiter.api.Test;

/** Tab completion at a terminal, as JLine asks for it: a parsed line with the cursor at its end. */
class ConsoleCompleterTest {
  final Vocabulary vocabulary = new Vocabulary();
  final ConsoleCompleter completer = new ConsoleCompleter(vocabulary);

  List<String> complete(String typed) {
    ParsedLine line = new DefaultParser().parse(typed, typed.length(), ParseContext.COMPLETE);
    List<Candidate> candidates = new ArrayList<>();
    completer.complete(null, line, candidates);
    return candidates.stream().map(Candidate::value).toList();
  }

  @Test
  void theFirstWordIsACommand() {
    List<String> commands = complete("");
    assertTrue(commands.containsAll(List.of("register", "msend", "stats", "status", "quit")));
    assertEquals(ConsoleCommand.WORDS, complete("st"), "JLine itself keeps those that match");
  }

  @Test
  void groupsAndMembersComeFromWhatTheConsolePrinted() {
    vocabulary.learn(
        "group main members 2 online 1 td 10\ngroup team members 1 online 1 td 2.5\nOK 2 groups");
    vocabulary.learn("member alice online\nmember bob offline\nOK 2 members in main");
    vocabulary.learn("OK created group fast (td 1 s)");
    vocabulary.learn("OK joined group other");
    vocabulary.learn("OK sending to group later");
    vocabulary.learn("news: carol joined");
    vocabulary.learn("OK sent #3 to @dave");
    vocabulary.learn("OK registered erin in group main, receiver on port 4000");
    vocabulary.learn("OK sent #4 to main"); // names no one
    vocabulary.learn("delivered @dave #3");

    List<String> groups = List.of("fast", "later", "main", "news", "other", "team");
    List<String> members = List.of("alice", "bob", "carol", "dave", "erin");
    assertEquals(groups, complete("join "));
    assertEquals(groups, complete("leave t"));
    assertEquals(groups, complete("use "));
    assertEquals(groups, complete("members "));
    assertEquals(members, complete("send "));
    assertEquals(members, complete("send b"));
    List<String> targets = new ArrayList<>(groups);
    members.forEach(m -> targets.add("@" + m));
    assertEquals(targets, complete("status "));
    assertEquals(List.of(), complete("send bob "), "the message is free text");
    assertEquals(List.of(), complete("msend "));
    assertEquals(List.of(), complete("register "));
    assertEquals(List.of(), complete("use team x"));
  }

  @Test
  void mainIsKnownFromTheStart() {
    assertEquals(List.of("main"), complete("use "));
    assertEquals(List.of(), complete("send "));
  }
}
