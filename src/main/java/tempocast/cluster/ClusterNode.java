package tempocast.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.typed.Subscribe;
import tempocast.Failures;
import tempocast.coordinator.CommandRoute;
import tempocast.coordinator.CommandServer;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.metrics.Metrics;

/**
 * A coordinator that is a node of a cluster: it joins the other nodes through the seed nodes, runs
 * the coordinator role when it is the oldest node (see {@link CoordinatorRole}), and forwards the
 * commands of its own command port to the role wherever it runs.
 */
public final class ClusterNode {
  private ClusterNode() {}

  /** The actor system's name: the same on every node, or they do not see each other. */
  public static final String SYSTEM = "tempocast";

  /** How long one forwarded MSEND waits before it is sent again (same message ID). */
  private static final Duration FORWARD_TRY = Duration.ofSeconds(5);

  /** How long an MSEND is sent again while the role moves: past any failover's timings. */
  private static final Duration FORWARD_RETRY_FOR = Duration.ofSeconds(60);

  /** Pekko's configuration for this node. */
  public static Config pekkoConfig(ClusterSettings cluster) {
    Map<String, Object> node = new HashMap<>();
    node.put("pekko.remote.artery.canonical.hostname", cluster.node().host());
    node.put("pekko.remote.artery.canonical.port", cluster.node().port());
    node.put(
        "pekko.cluster.seed-nodes",
        cluster.seedNodes().stream().map(a -> a.pekkoAddress(SYSTEM)).collect(Collectors.toList()));
    return ConfigFactory.parseMap(node)
        .withFallback(ConfigFactory.parseResources("tempocast/cluster.conf"))
        .withFallback(ConfigFactory.load());
  }

  /** The line a node prints once the cluster has taken it in (status Up). */
  public static final String UP_LINE = "this node is up in the cluster: ";

  /**
   * Says once that this node is up in the cluster, with how many are: only then does it count for
   * the split-brain resolver's majority (a node still joining does not), so an operator who
   * restarts nodes one at a time waits for this line before touching the next.
   */
  private static Behavior<SelfUp> announceUp() {
    return Behaviors.setup(
        ctx -> {
          Cluster.get(ctx.getSystem())
              .subscriptions()
              .tell(Subscribe.create(ctx.getSelf(), SelfUp.class));
          return Behaviors.receive(SelfUp.class)
              .onMessage(
                  SelfUp.class,
                  up -> {
                    long nodes =
                        StreamSupport.stream(
                                up.currentClusterState().getMembers().spliterator(), false)
                            .filter(m -> m.status().equals(MemberStatus.up()))
                            .count();
                    System.out.println(UP_LINE + nodes + (nodes == 1 ? " node" : " nodes") + " up");
                    System.out.flush();
                    return Behaviors.stopped();
                  })
              .build();
        });
  }

  /** Runs the node in the foreground; returns the process exit status. */
  public static int run(CoordinatorSettings settings) {
    ClusterSettings cluster = settings.cluster();
    AtomicReference<String> failure = new AtomicReference<>();
    ActorSystem<Void> system;
    try {
      system =
          ActorSystem.create(
              Behaviors.setup(
                  ctx -> {
                    // The role may start here only once this node listens: a node that cannot
                    // must stop without having touched the journal. A connection accepted in
                    // between waits the moment it takes.
                    CompletableFuture<CommandRoute> forwarding = new CompletableFuture<>();
                    CommandServer commands =
                        new CommandServer(settings, () -> forwarding.join().open());
                    InetSocketAddress bound;
                    try {
                      bound = commands.bind();
                    } catch (java.io.IOException | RuntimeException err) {
                      failure.set(
                          "cannot listen on "
                              + settings.bind()
                              + ":"
                              + settings.port()
                              + ": "
                              + Failures.rootMessage(err)
                              + " (is another coordinator running on this port?)");
                      ctx.getSystem().terminate();
                      return Behaviors.empty();
                    }
                    ActorRef<CoordinatorRole.Command> role =
                        ClusterSingleton.get(ctx.getSystem())
                            .init(
                                SingletonActor.of(
                                    CoordinatorRole.create(settings, Metrics.disabled()),
                                    "coordinator"));
                    forwarding.complete(
                        new ForwardedCommands(
                            ctx.getSystem(), role, settings, FORWARD_TRY, FORWARD_RETRY_FOR));
                    System.out.println(
                        settings.listeningLine(
                            bound.getPort(),
                            settings.store().replaceFirst("^jdbc:", "").replaceFirst("\\?.*", ""),
                            ", cluster node "
                                + cluster.node()
                                + ", seed nodes "
                                + cluster.seedNodes().stream()
                                    .map(ClusterSettings.Address::toString)
                                    .collect(Collectors.joining(" "))));
                    System.out.flush();
                    commands.closeOnShutdown(ctx.getSystem());
                    ctx.spawn(announceUp(), "announce-up");
                    return Behaviors.empty();
                  }),
              SYSTEM,
              pekkoConfig(cluster));
    } catch (RuntimeException e) {
      System.err.println(
          "error: cannot start cluster node "
              + cluster.node()
              + ": "
              + Failures.rootMessage(e)
              + " (is another node using this address?)");
      return 1;
    }
    system.getWhenTerminated().toCompletableFuture().join();
    if (failure.get() != null) {
      System.err.println("error: " + failure.get());
      return 1;
    }
    var reason = CoordinatedShutdown.get(system).getShutdownReason();
    if (reason.isPresent() && reason.get().equals(CoordinatedShutdown.clusterDowningReason())) {
      System.err.println(
          "error: the cluster downed this node (the others could not reach it); start it again"
              + " to join");
      return 1;
    }
    return 0;
  }
}
