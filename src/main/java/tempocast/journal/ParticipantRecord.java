package tempocast.journal;

/**
 * What the coordinator keeps of a registered participant across restarts: its presence, owned by
 * its session, and where its receiver is.
 *
 * @param online online by the participant's own account: registered or reconnected with no
 *     DISCONNECT since (its receiver may be lost for a while; the coordinator then keeps trying)
 * @param offlineSince coordinator time (epoch ms) since when deliveries cannot reach it (it went
 *     offline, or its receiver was lost); -1 while its receiver is reachable
 * @param secretHash SHA-256 of the secret it registered with (hex), or null for none
 */
public record ParticipantRecord(
    String id, boolean online, long offlineSince, String host, int port, String secretHash) {}
