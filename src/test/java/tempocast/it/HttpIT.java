package tempocast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tempocast.it.HttpProbe.sample;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tempocast.it.ProcessFixture.Coordinator;
import tempocast.it.ProcessFixture.Participant;

/**
 * The coordinator's HTTP port, from outside, as an operator and Prometheus meet it: /metrics counts
 * what real participants did; the JSON API answers; only documented paths and GET are served (404,
 * 405); with http-token every request needs the bearer token (401); garbage and a stalled client
 * neither stop it nor the command port.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HttpIT extends ItBase {
  private static final String TOKEN = "it-token-42";
  private static final Duration SOON = Duration.ofSeconds(15);

  @Test
  void metricsCountWhatParticipantsDidAndTheApiAnswersOnlyWhatItDocuments() throws Exception {
    int httpPort = ProcessFixture.freePort();
    Coordinator c = fx.startCoordinator("30", "http-port = " + httpPort, "http-token = " + TOKEN);
    HttpProbe http = new HttpProbe(httpPort, TOKEN);

    // 401 without the token or with a wrong one, on every path (documented or not)
    for (String path : List.of("/metrics", "/", "/api/groups", "/nope")) {
      HttpResponse<String> r = http.request("GET", path, null);
      assertEquals(401, r.statusCode(), "GET " + path + " without a token");
      assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
    }
    assertEquals(401, http.request("GET", "/metrics", "Bearer wrong").statusCode());
    assertEquals(401, http.request("GET", "/metrics", TOKEN).statusCode(), "not a bearer header");
    // 404 for what is not documented, 405 for another method on what is
    assertEquals(404, http.get("/nope").statusCode());
    assertEquals(404, http.get("/api/nope").statusCode());
    assertEquals(404, http.get("/metrics/more").statusCode());
    HttpResponse<String> post =
        http.request("POST", "/metrics", "Bearer " + TOKEN); // right token, wrong method
    assertEquals(405, post.statusCode());
    assertEquals(405, http.request("DELETE", "/api/groups", "Bearer " + TOKEN).statusCode());

    String before = http.body("/metrics");
    assertEquals(0.0, sample(before, "tempocast_messages_stored_total"));
    assertTrue(before.contains("jvm_memory_used_bytes"), "JVM metrics");
    assertTrue(before.contains("process_cpu_usage"), "process metrics");

    List<Participant> ps = fx.startAndRegister(c, "alice", "bob");
    Participant alice = ps.get(0);
    Participant bob = ps.get(1);
    for (int i = 1; i <= 3; i++) {
      alice.msend("metered " + i);
    }
    alice.awaitLog(3);
    bob.awaitLog(3);
    // an MSEND for someone not registered, straight on the command port: refused
    try (RawLineSocket raw = RawLineSocket.connect(c.port)) {
      raw.send("MSEND main carol - nobody");
      assertTrue(raw.readLine().startsWith("ERROR not-registered"));
    }
    bob.disconnect();

    ProcessFixture.await(
        SOON,
        "metrics to count 3 stored, 6 acknowledged, 1 refusal, 2 members (1 online, 1 offline)",
        () -> {
          String m = http.body("/metrics");
          return sample(m, "tempocast_messages_stored_total") == 3
              && sample(m, "tempocast_group_messages_stored_total{group=\"main\"}") == 3
              && sample(m, "tempocast_deliveries_sent_total") >= 6
              && sample(m, "tempocast_deliveries_acknowledged_total") >= 6
              && sample(m, "tempocast_group_deliveries_acknowledged_total{group=\"main\"}") >= 6
              && sample(m, "tempocast_msend_latency_seconds_count") == 3
              && sample(m, "tempocast_delivery_latency_seconds_count") == 3
              && sample(m, "tempocast_msend_refused_total{reason=\"not-registered\"}") == 1
              && sample(m, "tempocast_members{state=\"registered\"}") == 2
              && sample(m, "tempocast_members{state=\"online\"}") == 1
              && sample(m, "tempocast_members{state=\"offline\"}") == 1
              && sample(m, "tempocast_journal_size_bytes") > 0;
        });
    bob.reconnect(0);
    ProcessFixture.await(
        SOON,
        "a reconnection counted",
        () ->
            sample(http.body("/metrics"), "tempocast_reconnections_total{kind=\"reconnect\"}")
                == 1);

    // the JSON API
    ProcessFixture.await(
        SOON,
        "/api/groups to show main with 3 messages and 2 members",
        () -> {
          String g = http.body("/api/groups");
          return g.contains("\"name\":\"main\"")
              && g.contains("\"messages\":3")
              && g.contains("\"memberCount\":2");
        });
    String member = http.body("/api/members/alice");
    assertTrue(
        member.contains("\"id\":\"alice\"") && member.contains("\"state\":\"online\""), member);
    assertTrue(member.contains("{\"target\":\"main\",\"received\":3,\"lag\":0}"), member);
    // the overview is at most a refresh (1 s) old: bob's reconnection shows within it
    ProcessFixture.await(
        SOON,
        "/api/groups/main to show bob online with 3 received",
        () ->
            http.body("/api/groups/main")
                .contains("{\"id\":\"bob\",\"state\":\"online\",\"received\":3,\"lag\":0}"));
    String status = http.body("/api/messages/main/2");
    assertTrue(status.contains("\"delivered\":2"), status);
    assertTrue(
        status.contains("{\"id\":\"alice\",\"state\":\"delivered\",\"deliveredAt\":\""), status);
    assertEquals(404, http.get("/api/messages/main/99").statusCode());
    assertEquals(404, http.get("/api/messages/nogroup/1").statusCode());
    assertEquals(404, http.get("/api/groups/nogroup").statusCode());
    assertEquals(404, http.get("/api/members/nobody").statusCode());
    String page = http.body("/");
    assertTrue(page.contains("<title>tempocast coordinator</title>"), "the dashboard page");
    assertTrue(
        !page.matches("(?s).*(src|href)\\s*=\\s*[\"']?(https?:)?//.*")
            && !page.contains("url(http"),
        "the page loads nothing from elsewhere (the network may be closed)");

    // garbage gets an error status and its connection closed; a stalled client (half a request
    // line, then
    // nothing) holds only its own connection: /metrics and the command port go on
    try (Socket garbage = socket(httpPort);
        Socket stalled = socket(httpPort)) {
      OutputStream g = garbage.getOutputStream();
      g.write("\u0001\u0002 NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      g.flush();
      String answer = readAll(garbage.getInputStream());
      // an error status (pekko-http says 501 to a method it does not know), then the close
      assertTrue(answer.matches("(?s)HTTP/1\\.1 (400|501) .*"), "garbage answered: " + answer);
      stalled.getOutputStream().write("GET /metr".getBytes(StandardCharsets.US_ASCII));
      stalled.getOutputStream().flush();
      alice.msend("while a client stalls");
      bob.awaitText("while a client stalls");
      assertEquals(4.0, sample(http.body("/metrics"), "tempocast_messages_stored_total"));
    }
  }

  private static Socket socket(int port) throws Exception {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static String readAll(InputStream in) throws Exception {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }
}
