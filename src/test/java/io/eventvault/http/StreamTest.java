package io.eventvault.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.config.EventvaultConfig.QueryConfig;
import io.eventvault.support.Events;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Replay of stored events as NDJSON and as Server-Sent Events, over several database pages. */
class StreamTest {

  static TestServer server;
  static String key;
  static final List<Long> shop = new ArrayList<>();

  @BeforeAll
  static void start() {
    server = TestServer.start("stream", c -> c.withQuery(new QueryConfig(1, 100, 1000, 250, 10_000, 15, 2000, 10, 100_000)));
    key = server.tenantWithKey("acme", "ingest", "replay", "query");
    for (int round = 0; round < 6; round++) {
      JsonArray batch = Events.batch(200, "order.created", "shop");
      batch.add(Events.event("other", "blog"));
      JsonArray acks = server.postJson("/v1/events", key, batch).json().getJsonArray("events");
      for (int i = 0; i < 200; i++) {
        shop.add(acks.getJsonObject(i).getLong("position"));
      }
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static Response stream(String query, String accept, String lastEventId) {
    return server.send("GET", "/v1/events/stream" + query, key, null, null, b -> {
      b.header("Accept", accept);
      if (lastEventId != null) {
        b.header("Last-Event-ID", lastEventId);
      }
      return b;
    });
  }

  static List<Long> ndjsonPositions(String body) {
    List<Long> positions = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (!line.isEmpty()) {
        positions.add(new JsonObject(line).getLong("position"));
      }
    }
    return positions;
  }

  @Test
  void ndjson_replays_every_match_once_in_position_order_across_pages() {
    Response response = stream("?projectId=shop", "application/x-ndjson", null);

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.contentType()).startsWith("application/x-ndjson");
    assertThat(ndjsonPositions(response.body())).isEqualTo(shop);
  }

  @Test
  void a_stream_takes_the_paging_parameters_of_the_query_limit_cursor_and_ascending_order() {
    assertThat(ndjsonPositions(stream("?projectId=shop&limit=300", "application/x-ndjson", null).body()))
        .as("limit: events in all, across pages").isEqualTo(shop.subList(0, 300));
    assertThat(ndjsonPositions(stream("?projectId=shop&order=asc&limit=3", "application/x-ndjson", null).body()))
        .isEqualTo(shop.subList(0, 3));

    Response page = server.get("/v1/events?projectId=shop&limit=7", key);
    String cursor = page.json().getString("nextCursor");
    assertThat(ndjsonPositions(stream("?projectId=shop&cursor=" + cursor, "application/x-ndjson", null).body()))
        .as("a page's cursor: the stream continues after that page").isEqualTo(shop.subList(7, shop.size()));

    Response foreign = stream("?projectId=blog&cursor=" + cursor, "application/x-ndjson", null);
    assertThat(foreign.status()).isEqualTo(400);
    assertThat(foreign.json().getString("detail")).contains("cursor");
    Response descending = stream("?projectId=shop&order=desc", "application/x-ndjson", null);
    assertThat(descending.status()).isEqualTo(400);
    assertThat(descending.json().getString("detail")).contains("position order");
    assertThat(stream("?projectId=shop&limit=0", "application/x-ndjson", null).status()).isEqualTo(400);
  }

  @Test
  void ndjson_resumes_after_last_event_id() {
    long resumeAfter = shop.get(499);

    Response response = stream("?projectId=shop", "application/x-ndjson", Long.toString(resumeAfter));

    assertThat(ndjsonPositions(response.body())).isEqualTo(shop.subList(500, shop.size()));
  }

  @Test
  void sse_frames_carry_position_type_and_event_and_resume_after_last_event_id() {
    Response response = stream("?projectId=shop", "text/event-stream", Long.toString(shop.get(99)));

    assertThat(response.contentType()).startsWith("text/event-stream");
    List<Long> ids = new ArrayList<>();
    for (String frame : response.body().split("\n\n")) {
      if (!frame.startsWith("id: ")) {
        continue;
      }
      String[] lines = frame.split("\n");
      long id = Long.parseLong(lines[0].substring(4));
      assertThat(lines[1]).isEqualTo("event: order.created");
      JsonObject data = new JsonObject(lines[2].substring("data: ".length()));
      assertThat(data.getLong("position")).isEqualTo(id);
      assertThat(data.getString("projectId")).isEqualTo("shop");
      ids.add(id);
    }
    assertThat(ids).isEqualTo(shop.subList(100, shop.size()));
  }

  @Test
  void from_position_is_inclusive() {
    Response response = stream("?projectId=shop&fromPosition=" + shop.get(1100), "application/x-ndjson", null);

    assertThat(ndjsonPositions(response.body())).isEqualTo(shop.subList(1100, shop.size()));
  }
}
