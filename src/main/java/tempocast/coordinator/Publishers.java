package tempocast.coordinator;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import tempocast.protocol.Reply;

/**
 * The groups whose managers take an MSEND straight from the command port's thread: the command loop
 * sequences the message under the manager's lock and hands it to the journal itself, one thread
 * hand-off less than telling the manager (W1, one MSEND at a time, waits for each). Only what runs
 * in this JVM is here; the manager's messages stay the whole protocol.
 */
public final class Publishers {

  /** A group's manager, seen from the command port. */
  public interface Publisher {
    /**
     * As {@link GroupManager.Publish}, answering through {@code answer} (on whichever thread
     * decides: the caller's for a refusal, the journal's once stored); false if this manager has
     * stopped and the caller must ask the directory instead.
     */
    boolean publish(
        String member, String credential, String msgId, byte[] text, Consumer<Reply> answer);
  }

  private final ConcurrentHashMap<String, Publisher> byGroup = new ConcurrentHashMap<>();

  public Publisher get(String group) {
    return byGroup.get(group);
  }

  void register(String group, Publisher publisher) {
    byGroup.put(group, publisher);
  }

  /** Only if it is still this one: a group created again has registered its new manager. */
  void unregister(String group, Publisher publisher) {
    byGroup.remove(group, publisher);
  }
}
