package tempocast.console;

import java.util.List;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tempocast.protocol.Names;

/**
 * The group names and member IDs the console has seen, for completion: learnt from the lines it
 * prints (the {@code groups} and {@code members} listings, the results of {@code create}, {@code
 * join}, {@code use}, {@code register} and {@code send}, and membership events), so it costs no
 * request to the coordinator. Forgets nothing while the participant runs.
 */
public final class Vocabulary {
  private static final String NAME = "([A-Za-z0-9._-]{1,64})";
  private static final Pattern GROUP_LINE = Pattern.compile("^group " + NAME + " members .*");
  private static final Pattern MEMBER_LINE =
      Pattern.compile("^member " + NAME + " (?:online|offline)$");
  private static final Pattern GROUP_RESULT =
      Pattern.compile("^OK (?:created group|joined group|sending to group|left group) " + NAME);
  private static final Pattern MEMBERS_RESULT =
      Pattern.compile("^OK \\d+ members in " + NAME + "$");
  private static final Pattern REGISTERED =
      Pattern.compile("^OK (?:registered|reconnected) " + NAME);
  private static final Pattern SENT_DIRECT = Pattern.compile("^OK sent #\\d+ to @" + NAME + "$");
  private static final Pattern EVENT =
      Pattern.compile("^" + NAME + ": " + NAME + " (?:joined|left|offline|online)$");

  private final NavigableSet<String> groups = new ConcurrentSkipListSet<>();
  private final NavigableSet<String> members = new ConcurrentSkipListSet<>();

  public Vocabulary() {
    groups.add(Names.DEFAULT_GROUP);
  }

  /** Takes the names out of one line the console printed (a listing may hold several lines). */
  public void learn(String lines) {
    for (String line : lines.split("\n")) {
      learnLine(line);
    }
  }

  private void learnLine(String line) {
    Matcher m;
    if ((m = GROUP_LINE.matcher(line)).matches()
        || (m = GROUP_RESULT.matcher(line)).lookingAt()
        || (m = MEMBERS_RESULT.matcher(line)).matches()) {
      groups.add(m.group(1));
    } else if ((m = MEMBER_LINE.matcher(line)).matches()
        || (m = REGISTERED.matcher(line)).lookingAt()
        || (m = SENT_DIRECT.matcher(line)).matches()) {
      members.add(m.group(1));
    } else if ((m = EVENT.matcher(line)).matches()) {
      groups.add(m.group(1));
      members.add(m.group(2));
    }
  }

  /** The group names seen, in name order. */
  public List<String> groups() {
    return List.copyOf(groups);
  }

  /** The member IDs seen, in ID order. */
  public List<String> members() {
    return List.copyOf(members);
  }
}
