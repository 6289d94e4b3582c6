package tempocast.coordinator;

import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import tempocast.protocol.ClientCommand;

/**
 * Where the command port sends a command it does not answer itself (everything but PING and AUTH):
 * to this process's own groups and participants, or, in a cluster, to the node that holds them.
 */
public interface CommandRoute {

  /**
   * The reply line (with its line end) to {@code command}, read from {@code line}; {@code
   * credential}: what the connection proved with AUTH for the command's member, or null; {@code
   * knownGroups}: the connection's cache of group managers, for the route to use as it likes.
   */
  CompletionStage<ByteString> route(
      ClientCommand command,
      ByteString line,
      String credential,
      Map<String, ActorRef<GroupManager.Command>> knownGroups);
}
