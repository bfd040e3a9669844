package io.eventvault.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.config.DatabaseUrl;
import io.eventvault.config.EventvaultConfig.QueryConfig;
import io.eventvault.config.EventvaultConfig.WriterConfig;
import io.eventvault.support.Events;
import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Live replay: catch up, then follow, never skip or repeat an event. */
class FollowTest {

  static TestServer server;
  static String key;
  static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    DatabaseUrl database = TestDatabase.create("follow");
    TestServer.startOn(database, c -> c).server().stop().await();
    TestDatabase.execute(database, """
        CREATE TABLE slow_ids (id uuid PRIMARY KEY);
        GRANT SELECT ON slow_ids TO eventvault_app;
        CREATE FUNCTION delay_slow_ids() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM slow_ids WHERE id = NEW.id) THEN
            PERFORM pg_sleep(1);
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER delay_slow_ids BEFORE INSERT ON event_ids FOR EACH ROW EXECUTE FUNCTION delay_slow_ids();
        """);
    server = TestServer.startOn(database, c -> c.withWriter(new WriterConfig(100, 0, 2, 50_000))
        .withQuery(new QueryConfig(1, 100, 1000, 200, 10_000, 1, 60_000, 10, 100_000)));
    key = server.tenantWithKey("acme", "ingest", "replay", "query");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A follower that collects positions until it has {@code expected} of them (or the stream ends). */
  static final class Follower {
    final List<Long> positions = new CopyOnWriteArrayList<>();
    final List<String> keepAlives = new CopyOnWriteArrayList<>();
    final CompletableFuture<Void> done;
    volatile InputStream body;

    Follower(String query, String lastEventId, int expected, ExecutorService pool) {
      done = CompletableFuture.runAsync(() -> {
        try {
          HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/events/stream" + query))
              .header("Authorization", "Bearer " + key)
              .header("Accept", "application/x-ndjson");
          if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
          }
          HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
          body = response.body();
          BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
          String line;
          while (positions.size() < expected && (line = reader.readLine()) != null) {
            if (line.isEmpty()) {
              keepAlives.add(line);
            } else {
              positions.add(new JsonObject(line).getLong("position"));
            }
          }
          body.close();
        } catch (Exception e) {
          if (positions.size() < expected) {
            throw new IllegalStateException("follower stopped after " + positions.size() + ": " + e, e);
          }
        }
      }, pool);
    }
  }

  @Test
  void followers_attached_before_during_and_after_delayed_commits_see_every_event_once_in_order() throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      String project = "live";
      int rounds = 3;
      int perRound = 1 + 4 * 5 * 2;
      int total = rounds * perRound;
      Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
      List<Follower> followers = new ArrayList<>();
      followers.add(new Follower("?follow=true&projectId=" + project, null, total, pool));
      Thread.sleep(300);
      for (int round = 0; round < rounds; round++) {
        JsonObject slow = Events.event("slow", project);
        TestDatabase.execute(server.database(), "INSERT INTO slow_ids VALUES ('" + slow.getString("id") + "')");
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        writers.add(CompletableFuture.runAsync(() -> ack(server.postJson("/v1/events", key, slow), acknowledged), pool));
        Thread.sleep(150);
        for (int w = 0; w < 4; w++) {
          writers.add(CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 5; i++) {
              ack(server.postJson("/v1/events", key, Events.batch(2, "fast", project)), acknowledged);
            }
          }, pool));
        }
        if (round == 1) {
          followers.add(new Follower("?follow=true&projectId=" + project, null, total, pool));
        }
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      }
      followers.add(new Follower("?follow=true&projectId=" + project, null, total, pool));
      for (Follower follower : followers) {
        follower.done.get(60, TimeUnit.SECONDS);
        assertThat(follower.positions).doesNotHaveDuplicates().isSorted()
            .containsExactlyInAnyOrderElementsOf(acknowledged);
      }
      assertThat(acknowledged).hasSize(total);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void a_follower_cut_off_mid_stream_resumes_with_last_event_id_without_loss_or_repeat() throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      String project = "resume";
      List<Long> written = new ArrayList<>();
      server.postJson("/v1/events", key, Events.batch(50, "t", project)).json().getJsonArray("events")
          .forEach(e -> written.add(((JsonObject) e).getLong("position")));
      Follower first = new Follower("?follow=true&projectId=" + project, null, 30, pool);
      first.done.get(30, TimeUnit.SECONDS);
      List<Long> seen = new ArrayList<>(first.positions);
      assertThat(seen).hasSize(30);

      Follower second = new Follower("?follow=true&projectId=" + project,
          Long.toString(seen.get(seen.size() - 1)), 70, pool);
      server.postJson("/v1/events", key, Events.batch(50, "t", project)).json().getJsonArray("events")
          .forEach(e -> written.add(((JsonObject) e).getLong("position")));
      second.done.get(30, TimeUnit.SECONDS);
      seen.addAll(second.positions);

      assertThat(seen).isEqualTo(written);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void an_open_transaction_elsewhere_does_not_stop_followers_and_keep_alives_flow() throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    try (Connection open = TestDatabase.connect(server.database()); Statement s = open.createStatement()) {
      open.setAutoCommit(false);
      s.execute("CREATE TABLE IF NOT EXISTS scratch (x int)");
      s.execute("INSERT INTO scratch VALUES (1)"); // holds an xid, like a long-running transaction
      Follower follower = new Follower("?follow=true&projectId=open-tx", null, 10, pool);
      Thread.sleep(3000);
      server.postJson("/v1/events", key, Events.batch(10, "t", "open-tx"));
      follower.done.get(30, TimeUnit.SECONDS);
      assertThat(follower.positions).hasSize(10).isSorted();
      assertThat(follower.keepAlives).as("keep-alive lines while idle (1 s interval)").isNotEmpty();
      open.rollback();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void a_slow_reader_holds_the_server_back_and_still_gets_the_complete_stream() throws Exception {
    String project = "slow-reader";
    String big = "x".repeat(2000);
    for (int i = 0; i < 10; i++) {
      io.vertx.core.json.JsonArray batch = new io.vertx.core.json.JsonArray();
      for (int j = 0; j < 1000; j++) {
        batch.add(Events.event("t", project).put("payload", new JsonObject().put("big", big)));
      }
      assertThat(server.postJson("/v1/events", key, batch).status()).isEqualTo(201);
    }
    double streamedBefore = streamed();
    // A raw socket with a small receive buffer, so the only buffering is the server's own.
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.setReceiveBufferSize(16 * 1024);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", URI.create(server.baseUrl()).getPort()));
      socket.getOutputStream().write(("GET /v1/events/stream?projectId=" + project + " HTTP/1.1\r\n"
          + "Host: 127.0.0.1\r\nAuthorization: Bearer " + key + "\r\nAccept: application/x-ndjson\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      ChunkedLines body = new ChunkedLines(new java.io.BufferedInputStream(socket.getInputStream(), 8192));
      body.skipHeaders();
      int read = 0;
      while (read < 100 && body.nextLine() != null) {
        read++;
      }
      Thread.sleep(1500);
      // 10,000 events of 2 KB: the kernel's socket buffers (4 MB here), the server's unsent-bytes bound and one
      // page stay well under 6,000 of them; without back-pressure the server would render all 9,900 at once.
      double aheadOfClient = streamed() - streamedBefore - read;
      assertThat(aheadOfClient).as("events the server rendered that the paused client has not read")
          .isLessThan(6000);
      while (body.nextLine() != null) {
        read++;
      }
      assertThat(read).isEqualTo(10_000);
    }
  }

  /** Reads NDJSON lines out of an HTTP/1.1 chunked body. */
  static final class ChunkedLines {
    private final InputStream in;
    private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
    private int chunkLeft;
    private boolean ended;

    ChunkedLines(InputStream in) {
      this.in = in;
    }

    void skipHeaders() throws java.io.IOException {
      String header;
      while (!(header = rawLine()).isEmpty()) {
        if (header.startsWith("HTTP/1.1") && !header.contains(" 200 ")) {
          throw new IllegalStateException(header);
        }
      }
    }

    String nextLine() throws java.io.IOException {
      line.reset();
      while (true) {
        int b = nextByte();
        if (b < 0) {
          return null;
        }
        if (b == '\n') {
          return line.toString(StandardCharsets.UTF_8);
        }
        line.write(b);
      }
    }

    private int nextByte() throws java.io.IOException {
      if (ended) {
        return -1;
      }
      if (chunkLeft == 0) {
        String size = rawLine();
        if (size.isEmpty()) {
          size = rawLine();
        }
        chunkLeft = Integer.parseInt(size.trim(), 16);
        if (chunkLeft == 0) {
          ended = true;
          return -1;
        }
      }
      chunkLeft--;
      return in.read();
    }

    private String rawLine() throws java.io.IOException {
      StringBuilder out = new StringBuilder();
      int b;
      while ((b = in.read()) >= 0 && b != '\n') {
        if (b != '\r') {
          out.append((char) b);
        }
      }
      return out.toString();
    }
  }

  @Test
  void stopping_the_server_ends_open_followers_cleanly_so_they_can_resume_elsewhere() throws Exception {
    TestServer node = TestServer.start("followstop");
    String nodeKey = node.tenantWithKey("acme", "ingest", "replay");
    node.postJson("/v1/events", nodeKey, Events.batch(3, "t", "p"));
    HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(
            URI.create(node.baseUrl() + "/v1/events/stream?follow=true"))
        .header("Authorization", "Bearer " + nodeKey).header("Accept", "application/x-ndjson").build(),
        HttpResponse.BodyHandlers.ofInputStream());
    BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      lines.add(reader.readLine());
    }
    CompletableFuture<Void> stopped = CompletableFuture.runAsync(node::close);
    String rest;
    while ((rest = reader.readLine()) != null) {
      lines.add(rest);
    }
    stopped.get(20, TimeUnit.SECONDS);
    assertThat(lines.stream().filter(l -> !l.isEmpty())).hasSize(3);
  }

  private static double streamed() {
    Response metrics = server.get("/metrics", null);
    return metrics.body().lines().filter(l -> l.startsWith("eventvault_stream_events_total"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private static void ack(Response response, Set<Long> acknowledged) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    response.json().getJsonArray("events").forEach(e -> acknowledged.add(((JsonObject) e).getLong("position")));
  }
}
