package io.eventvault.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;

/**
 * Every tenant endpoint, called by tenant B with everything it could know about tenant A: the same project
 * names, user ids, event ids and subscription names, A's cursors and key ids, and A's tenant id in bodies.
 * Nothing of A is ever returned, changed or deleted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IsolationMatrixTest {

  static TestServer server;
  static String a;
  static String b;
  static final String SHARED_ID = UUID.randomUUID().toString();
  static String aCursor;
  static String aKeyId;

  static JsonObject event(String marker) {
    return new JsonObject().put("id", SHARED_ID).put("type", "order.created").put("projectId", "shop")
        .put("userId", "user-1").put("subject", "s-1").put("correlationId", "c-1")
        .put("payload", new JsonObject().put("owner", marker));
  }

  @BeforeAll
  static void start() {
    server = TestServer.start("matrix");
    a = server.tenantWithKey("tenant-a", "ingest", "query", "replay", "admin");
    b = server.tenantWithKey("tenant-b", "ingest", "query", "replay", "admin");
    server.postJson("/v1/events", a, new JsonArray().add(event("A"))
        .add(event("A").put("id", UUID.randomUUID().toString())));
    server.postJson("/v1/events", b, event("B"));
    server.postJson("/v1/subscriptions", a, new JsonObject().put("name", "orders"));
    server.postJson("/v1/subscriptions/orders/ack", a, new JsonObject().put("position", 1));
    aCursor = server.get("/v1/events?projectId=shop&limit=1", a).json().getString("nextCursor");
    aKeyId = server.get("/v1/admin/tenants/tenant-a/keys", TestServer.ADMIN_TOKEN).json().getJsonArray("keys")
        .getJsonObject(0).getString("id");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static Response stream(String path) {
    return server.send("GET", path, b, null, null, r -> r.header("Accept", "application/x-ndjson"));
  }

  @Test
  void b_reads_only_its_own_event_under_every_read_endpoint() {
    List<Function<Void, Response>> reads = List.of(
        v -> server.get("/v1/events/" + SHARED_ID, b),
        v -> server.get("/v1/events?projectId=shop&userId=user-1&subject=s-1", b),
        v -> server.get("/v1/events?type=order.created&order=desc", b),
        v -> server.postJson("/v1/events/query", b, new JsonObject().put("projectId", "shop")
            .put("correlationId", "c-1").put("count", "exact")),
        v -> server.postJson("/v1/events/query", b, new JsonObject().put("payload",
            new JsonObject().put("contains", new JsonObject().put("owner", "A")))),
        v -> stream("/v1/events/stream?projectId=shop"),
        v -> stream("/v1/events/stream?follow=false"));
    for (Function<Void, Response> read : reads) {
      Response response = read.apply(null);
      assertThat(response.status()).as(response.body()).isEqualTo(200);
      assertThat(response.body()).doesNotContain("\"owner\":\"A\"").doesNotContain("tenant-a");
    }
    Response count = server.postJson("/v1/events/query", b, new JsonObject().put("projectId", "shop")
        .put("count", "exact"));
    assertThat(count.json().getJsonObject("count").getLong("value")).isEqualTo(1);
  }

  @Test
  void b_cannot_use_a_cursor_subscription_or_key_of_a() {
    assertThat(server.get("/v1/events?projectId=shop&limit=1&cursor=" + aCursor, b).status()).isEqualTo(400);
    assertThat(server.get("/v1/subscriptions/orders", b).status()).isEqualTo(404);
    assertThat(stream("/v1/subscriptions/orders/stream?follow=false").status()).isEqualTo(404);
    assertThat(server.postJson("/v1/subscriptions/orders/ack", b, new JsonObject().put("position", 999)).status())
        .isEqualTo(404);
    assertThat(server.send("DELETE", "/v1/subscriptions/orders", b, null, null).status()).isEqualTo(404);
    assertThat(server.get("/v1/subscriptions", b).json().getJsonArray("subscriptions")).isEmpty();
    assertThat(server.send("DELETE", "/v1/admin/tenants/tenant-b/keys/" + aKeyId, b, null, null).status())
        .isEqualTo(404);
    assertThat(server.send("DELETE", "/v1/admin/tenants/tenant-a/keys/" + aKeyId, b, null, null).status())
        .isEqualTo(403);
    assertThat(server.get("/v1/admin/tenants/tenant-a/keys", b).status()).isEqualTo(403);
    assertThat(server.postJson("/v1/admin/tenants/tenant-a/keys", b,
        new JsonObject().put("scopes", new JsonArray().add("query"))).status()).isEqualTo(403);
    assertThat(server.send("PATCH", "/v1/admin/tenants/tenant-a", b, "application/json",
        new JsonObject().put("status", "suspended").encode()).status()).isEqualTo(403);
    assertThat(server.send("DELETE", "/v1/admin/tenants/tenant-a", b, null, null).status()).isEqualTo(403);
  }

  @Test
  void b_cannot_write_into_a() {
    Response withTenant = server.postJson("/v1/events", b, event("B2").put("id", UUID.randomUUID().toString())
        .put("tenantId", "tenant-a"));
    assertThat(withTenant.status()).isEqualTo(422);
    Response sameId = server.postJson("/v1/events", b, event("B3"));
    assertThat(sameId.json().getJsonArray("events").getJsonObject(0).getBoolean("duplicate"))
        .as("B's own earlier event with that id, not A's").isTrue();
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void a_is_unchanged_after_all_of_it() {
    assertThat(server.get("/v1/events/" + SHARED_ID, a).json().getJsonObject("payload").getString("owner"))
        .isEqualTo("A");
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events WHERE tenant_id = 'tenant-a'"))
        .isEqualTo(2);
    JsonObject subscription = server.get("/v1/subscriptions/orders", a).json();
    assertThat(subscription.getLong("position")).isEqualTo(1);
    assertThat(server.get("/v1/events", a).status()).isEqualTo(200);
    assertThat(server.get("/v1/admin/tenants", TestServer.ADMIN_TOKEN).json().getJsonArray("tenants").stream()
        .filter(t -> ((JsonObject) t).getString("id").equals("tenant-a"))
        .map(t -> ((JsonObject) t).getString("status"))).containsExactly("active");
  }
}
