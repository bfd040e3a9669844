package io.eventvault;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.config.DatabaseUrl;
import io.eventvault.config.EventvaultConfig;
import io.eventvault.config.EventvaultConfig.QueryConfig;
import io.eventvault.support.Events;
import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two servers on one database, as behind a load balancer. Auth caches and follower polls are set to a
 * minute, so anything that happens sooner travelled by PostgreSQL NOTIFY.
 */
class TwoNodesTest {

  static DatabaseUrl database;
  static TestServer first;
  static TestServer second;

  static EventvaultConfig slowCaches(EventvaultConfig c) {
    return new EventvaultConfig(c.http(), c.database(), c.adminToken(), 60, c.writer(),
        new QueryConfig(1, 100, 1000, 100, 10_000, 15, 60_000, 10, 100_000), c.partitions(), c.limits());
  }

  @BeforeAll
  static void start() {
    database = TestDatabase.create("twonodes");
    first = TestServer.startOn(database, TwoNodesTest::slowCaches);
    second = TestServer.startOn(database, TwoNodesTest::slowCaches);
  }

  @AfterAll
  static void stop() {
    second.server().stop().await();
    first.close();
  }

  @Test
  void a_key_revoked_on_one_node_stops_working_on_the_other_at_once() throws Exception {
    first.tenantWithKey("acme", "query");
    JsonObject created = first.postJson("/v1/admin/tenants/acme/keys", TestServer.ADMIN_TOKEN,
        new JsonObject().put("scopes", new JsonArray().add("query"))).json();
    String key = created.getString("key");
    assertThat(second.get("/v1/events", key).status()).as("cached on the second node").isEqualTo(200);

    first.send("DELETE", "/v1/admin/tenants/acme/keys/" + created.getString("id"), TestServer.ADMIN_TOKEN, null,
        null);

    long start = System.nanoTime();
    int status = 0;
    for (int i = 0; i < 250 && status != 401; i++) {
      status = second.get("/v1/events", key).status();
      Thread.sleep(20);
    }
    assertThat(status).isEqualTo(401);
    assertThat((System.nanoTime() - start) / 1_000_000).as("refused before the 60 s cache could expire")
        .isLessThan(60_000);
  }

  @Test
  void a_follower_on_one_node_sees_events_written_on_the_other_without_polling() throws Exception {
    String key = first.tenantWithKey("live", "ingest", "replay");
    HttpClient client = HttpClient.newHttpClient();
    List<Long> seen = new ArrayList<>();
    CompletableFuture<Void> follower = CompletableFuture.runAsync(() -> {
      try {
        HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(
                URI.create(second.baseUrl() + "/v1/events/stream?follow=true"))
            .header("Authorization", "Bearer " + key).header("Accept", "application/x-ndjson").build(),
            HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        String line;
        while (seen.size() < 20 && (line = reader.readLine()) != null) {
          if (!line.isEmpty()) {
            seen.add(new JsonObject(line).getLong("position"));
          }
        }
        response.body().close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(500);
    List<Long> written = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      first.postJson("/v1/events", key, Events.batch(10, "t", "p")).json().getJsonArray("events")
          .forEach(e -> written.add(((JsonObject) e).getLong("position")));
    }
    follower.get(10, TimeUnit.SECONDS);
    assertThat(seen).isEqualTo(written);
  }
}
