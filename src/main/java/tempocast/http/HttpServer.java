package tempocast.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import tempocast.coordinator.CoordinatorSettings;
import tempocast.coordinator.Directory;
import tempocast.coordinator.GroupManager;
import tempocast.metrics.Metrics;
import tempocast.protocol.Reply;

/**
 * The coordinator's HTTP port ({@code http-port}), on pekko-http: {@code GET /metrics} (Prometheus
 * text), the dashboard page at {@code /} with its Server-Sent Events at {@code /api/events}, and
 * the JSON API under {@code /api/} (docs/HTTP.md). Everything else is 404, another method 405; with
 * {@code http-token} set, a request without {@code Authorization: Bearer TOKEN} is 401.
 *
 * <p>It reads the system only through messages: the {@link Monitor}'s latest overview, and, for a
 * message's delivery states, its group's manager. Work that may block (rendering a scrape) runs on
 * {@code tempocast.http-dispatcher}, never on the journal's or the sessions' threads; pekko-http's
 * own timeouts and connection limit (application.conf) bound what a slow or garbage client costs.
 */
public final class HttpServer extends AllDirectives {

  /** The content type Prometheus expects of the text format. */
  static final ContentType PROMETHEUS_TEXT =
      ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final ActorSystem<?> system;
  private final CoordinatorSettings settings;
  private final ActorRef<Directory.Command> directory;
  private final ActorRef<Monitor.Command> monitor;
  private final Metrics metrics;
  private final Duration refresh;
  private final Executor blocking;
  private final byte[] page;
  private final byte[] expectedAuth;

  public HttpServer(
      ActorSystem<?> system,
      CoordinatorSettings settings,
      ActorRef<Directory.Command> directory,
      ActorRef<Monitor.Command> monitor,
      Metrics metrics,
      Duration refresh) {
    this.system = system;
    this.settings = settings;
    this.directory = directory;
    this.monitor = monitor;
    this.metrics = metrics;
    this.refresh = refresh;
    this.blocking =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("tempocast.http-dispatcher"));
    this.page = resource("tempocast/http/dashboard.html");
    this.expectedAuth =
        settings.httpToken().isEmpty()
            ? null
            : ("Bearer " + settings.httpToken()).getBytes(StandardCharsets.UTF_8);
  }

  public CompletionStage<ServerBinding> bind() {
    return Http.get(system).newServerAt(settings.bind(), settings.httpPort()).bind(routes());
  }

  Route routes() {
    return authorized(
        concat(
            pathSingleSlash(() -> get(() -> complete(ok(ContentTypes.TEXT_HTML_UTF8, page)))),
            path("metrics", () -> get(this::metrics)),
            pathPrefix(
                "api",
                () ->
                    concat(
                        path("events", () -> get(this::events)),
                        path("overview", () -> get(() -> fromOverview(Overviews::overview))),
                        path("groups", () -> get(() -> fromOverview(Overviews::groups))),
                        path(
                            PathMatchers.segment("groups").slash(PathMatchers.segment()),
                            name -> get(() -> fromOverview(o -> Overviews.group(o, name)))),
                        path("members", () -> get(() -> fromOverview(Overviews::members))),
                        path(
                            PathMatchers.segment("members").slash(PathMatchers.segment()),
                            id -> get(() -> fromOverview(o -> Overviews.member(o, id)))),
                        path(
                            PathMatchers.segment("messages")
                                .slash(PathMatchers.segment())
                                .slash(PathMatchers.longSegment()),
                            (target, seq) -> get(() -> messageStatus(target, seq)))))));
  }

  // ------------------------------------------------------------------ access

  /**
   * With {@code http-token}: the header {@code Authorization: Bearer TOKEN}, or (for a browser's
   * address bar and its EventSource, which cannot set headers) the query parameter {@code
   * access_token=TOKEN}; otherwise 401, before the path is even looked at.
   */
  private Route authorized(Route inner) {
    if (expectedAuth == null) {
      return inner;
    }
    return extractRequest(
        request -> {
          boolean ok =
              request
                  .getHeader("Authorization")
                  .map(h -> same(h.value(), expectedAuth))
                  .orElse(false);
          Optional<String> query = request.getUri().query().get("access_token");
          ok |= query.map(t -> same("Bearer " + t, expectedAuth)).orElse(false);
          if (ok) {
            return inner;
          }
          return complete(
              HttpResponse.create()
                  .withStatus(StatusCodes.UNAUTHORIZED)
                  .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"tempocast\""))
                  .withEntity(
                      ContentTypes.APPLICATION_JSON,
                      Json.error("this coordinator wants Authorization: Bearer <http-token>")));
        });
  }

  private static boolean same(String given, byte[] expected) {
    return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), expected);
  }

  // ------------------------------------------------------------------ routes

  private Route metrics() {
    return completeWithFuture(
        CompletableFuture.supplyAsync(
            () -> ok(PROMETHEUS_TEXT, metrics.scrape().getBytes(StandardCharsets.UTF_8)),
            blocking));
  }

  /** The overview, pushed once per refresh for as long as the page stays open. */
  private Route events() {
    Source<ServerSentEvent, NotUsed> source =
        Source.tick(Duration.ZERO, refresh, "tick")
            .mapAsync(1, t -> overview())
            .filter(o -> o.isPresent())
            .map(o -> ServerSentEvent.create(Overviews.overview(o.get()), "overview"))
            .mapMaterializedValue(c -> NotUsed.getInstance());
    return completeOK(source, EventStreamMarshalling.toEventStream());
  }

  private CompletionStage<Optional<Monitor.Overview>> overview() {
    return AskPattern.<Monitor.Command, Monitor.Overview>ask(
            monitor, Monitor.GetOverview::new, settings.askTimeout(), system.scheduler())
        .handle((o, err) -> Optional.ofNullable(err == null ? o : null));
  }

  /** {@code render}: the JSON of part of the overview, or null for 404. */
  private Route fromOverview(Function<Monitor.Overview, String> render) {
    return completeWithFuture(
        overview()
            .thenApply(
                o -> {
                  if (o.isEmpty()) {
                    return json(
                        StatusCodes.SERVICE_UNAVAILABLE,
                        Json.error("the coordinator's state is not collected yet; try again"));
                  }
                  String body = render.apply(o.get());
                  return body == null
                      ? json(StatusCodes.NOT_FOUND, Json.error("no such group or member"))
                      : json(StatusCodes.OK, body);
                }));
  }

  /** Asked live: the group's manager names the recipients, the journal derives their states. */
  private Route messageStatus(String target, long seq) {
    CompletionStage<HttpResponse> response =
        AskPattern.<Directory.Command, Directory.ManagerRef>ask(
                directory,
                r -> new Directory.GetManager(target, r),
                settings.askTimeout(),
                system.scheduler())
            .thenCompose(
                ref -> {
                  if (ref.ref() == null) {
                    return CompletableFuture.completedFuture(
                        json(StatusCodes.NOT_FOUND, Json.error("there is no target " + target)));
                  }
                  return AskPattern.<GroupManager.Command, Reply>ask(
                          ref.ref(),
                          r -> new GroupManager.Status(null, seq, r),
                          settings.askTimeout(),
                          system.scheduler())
                      .thenApply(HttpServer::statusResponse);
                })
            .exceptionally(
                err ->
                    json(
                        StatusCodes.SERVICE_UNAVAILABLE,
                        Json.error("the coordinator did not answer in time")));
    return completeWithFuture(response);
  }

  private static HttpResponse statusResponse(Reply reply) {
    if (reply instanceof Reply.MessageStatus s) {
      Json j = new Json().beginObject().field("target", s.target()).field("seq", s.seq());
      j.name("recipients").beginArray();
      long delivered = 0;
      for (Reply.RecipientState r : s.recipients()) {
        j.beginObject()
            .field("id", r.recipient())
            .field("state", r.state().name().toLowerCase(java.util.Locale.ROOT));
        if (r.deliveredAt() >= 0) {
          j.field("deliveredAt", Instant.ofEpochMilli(r.deliveredAt()).toString());
          delivered++;
        }
        j.endObject();
      }
      j.endArray().field("delivered", delivered).field("recipientCount", s.recipients().size());
      return json(StatusCodes.OK, j.endObject().toString());
    }
    if (reply instanceof Reply.Error e && e.code() == Reply.ErrorCode.NO_MESSAGE) {
      return json(StatusCodes.NOT_FOUND, Json.error(e.explanation()));
    }
    String why = reply instanceof Reply.Error e ? e.explanation() : String.valueOf(reply);
    return json(StatusCodes.SERVICE_UNAVAILABLE, Json.error(why));
  }

  // ------------------------------------------------------------------ helpers

  private static HttpResponse ok(ContentType type, byte[] body) {
    return HttpResponse.create().withEntity(type, body);
  }

  private static HttpResponse json(
      org.apache.pekko.http.javadsl.model.StatusCode status, String s) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, s);
  }

  private static byte[] resource(String name) {
    try (InputStream in = HttpServer.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read resource " + name, e);
    }
  }
}
