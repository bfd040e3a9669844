package io.eventvault.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.support.Events;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tenant comes from the key: tenant B never reads, lists, replays or overwrites tenant A's events. */
class TenantIsolationTest {

  static TestServer server;
  static String a;
  static String b;
  static JsonObject aEvent;

  @BeforeAll
  static void start() {
    server = TestServer.start("isolation");
    a = server.tenantWithKey("tenant-a", "ingest", "query", "replay");
    b = server.tenantWithKey("tenant-b", "ingest", "query", "replay");
    aEvent = Events.event("secret.created", "shop").put("userId", "user-1").put("subject", "s-1")
        .put("correlationId", "c-1");
    assertThat(server.postJson("/v1/events", a, aEvent).status()).isEqualTo(201);
    server.postJson("/v1/events", a, Events.batch(5, "secret.created", "shop"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void b_cannot_read_a_by_id() {
    assertThat(server.get("/v1/events/" + aEvent.getString("id"), b).status()).isEqualTo(404);
  }

  @Test
  void b_lists_queries_and_replays_none_of_a() {
    String b = server.tenantWithKey("tenant-c", "ingest", "query", "replay");
    for (String path : new String[] {"/v1/events", "/v1/events?projectId=shop", "/v1/events?userId=user-1",
        "/v1/events?subject=s-1", "/v1/events?type=secret.created"}) {
      Response response = server.get(path, b);
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.json().getJsonArray("events")).as(path).isEmpty();
    }
    Response query = server.postJson("/v1/events/query", b, new JsonObject().put("correlationId", "c-1"));
    assertThat(query.json().getJsonArray("events")).isEmpty();
    Response stream = server.send("GET", "/v1/events/stream", b, null, null,
        r -> r.header("Accept", "application/x-ndjson"));
    assertThat(stream.status()).isEqualTo(200);
    assertThat(stream.body()).isEmpty();
  }

  @Test
  void a_cursor_of_a_is_refused_for_b() {
    String cursor = server.get("/v1/events?limit=1", a).json().getString("nextCursor");
    assertThat(cursor).isNotNull();
    assertThat(server.get("/v1/events?limit=1&cursor=" + cursor, b).status()).isEqualTo(400);
  }

  @Test
  void the_same_event_id_in_b_is_b_own_event_and_leaves_a_untouched() {
    JsonObject copy = aEvent.copy().put("payload", new JsonObject().put("from", "b"));

    Response response = server.postJson("/v1/events", b, copy);

    assertThat(response.json().getJsonArray("events").getJsonObject(0).getBoolean("duplicate"))
        .as("dedup is per tenant").isFalse();
    assertThat(server.get("/v1/events/" + aEvent.getString("id"), a).json().getJsonObject("payload"))
        .isEqualTo(aEvent.getJsonObject("payload"));
    assertThat(server.get("/v1/events/" + aEvent.getString("id"), b).json().getJsonObject("payload"))
        .isEqualTo(new JsonObject().put("from", "b"));
  }

  @Test
  void a_tenant_id_in_the_body_is_refused_not_obeyed() {
    Response response = server.postJson("/v1/events", b,
        new JsonArray().add(Events.event("t", "shop").put("tenantId", "tenant-a")));

    assertThat(response.status()).isEqualTo(422);
    assertThat(server.get("/v1/events?type=t", a).json().getJsonArray("events")).isEmpty();
  }

  @Test
  void b_cannot_manage_a_keys() {
    String bAdmin = server.tenantWithKey("tenant-b", "admin");
    assertThat(server.postJson("/v1/admin/tenants/tenant-a/keys", bAdmin,
        new JsonObject().put("scopes", new JsonArray().add("query"))).status()).isEqualTo(403);
    assertThat(server.postJson("/v1/admin/tenants/tenant-b/keys", bAdmin,
        new JsonObject().put("scopes", new JsonArray().add("query"))).status()).isEqualTo(201);
  }

  @Test
  void a_revoked_key_stops_working_at_once() {
    Response created = server.postJson("/v1/admin/tenants/tenant-a/keys", TestServer.ADMIN_TOKEN,
        new JsonObject().put("scopes", new JsonArray().add("query")));
    String key = created.json().getString("key");
    assertThat(server.get("/v1/events", key).status()).isEqualTo(200);

    Response revoked = server.send("DELETE", "/v1/admin/tenants/tenant-a/keys/" + created.json().getString("id"),
        TestServer.ADMIN_TOKEN, null, null);

    assertThat(revoked.status()).isEqualTo(204);
    for (int i = 0; i < 4; i++) {
      assertThat(server.get("/v1/events", key).status()).isEqualTo(401);
    }
  }

  @Test
  void a_project_scoped_key_sees_and_writes_only_its_projects() {
    String scoped = server.key("tenant-a", new JsonObject().put("scopes", new JsonArray().add("ingest").add("query"))
        .put("projects", new JsonArray().add("blog")));
    assertThat(server.postJson("/v1/events", scoped, Events.event("t", "shop")).status()).isEqualTo(403);
    assertThat(server.postJson("/v1/events", scoped, Events.event("t", "blog")).status()).isEqualTo(201);
    assertThat(server.get("/v1/events?projectId=shop", scoped).status()).isEqualTo(403);
    JsonArray visible = server.get("/v1/events", scoped).json().getJsonArray("events");
    assertThat(visible).isNotEmpty().allMatch(e -> ((JsonObject) e).getString("projectId").equals("blog"));
    assertThat(server.get("/v1/events/" + aEvent.getString("id"), scoped).status()).isEqualTo(404);
  }
}
