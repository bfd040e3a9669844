package io.eventvault.http;

import static io.eventvault.support.Events.event;
import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every refusal is problem+json with the documented status, and stores nothing. */
class ErrorsTest {

  static TestServer server;
  static String key;
  static String queryOnly;

  @BeforeAll
  static void start() {
    server = TestServer.start("errors", c -> c.withHttp(new io.eventvault.config.EventvaultConfig.HttpConfig(
        "127.0.0.1", 0, 1, 64 * 1024, 4 * 1024, 5)));
    key = server.tenantWithKey("acme", "ingest", "query", "replay");
    queryOnly = server.tenantWithKey("acme", "query");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void nothing_was_stored() {
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events")).isZero();
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM event_ids")).isZero();
  }

  private static void assertProblem(Response response, int status) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.contentType()).isEqualTo("application/problem+json");
    JsonObject problem = response.json();
    assertThat(problem.getInteger("status")).isEqualTo(status);
    assertThat(problem.getString("title")).isNotBlank();
    assertThat(problem.getString("detail")).isNotBlank();
  }

  @Test
  void malformed_json_is_400() {
    assertProblem(server.post("/v1/events", key, "application/json", "{\"type\": "), 400);
    assertProblem(server.post("/v1/events", key, "application/json", "{\"a\":1}{\"b\":2}"), 400);
    assertProblem(server.post("/v1/events", key, "application/x-ndjson", event("t", "p").encode() + "\n{oops"), 400);
  }

  @Test
  void duplicate_keys_in_an_event_are_400() {
    assertProblem(server.post("/v1/events", key, "application/json",
        "{\"type\":\"a\",\"type\":\"b\",\"projectId\":\"p\",\"payload\":{}}"), 400);
  }

  @Test
  void a_wrong_or_missing_media_type_is_415() {
    assertProblem(server.post("/v1/events", key, "text/plain", event("t", "p").encode()), 415);
    assertProblem(server.post("/v1/events", key, null, event("t", "p").encode()), 415);
    assertProblem(server.post("/v1/events/query", key, "text/plain", "{}"), 415);
  }

  @Test
  void an_oversized_body_is_413() {
    String big = "x".repeat(70 * 1024);
    Response response = server.postJson("/v1/events", key, event("t", "p").put("payload",
        new JsonObject().put("big", big)));
    assertProblem(response, 413);
  }

  @Test
  void an_oversized_event_in_a_batch_is_413_naming_its_index() {
    JsonArray batch = new JsonArray().add(event("t", "p"))
        .add(event("t", "p").put("payload", new JsonObject().put("big", "y".repeat(5000))));
    Response response = server.postJson("/v1/events", key, batch);
    assertProblem(response, 413);
    assertThat(response.json().getJsonArray("errors").getJsonObject(0).getInteger("index")).isEqualTo(1);
  }

  @Test
  void missing_or_mistyped_fields_are_422_with_each_failure_listed() {
    JsonArray batch = new JsonArray()
        .add(new JsonObject().put("projectId", "p").put("payload", new JsonObject()))
        .add(new JsonObject().put("type", 5).put("projectId", "p").put("payload", new JsonObject()))
        .add(event("t", "p").put("occurredAt", "yesterday"))
        .add(event("t", "p").put("id", "not-a-uuid"))
        .add(event("t", "p").put("schemaVersion", 0))
        .add(event("t", "p").put("metadata", "text"))
        .add(event("t", "p").put("tenantId", "other"))
        .add(event("t", "bad project!"))
        .add(event("t", "p").put("payload", new JsonObject().put("nul", "a\u0000b")))
        .add("not an object");
    Response response = server.postJson("/v1/events", key, batch);
    assertProblem(response, 422);
    JsonArray errors = response.json().getJsonArray("errors");
    assertThat(errors.stream().map(e -> ((JsonObject) e).getInteger("index")).distinct())
        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(errors.encode()).contains("type is required").contains("type must be a string")
        .contains("occurredAt").contains("tenantId is set by the server");
  }

  @Test
  void an_empty_batch_is_422() {
    assertProblem(server.postJson("/v1/events", key, new JsonArray()), 422);
  }

  @Test
  void a_missing_or_unknown_token_is_401() {
    Response missing = server.postJson("/v1/events", null, event("t", "p"));
    assertProblem(missing, 401);
    assertThat(missing.header("WWW-Authenticate")).isEqualTo("Bearer");
    assertProblem(server.postJson("/v1/events", "evk_unknown", event("t", "p")), 401);
    assertProblem(server.get("/v1/events", "evk_unknown"), 401);
    assertProblem(server.send("GET", "/v1/events", null, null, null, b -> b.header("Authorization", "Basic eDp5")),
        401);
  }

  @Test
  void a_missing_scope_is_403() {
    assertProblem(server.postJson("/v1/events", queryOnly, event("t", "p")), 403);
    assertProblem(server.get("/v1/events/stream", queryOnly), 403);
    assertProblem(server.postJson("/v1/admin/tenants", key, new JsonObject().put("id", "x")), 403);
  }

  @Test
  void the_admin_token_cannot_write_events_because_it_has_no_tenant() {
    assertProblem(server.postJson("/v1/events", TestServer.ADMIN_TOKEN, event("t", "p")), 403);
  }

  @Test
  void bad_query_parameters_are_400() {
    assertProblem(server.get("/v1/events?limit=0", key), 400);
    assertProblem(server.get("/v1/events?limit=1001", key), 400);
    assertProblem(server.get("/v1/events?order=sideways", key), 400);
    assertProblem(server.get("/v1/events?occurredFrom=yesterday", key), 400);
    assertProblem(server.get("/v1/events?projectid=p", key), 400);
    assertProblem(server.get("/v1/events?cursor=abc", key), 400);
    assertProblem(server.get("/v1/events/not-a-uuid", key), 400);
    assertProblem(server.postJson("/v1/events/query", key, new JsonObject().put("where",
        new JsonArray().add(new JsonObject().put("path", "payload.a").put("op", "like").put("value", 1)))), 400);
    assertProblem(server.postJson("/v1/events/query", key, new JsonObject().put("where",
        new JsonArray().add(new JsonObject().put("path", "payload.a'; drop table events;--").put("op", "eq")
            .put("value", 1)))), 400);
    assertProblem(server.postJson("/v1/events/query", key, new JsonObject().put("limits", 5)), 400);
  }

  @Test
  void unknown_routes_and_events_are_404() {
    assertProblem(server.get("/v1/nothing", key), 404);
    assertProblem(server.get("/v1/events/" + java.util.UUID.randomUUID(), key), 404);
  }

  @Test
  void a_stream_with_an_unsupported_accept_is_406() {
    assertProblem(server.send("GET", "/v1/events/stream", key, null, null, b -> b.header("Accept", "text/html")),
        406);
  }
}
