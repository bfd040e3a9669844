package io.eventvault.writer;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.config.EventvaultConfig.WriterConfig;
import io.eventvault.support.Events;
import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gap-free global order. A trigger in the test database holds chosen appends open (pg_sleep) after they
 * have drawn their positions, while other appends run on the writer's second connection. Readers that
 * page by position, and replays that resume after the last position seen, must still see every event
 * exactly once: if a later position could commit before an earlier one, they would skip the earlier one.
 */
class OrderingTest {

  static TestServer server;
  static String key;

  @BeforeAll
  static void start() {
    io.eventvault.config.DatabaseUrl database = TestDatabase.create("ordering");
    // Migrate first, then install the delay trigger, then serve with two concurrent flushes.
    TestServer.startOn(database, c -> c).server().stop().await();
    TestDatabase.execute(database, """
        CREATE TABLE slow_ids (id uuid PRIMARY KEY);
        CREATE FUNCTION delay_slow_ids() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM slow_ids WHERE id = NEW.id) THEN
            PERFORM pg_sleep(1.5);
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER delay_slow_ids BEFORE INSERT ON event_ids FOR EACH ROW EXECUTE FUNCTION delay_slow_ids();
        GRANT SELECT ON slow_ids TO eventvault_app;
        """);
    server = TestServer.startOn(database, c -> c.withWriter(new WriterConfig(100, 0, 2, 10_000)));
    key = server.tenantWithKey("acme", "ingest", "query", "replay");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void readers_never_skip_an_event_whose_commit_was_delayed() throws Exception {
    Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CompletableFuture<List<Long>> pager = CompletableFuture.supplyAsync(() -> follow(writing, false), pool);
      CompletableFuture<List<Long>> replayer = CompletableFuture.supplyAsync(() -> follow(writing, true), pool);
      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        JsonObject slow = Events.event("slow", "ordering");
        TestDatabase.execute(server.database(), "INSERT INTO slow_ids VALUES ('" + slow.getString("id") + "')");
        writers.add(CompletableFuture.runAsync(() -> acknowledge(server.postJson("/v1/events", key, slow),
            acknowledged), pool));
        Thread.sleep(200);
        for (int w = 0; w < 4; w++) {
          writers.add(CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 5; i++) {
              acknowledge(server.postJson("/v1/events", key, Events.batch(3, "fast", "ordering")), acknowledged);
            }
          }, pool));
        }
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      }
      writing.set(false);
      for (CompletableFuture<List<Long>> reader : List.of(pager, replayer)) {
        List<Long> seen = reader.get(60, TimeUnit.SECONDS);
        assertThat(seen).as("every event once, in position order").doesNotHaveDuplicates().isSorted();
        assertThat(seen).containsExactlyInAnyOrderElementsOf(acknowledged);
      }
      assertThat(acknowledged).hasSize(3 * (1 + 4 * 5 * 3));
    } finally {
      pool.shutdownNow();
    }
  }

  private static void acknowledge(Response response, Set<Long> acknowledged) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    response.json().getJsonArray("events").forEach(e -> acknowledged.add(((JsonObject) e).getLong("position")));
  }

  /** Tails the store until writing stopped and one last read found nothing new. */
  private static List<Long> follow(AtomicBoolean writing, boolean replay) {
    List<Long> seen = new ArrayList<>();
    HttpClient client = HttpClient.newHttpClient();
    boolean lastPass = false;
    while (true) {
      long after = seen.isEmpty() ? 0 : seen.get(seen.size() - 1);
      List<Long> batch = replay ? replayAfter(client, after) : pageAfter(after);
      seen.addAll(batch);
      if (batch.isEmpty()) {
        if (lastPass) {
          return seen;
        }
        lastPass = !writing.get();
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return seen;
      }
    }
  }

  private static List<Long> pageAfter(long after) {
    Response page = server.get("/v1/events?projectId=ordering&limit=50&fromPosition=" + (after + 1), key);
    List<Long> positions = new ArrayList<>();
    page.json().getJsonArray("events").forEach(e -> positions.add(((JsonObject) e).getLong("position")));
    return positions;
  }

  private static List<Long> replayAfter(HttpClient client, long after) {
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/events/stream?projectId=ordering"))
          .header("Authorization", "Bearer " + key)
          .header("Accept", "application/x-ndjson")
          .header("Last-Event-ID", Long.toString(after))
          .build();
      List<Long> positions = new ArrayList<>();
      client.send(request, HttpResponse.BodyHandlers.ofLines()).body()
          .forEach(line -> positions.add(new JsonObject(line).getLong("position")));
      return positions;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
