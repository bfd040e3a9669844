package io.eventvault.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.support.Events;
import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tenant lifecycle, per-tenant limits and the audit log, through the admin API. */
class TenantAdminTest {

  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start("tenants");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static Response patch(String tenant, JsonObject body) {
    return server.send("PATCH", "/v1/admin/tenants/" + tenant, TestServer.ADMIN_TOKEN, "application/json",
        body.encode());
  }

  @Test
  void a_tenant_at_its_request_limit_gets_429_while_another_tenant_keeps_succeeding() {
    String limited = server.tenantWithKey("limited", "query");
    String free = server.tenantWithKey("free", "query");
    assertThat(patch("limited", new JsonObject().put("limits", new JsonObject().put("requestsPerSecond", 1)))
        .status()).isEqualTo(200);
    String fresh = server.key("limited", new JsonObject().put("scopes", new JsonArray().add("query")));

    // A burst of 12 requests from each tenant at once: the limited one gets its one request per second.
    List<CompletableFuture<Response>> limitedAnswers = new ArrayList<>();
    List<CompletableFuture<Response>> freeAnswers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      limitedAnswers.add(CompletableFuture.supplyAsync(() -> server.get("/v1/events", fresh)));
      freeAnswers.add(CompletableFuture.supplyAsync(() -> server.get("/v1/events", free)));
    }
    int refused = 0;
    for (CompletableFuture<Response> answer : limitedAnswers) {
      Response limitedAnswer = answer.join();
      if (limitedAnswer.status() == 429) {
        refused++;
        assertThat(limitedAnswer.header("Retry-After")).isEqualTo("1");
        assertThat(limitedAnswer.contentType()).isEqualTo("application/problem+json");
      } else {
        assertThat(limitedAnswer.status()).isEqualTo(200);
      }
    }
    for (CompletableFuture<Response> answer : freeAnswers) {
      assertThat(answer.join().status()).as("the other tenant").isEqualTo(200);
    }
    assertThat(refused).isGreaterThanOrEqualTo(6);
    assertThat(limited).isNotNull();
  }

  @Test
  void events_per_second_and_batch_size_limits_apply_to_ingest() {
    server.tenantWithKey("metered", "ingest");
    // 2 events/s: a full bucket lets one batch of 8 through (into debt); the next waits about 4 s.
    patch("metered", new JsonObject().put("limits", new JsonObject().put("eventsPerSecond", 2)
        .put("maxBatchEvents", 8)));
    String key = server.key("metered", new JsonObject().put("scopes", new JsonArray().add("ingest")));

    assertThat(server.postJson("/v1/events", key, Events.batch(9, "t", "p")).status()).isEqualTo(413);
    assertThat(server.postJson("/v1/events", key, Events.batch(8, "t", "p")).status()).isEqualTo(201);
    Response over = server.postJson("/v1/events", key, Events.batch(8, "t", "p"));
    assertThat(over.status()).isEqualTo(429);
    assertThat(over.header("Retry-After")).isNotNull();
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events WHERE tenant_id = 'metered'"))
        .isEqualTo(8);
  }

  @Test
  void a_suspended_tenant_is_refused_at_once_and_can_be_reactivated() {
    String key = server.tenantWithKey("sleepy", "query");
    assertThat(server.get("/v1/events", key).status()).isEqualTo(200);

    assertThat(patch("sleepy", new JsonObject().put("status", "suspended")).json().getString("status"))
        .isEqualTo("suspended");
    Response refused = server.get("/v1/events", key);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().getString("detail")).contains("suspended");

    patch("sleepy", new JsonObject().put("status", "active"));
    assertThat(server.get("/v1/events", key).status()).isEqualTo(200);
    JsonArray tenants = server.get("/v1/admin/tenants", TestServer.ADMIN_TOKEN).json().getJsonArray("tenants");
    assertThat(tenants.stream().map(t -> ((JsonObject) t).getString("id"))).contains("sleepy");
  }

  @Test
  void deleting_a_tenant_removes_all_its_rows_and_reports_when_done() throws Exception {
    String doomed = server.tenantWithKey("doomed", "ingest", "replay");
    String kept = server.tenantWithKey("kept", "ingest", "query");
    for (int i = 0; i < 3; i++) {
      server.postJson("/v1/events", doomed, Events.batch(4000, "t", "p"));
    }
    server.postJson("/v1/subscriptions", doomed, new JsonObject().put("name", "s"));
    server.postJson("/v1/events", kept, Events.batch(10, "t", "p"));

    Response started = server.send("DELETE", "/v1/admin/tenants/doomed", TestServer.ADMIN_TOKEN, null, null);
    assertThat(started.status()).isEqualTo(202);
    assertThat(server.postJson("/v1/events", doomed, Events.event("t", "p")).status()).isIn(401, 403);

    JsonObject report = null;
    for (int i = 0; i < 100; i++) {
      report = server.get("/v1/admin/tenants/doomed/deletion", TestServer.ADMIN_TOKEN).json();
      if (!"running".equals(report.getString("status"))) {
        break;
      }
      Thread.sleep(100);
    }
    assertThat(report.getString("status")).isEqualTo("done");
    assertThat(report.getLong("eventsDeleted")).isEqualTo(12_000);
    assertThat(report.getString("finishedAt")).isNotNull();
    for (String table : new String[] {"events", "event_ids", "subscriptions", "api_keys"}) {
      assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM " + table + " WHERE tenant_id = 'doomed'"))
          .as(table).isZero();
    }
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM tenants WHERE id = 'doomed'")).isZero();
    assertThat(server.get("/v1/events", kept).json().getJsonArray("events")).hasSize(10);
  }

  @Test
  void keys_rotate_and_list_without_secrets_with_their_last_use() {
    String first = server.tenantWithKey("rotating", "query");
    String second = server.key("rotating", new JsonObject().put("scopes", new JsonArray().add("query")));
    assertThat(server.get("/v1/events", first).status()).isEqualTo(200);
    assertThat(server.get("/v1/events", second).status()).as("several keys are active at once").isEqualTo(200);

    JsonArray keys = server.get("/v1/admin/tenants/rotating/keys", TestServer.ADMIN_TOKEN).json()
        .getJsonArray("keys");

    assertThat(keys).hasSize(2);
    assertThat(keys.encode()).doesNotContain(first).doesNotContain(second).doesNotContain("evk_");
    assertThat(keys.stream().map(k -> ((JsonObject) k).getString("lastUsedAt"))).doesNotContainNull();
    String oldId = keys.getJsonObject(0).getString("id");
    server.send("DELETE", "/v1/admin/tenants/rotating/keys/" + oldId, TestServer.ADMIN_TOKEN, null, null);
    JsonArray after = server.get("/v1/admin/tenants/rotating/keys", TestServer.ADMIN_TOKEN).json()
        .getJsonArray("keys");
    assertThat(after.stream().filter(k -> ((JsonObject) k).getString("id").equals(oldId))
        .map(k -> ((JsonObject) k).getString("revokedAt"))).doesNotContainNull();
  }

  @Test
  void admin_actions_are_in_the_audit_log_with_who_did_them() {
    String tenantAdmin = server.tenantWithKey("audited", "admin");
    Response created = server.postJson("/v1/admin/tenants/audited/keys", tenantAdmin,
        new JsonObject().put("scopes", new JsonArray().add("query")));
    server.send("DELETE", "/v1/admin/tenants/audited/keys/" + created.json().getString("id"), tenantAdmin, null, null);
    patch("audited", new JsonObject().put("limits", new JsonObject().put("requestsPerSecond", 100)));

    JsonArray entries = server.get("/v1/admin/audit?tenantId=audited", TestServer.ADMIN_TOKEN).json()
        .getJsonArray("entries");

    assertThat(entries.stream().map(e -> ((JsonObject) e).getString("action")))
        .containsExactly("tenant.update", "key.revoke", "key.create", "key.create", "tenant.create");
    JsonObject revoke = entries.getJsonObject(1);
    assertThat(revoke.getString("actor")).startsWith("key:");
    assertThat(entries.getJsonObject(4).getString("actor")).isEqualTo("admin");
    assertThat(entries.encode()).as("secrets never reach the audit log").doesNotContain("evk_");
    assertThat(server.get("/v1/admin/audit", tenantAdmin).status()).isEqualTo(403);
  }
}
