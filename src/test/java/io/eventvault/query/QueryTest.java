package io.eventvault.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every filter returns exactly the events an in-memory evaluation of the same filter selects. */
class QueryTest {

  static TestServer server;
  static String key;
  static final List<JsonObject> events = new ArrayList<>();

  @BeforeAll
  static void start() {
    server = TestServer.start("query");
    key = server.tenantWithKey("acme", "ingest", "query");
    String[] projects = {"shop", "blog", "crm"};
    String[] types = {"order.created", "order.paid", "user.signed_up", "page.viewed"};
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 120; i++) {
      JsonObject e = new JsonObject()
          .put("type", types[i % types.length])
          .put("projectId", projects[i % projects.length])
          .put("occurredAt", Instant.parse("2026-12-01T00:00:00Z").plusSeconds(3600L * i).toString())
          .put("payload", new JsonObject().put("i", i).put("amount", i * 1.5)
              .put("currency", i % 2 == 0 ? "EUR" : "USD").put("tags", new JsonArray().add("t" + (i % 5))))
          .put("metadata", new JsonObject().put("region", i % 3 == 0 ? "eu" : "us"));
      if (i % 4 != 3) {
        e.put("userId", "user-" + (i % 7));
      }
      if (i % 5 == 0) {
        e.put("subject", "order/" + (i % 10));
      }
      if (i % 6 == 0) {
        e.put("correlationId", "corr-" + (i % 12));
      }
      batch.add(e);
    }
    JsonArray acks = server.postJson("/v1/events", key, batch).json().getJsonArray("events");
    for (int i = 0; i < batch.size(); i++) {
      events.add(batch.getJsonObject(i).put("id", acks.getJsonObject(i).getString("id"))
          .put("position", acks.getJsonObject(i).getLong("position")));
    }
    // Another tenant's events never appear.
    String other = server.tenantWithKey("other", "ingest");
    server.postJson("/v1/events", other, io.eventvault.support.Events.batch(10, "order.created", "shop"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static List<Long> expected(Predicate<JsonObject> filter) {
    return events.stream().filter(filter).map(e -> e.getLong("position")).toList();
  }

  static List<Long> positions(JsonArray page) {
    return page.stream().map(e -> ((JsonObject) e).getLong("position")).toList();
  }

  /** Reads every page of a GET query. */
  static List<Long> getAll(String query) {
    List<Long> result = new ArrayList<>();
    String cursor = null;
    do {
      String path = "/v1/events?" + query + "&limit=7" + (cursor == null ? "" : "&cursor=" + cursor);
      Response response = server.get(path, key);
      assertThat(response.status()).as(response.body()).isEqualTo(200);
      result.addAll(positions(response.json().getJsonArray("events")));
      cursor = response.json().getString("nextCursor");
    } while (cursor != null);
    return result;
  }

  static List<Long> postAll(JsonObject query) {
    List<Long> result = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject body = query.copy().put("limit", 9);
      if (cursor != null) {
        body.put("cursor", cursor);
      }
      Response response = server.postJson("/v1/events/query", key, body);
      assertThat(response.status()).as(response.body()).isEqualTo(200);
      result.addAll(positions(response.json().getJsonArray("events")));
      cursor = response.json().getString("nextCursor");
    } while (cursor != null);
    return result;
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void where_operands_keep_every_decimal_digit_as_sent() {
    // Sent as raw JSON text: a client's own encoder would round 1.0000000000000001 to a double first.
    String body = "[{\"type\":\"price.set\",\"projectId\":\"precise\",\"payload\":{\"amount\":1.0}},"
        + "{\"type\":\"price.set\",\"projectId\":\"precise\",\"payload\":{\"amount\":1.0000000000000001}},"
        + "{\"type\":\"price.set\",\"projectId\":\"precise\",\"payload\":{\"amount\":2}}]";
    Response stored = server.post("/v1/events", key, "application/json", body);
    assertThat(stored.status()).as(stored.body()).isEqualTo(201);
    List<Long> written = positions(stored.json().getJsonArray("events"));

    assertThat(precise("{\"op\":\"eq\",\"value\":1.0000000000000001}")).containsExactly(written.get(1));
    assertThat(precise("{\"op\":\"gt\",\"value\":1.0}")).containsExactly(written.get(1), written.get(2));
    assertThat(precise("{\"op\":\"eq\",\"value\":1}")).containsExactly(written.get(0));
    assertThat(precise("{\"op\":\"in\",\"value\":[1.0000000000000001, 2]}"))
        .containsExactly(written.get(1), written.get(2));
  }

  private static List<Long> precise(String clause) {
    String body = "{\"projectId\":\"precise\",\"where\":[" + clause.replace("{", "{\"path\":\"payload.amount\",")
        + "]}";
    Response response = server.post("/v1/events/query", key, "application/json", body);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return positions(response.json().getJsonArray("events"));
  }

  @Test
  void simple_filters_as_query_parameters() {
    assertThat(getAll("projectId=shop")).isEqualTo(expected(e -> e.getString("projectId").equals("shop")));
    assertThat(getAll("type=order.paid&type=page.viewed"))
        .isEqualTo(expected(e -> Set.of("order.paid", "page.viewed").contains(e.getString("type"))));
    assertThat(getAll("typePrefix=order.")).isEqualTo(expected(e -> e.getString("type").startsWith("order.")));
    assertThat(getAll("userId=user-3")).isEqualTo(expected(e -> "user-3".equals(e.getString("userId"))));
    assertThat(getAll("subject=" + enc("order/5"))).isEqualTo(expected(e -> "order/5".equals(e.getString("subject"))));
    assertThat(getAll("occurredFrom=2026-12-02T00:00:00Z&occurredTo=2026-12-03T00:00:00Z"))
        .isEqualTo(expected(e -> {
          Instant t = Instant.parse(e.getString("occurredAt"));
          return !t.isBefore(Instant.parse("2026-12-02T00:00:00Z"))
              && t.isBefore(Instant.parse("2026-12-03T00:00:00Z"));
        }))
        .hasSize(24);
    long from = events.get(10).getLong("position");
    long to = events.get(20).getLong("position");
    assertThat(getAll("fromPosition=" + from + "&toPosition=" + to))
        .isEqualTo(expected(e -> e.getLong("position") >= from && e.getLong("position") <= to)).hasSize(11);
    assertThat(getAll("projectId=blog&type=order.created&userId=user-1"))
        .isEqualTo(expected(e -> e.getString("projectId").equals("blog") && e.getString("type").equals("order.created")
            && "user-1".equals(e.getString("userId"))));
  }

  @Test
  void descending_order_pages_from_the_newest() {
    List<Long> all = new ArrayList<>(expected(e -> true));
    java.util.Collections.reverse(all);
    assertThat(getAll("order=desc")).isEqualTo(all);
  }

  @Test
  void the_json_query_endpoint_combines_filters_with_payload_and_metadata_conditions() {
    assertThat(postAll(new JsonObject().put("correlationId", "corr-6")))
        .isEqualTo(expected(e -> "corr-6".equals(e.getString("correlationId"))));
    assertThat(postAll(new JsonObject().put("payload", new JsonObject().put("contains",
        new JsonObject().put("currency", "EUR").put("tags", new JsonArray().add("t2"))))))
        .isEqualTo(expected(e -> e.getJsonObject("payload").getString("currency").equals("EUR")
            && e.getJsonObject("payload").getJsonArray("tags").contains("t2")));
    assertThat(postAll(new JsonObject().put("types", new JsonArray().add("order.created")).put("where",
        new JsonArray().add(where("payload.amount", "gt", 30)).add(where("payload.amount", "lte", 120)))))
        .isEqualTo(expected(e -> e.getString("type").equals("order.created")
            && e.getJsonObject("payload").getDouble("amount") > 30
            && e.getJsonObject("payload").getDouble("amount") <= 120));
    assertThat(postAll(new JsonObject().put("where", new JsonArray().add(where("metadata.region", "eq", "eu")))))
        .isEqualTo(expected(e -> e.getJsonObject("metadata").getString("region").equals("eu")));
    assertThat(postAll(new JsonObject().put("where", new JsonArray().add(where("payload.currency", "ne", "EUR")))))
        .isEqualTo(expected(e -> !e.getJsonObject("payload").getString("currency").equals("EUR")));
    assertThat(postAll(new JsonObject().put("where",
        new JsonArray().add(where("payload.i", "in", new JsonArray().add(1).add(2).add(99).add("3"))))))
        .isEqualTo(expected(e -> Set.of(1, 2, 99).contains(e.getJsonObject("payload").getInteger("i"))));
    assertThat(postAll(new JsonObject().put("where", new JsonArray().add(where("payload.missing", "exists", true)))))
        .isEmpty();
    assertThat(postAll(new JsonObject().put("where", new JsonArray().add(where("payload.tags.0", "eq", "t4")))))
        .isEqualTo(expected(e -> e.getJsonObject("payload").getJsonArray("tags").getString(0).equals("t4")));
    assertThat(postAll(new JsonObject().put("where", new JsonArray().add(where("payload.currency", "gte", "F")))))
        .as("strings compare as strings").isEqualTo(expected(e -> e.getJsonObject("payload").getString("currency")
            .equals("USD")));
    assertThat(postAll(new JsonObject().put("where", new JsonArray().add(where("payload.currency", "gt", 5)))))
        .as("a string never compares with a number").isEmpty();
  }

  @Test
  void count_exact_and_estimate_come_with_the_page() {
    JsonObject exact = server.postJson("/v1/events/query", key, new JsonObject().put("projectId", "shop")
        .put("limit", 5).put("count", "exact")).json();
    assertThat(exact.getJsonArray("events")).hasSize(5);
    assertThat(exact.getJsonObject("count").getString("mode")).isEqualTo("exact");
    assertThat(exact.getJsonObject("count").getLong("value"))
        .isEqualTo(expected(e -> e.getString("projectId").equals("shop")).size());
    assertThat(exact.getJsonObject("count").getBoolean("capped")).isFalse();

    JsonObject estimate = server.postJson("/v1/events/query", key, new JsonObject().put("projectId", "shop")
        .put("count", "estimate")).json();
    assertThat(estimate.getJsonObject("count").getString("mode")).isEqualTo("estimate");
    assertThat(estimate.getJsonObject("count").getLong("value")).isNotNegative();

    assertThat(server.postJson("/v1/events/query", key, new JsonObject().put("count", "roughly")).status())
        .isEqualTo(400);
  }

  static JsonObject where(String path, String op, Object value) {
    return new JsonObject().put("path", path).put("op", op).put("value", value);
  }

  @Test
  void a_cursor_belongs_to_its_query() {
    Response first = server.get("/v1/events?projectId=shop&limit=2", key);
    String cursor = first.json().getString("nextCursor");
    assertThat(cursor).isNotNull().hasSizeLessThan(40);
    assertThat(server.get("/v1/events?projectId=crm&limit=2&cursor=" + cursor, key).status()).isEqualTo(400);
    assertThat(server.get("/v1/events?projectId=shop&order=desc&cursor=" + cursor, key).status()).isEqualTo(400);
    char[] tampered = cursor.toCharArray();
    tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
    assertThat(server.get("/v1/events?projectId=shop&cursor=" + new String(tampered), key).status()).isEqualTo(400);
    assertThat(server.get("/v1/events?projectId=shop&limit=5&cursor=" + cursor, key).status())
        .as("the limit may change between pages").isEqualTo(200);
  }

  @Test
  void cursor_paging_returns_every_event_once_while_writes_continue() throws Exception {
    String writerKey = server.tenantWithKey("paging", "ingest", "query");
    List<Long> written = java.util.Collections.synchronizedList(new ArrayList<>());
    JsonArray seed = io.eventvault.support.Events.batch(200, "p.t", "paging");
    server.postJson("/v1/events", writerKey, seed).json().getJsonArray("events")
        .forEach(a -> written.add(((JsonObject) a).getLong("position")));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        writers.add(pool.submit(() -> {
          for (int i = 0; i < 25; i++) {
            server.postJson("/v1/events", writerKey, io.eventvault.support.Events.batch(4, "p.t", "paging"))
                .json().getJsonArray("events").forEach(a -> written.add(((JsonObject) a).getLong("position")));
          }
        }));
      }
      List<Long> seen = new ArrayList<>();
      boolean finalPass = false;
      while (true) {
        // Page with the cursor to the end of what is visible now, then resume after the last position seen.
        long after = seen.isEmpty() ? 0 : seen.get(seen.size() - 1);
        String query = "/v1/events?projectId=paging&limit=13&fromPosition=" + (after + 1);
        String cursor = null;
        do {
          Response page = server.get(query + (cursor == null ? "" : "&cursor=" + cursor), writerKey);
          assertThat(page.status()).as(page.body()).isEqualTo(200);
          seen.addAll(positions(page.json().getJsonArray("events")));
          cursor = page.json().getString("nextCursor");
        } while (cursor != null);
        if (finalPass) {
          break;
        }
        finalPass = writers.stream().allMatch(Future::isDone);
      }
      for (Future<?> writer : writers) {
        writer.get(30, TimeUnit.SECONDS);
      }
      assertThat(seen).doesNotHaveDuplicates().isSorted();
      assertThat(seen).containsExactlyInAnyOrderElementsOf(written).hasSize(600);
    } finally {
      pool.shutdownNow();
    }
  }
}
