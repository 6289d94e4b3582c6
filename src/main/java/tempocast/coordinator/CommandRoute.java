package tempocast.coordinator;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.util.ByteString;
import tempocast.protocol.ClientCommand;

/**
 * Where the command port sends the commands it does not answer itself (everything but PING and
 * AUTH): to this process's own groups and participants, or, in a cluster, to the node that holds
 * them.
 */
public interface CommandRoute {

  /** The way of one connection's commands, opened with the connection. */
  Stream open();

  /** One connection's commands, routed in the order they were read. */
  interface Stream {
    /**
     * The reply line (with its line end) to {@code command}, read from {@code line}; {@code
     * credential}: what the connection proved with AUTH for the command's member, or null.
     */
    CompletionStage<ByteString> route(ClientCommand command, ByteString line, String credential);

    /** The connection closed: nothing more comes on this stream. */
    default void closed() {}
  }
}
