package tempocast.coordinator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import tempocast.journal.JournalStore;
import tempocast.journal.MessageJournal;

/**
 * Cursor moves of many sessions gathered into one message for the journal and one per group: the
 * delivery loop sweeps the sessions whose receivers acknowledged something once per {@code
 * progress-interval}, so a thousand members acknowledging cost a handful of messages, not a
 * thousand. The journal hears first, the groups after, so that a sender told that its message was
 * delivered finds the delivered state when it asks for it.
 */
public final class ProgressSweep {
  private final Map<ActorRef<MessageJournal.Command>, List<JournalStore.Progress>> moves =
      new LinkedHashMap<>();
  private final Map<ActorRef<GroupManager.Command>, List<GroupManager.Progress>> byGroup =
      new LinkedHashMap<>();

  void add(
      ActorRef<MessageJournal.Command> journal,
      JournalStore.Progress move,
      ActorRef<GroupManager.Command> group,
      GroupManager.Progress progress) {
    moves.computeIfAbsent(journal, j -> new ArrayList<>()).add(move);
    byGroup.computeIfAbsent(group, g -> new ArrayList<>()).add(progress);
  }

  void send() {
    moves.forEach((journal, m) -> journal.tell(new MessageJournal.SaveProgress(m)));
    byGroup.forEach(
        (group, p) ->
            group.tell(p.size() == 1 ? p.get(0) : new GroupManager.ProgressBatch(List.copyOf(p))));
    moves.clear();
    byGroup.clear();
  }
}
