package tempocast.cluster;

/**
 * A message that crosses between cluster nodes, serialized by Jackson as CBOR (bound in {@code
 * tempocast/cluster.conf}). Only the coordinator role's protocol is: everything else stays on the
 * node that holds the role.
 */
public interface CborSerializable {}
