package tempocast.cluster;

/**
 * A message that crosses between cluster nodes: the coordinator role's protocol, written by {@link
 * CrossNodeSerializer} (bound in {@code tempocast/cluster.conf}). Everything else stays on the node
 * that holds the role.
 */
public interface CrossNodeMessage {}
