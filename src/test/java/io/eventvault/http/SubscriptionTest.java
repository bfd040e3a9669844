package io.eventvault.http;

import static org.assertj.core.api.Assertions.assertThat;

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

/** Durable subscriptions: a named checkpoint per tenant, streamed from and acknowledged. */
class SubscriptionTest {

  static TestServer server;
  static String key;
  static String other;

  @BeforeAll
  static void start() {
    server = TestServer.start("subscriptions");
    key = server.tenantWithKey("acme", "ingest", "replay");
    other = server.tenantWithKey("globex", "ingest", "replay");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static List<Long> positions(JsonArray acks) {
    List<Long> positions = new ArrayList<>();
    acks.forEach(a -> positions.add(((JsonObject) a).getLong("position")));
    return positions;
  }

  private static List<JsonObject> stream(String name, String k) {
    Response response = server.send("GET", "/v1/subscriptions/" + name + "/stream?follow=false", k, null, null,
        b -> b.header("Accept", "application/x-ndjson"));
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    List<JsonObject> events = new ArrayList<>();
    response.body().lines().filter(l -> !l.isEmpty()).forEach(l -> events.add(new JsonObject(l)));
    return events;
  }

  @Test
  void a_subscription_filter_keeps_every_decimal_digit_as_sent() {
    // Raw JSON text: a client's own encoder would round 1.0000000000000001 to a double first.
    Response created = server.post("/v1/subscriptions", key, "application/json", "{\"name\":\"precise\","
        + "\"filter\":{\"projectId\":\"precise\",\"where\":[{\"path\":\"payload.amount\",\"op\":\"eq\","
        + "\"value\":1.0000000000000001}]}}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    Response stored = server.post("/v1/events", key, "application/json",
        "[{\"type\":\"price.set\",\"projectId\":\"precise\",\"payload\":{\"amount\":1.0}},"
            + "{\"type\":\"price.set\",\"projectId\":\"precise\",\"payload\":{\"amount\":1.0000000000000001}}]");
    assertThat(stored.status()).as(stored.body()).isEqualTo(201);

    assertThat(stream("precise", key)).extracting(e -> e.getLong("position"))
        .containsExactly(positions(stored.json().getJsonArray("events")).get(1));
  }

  @Test
  void a_consumer_that_acknowledges_and_reconnects_gets_every_event_once() {
    List<Long> orders = positions(server.postJson("/v1/events", key, Events.batch(30, "order.created", "shop"))
        .json().getJsonArray("events"));
    server.postJson("/v1/events", key, Events.batch(5, "page.viewed", "shop"));
    Response created = server.postJson("/v1/subscriptions", key, new JsonObject().put("name", "billing")
        .put("filter", new JsonObject().put("projectId", "shop").put("typePrefix", "order.")));
    assertThat(created.status()).as(created.body()).isEqualTo(201);

    List<JsonObject> firstRun = stream("billing", key);
    List<Long> processed = new ArrayList<>();
    for (JsonObject event : firstRun.subList(0, 12)) {
      processed.add(event.getLong("position"));
    }
    assertThat(server.postJson("/v1/subscriptions/billing/ack", key,
        new JsonObject().put("position", processed.get(processed.size() - 1))).status()).isEqualTo(200);
    orders.addAll(positions(server.postJson("/v1/events", key, Events.batch(10, "order.paid", "shop"))
        .json().getJsonArray("events")));

    for (JsonObject event : stream("billing", key)) {
      processed.add(event.getLong("position"));
    }

    assertThat(processed).isEqualTo(orders);
  }

  @Test
  void checkpoints_only_move_forward_and_lag_is_reported() {
    List<Long> written = positions(server.postJson("/v1/events", key, Events.batch(20, "lag.t", "lag"))
        .json().getJsonArray("events"));
    server.postJson("/v1/subscriptions", key, new JsonObject().put("name", "lagging")
        .put("filter", new JsonObject().put("projectId", "lag")));
    server.postJson("/v1/subscriptions/lagging/ack", key, new JsonObject().put("position", written.get(14)));
    Response back = server.postJson("/v1/subscriptions/lagging/ack", key, new JsonObject().put("position", written.get(2)));
    assertThat(back.json().getLong("position")).isEqualTo(written.get(14));

    JsonObject lag = server.get("/v1/subscriptions/lagging", key).json().getJsonObject("lag");
    assertThat(lag.getLong("events")).isEqualTo(5);
    assertThat(lag.getBoolean("capped")).isFalse();
    assertThat(lag.getDouble("seconds")).isGreaterThanOrEqualTo(0);
    JsonArray list = server.get("/v1/subscriptions", key).json().getJsonArray("subscriptions");
    assertThat(list.stream().map(s -> ((JsonObject) s).getString("name"))).contains("lagging");
    assertThat(server.get("/metrics", null).body())
        .contains("eventvault_subscription_lag_events{subscription=\"lagging\",tenant=\"acme\"} 5.0");
  }

  @Test
  void subscriptions_are_per_tenant() {
    server.postJson("/v1/subscriptions", key, new JsonObject().put("name", "mine"));
    assertThat(server.get("/v1/subscriptions/mine", other).status()).isEqualTo(404);
    assertThat(server.postJson("/v1/subscriptions/mine/ack", other, new JsonObject().put("position", 5)).status())
        .isEqualTo(404);
    assertThat(server.send("DELETE", "/v1/subscriptions/mine", other, null, null).status()).isEqualTo(404);
    assertThat(server.send("GET", "/v1/subscriptions/mine/stream", other, null, null,
        b -> b.header("Accept", "application/x-ndjson")).status()).isEqualTo(404);
    Response same = server.postJson("/v1/subscriptions", other, new JsonObject().put("name", "mine"));
    assertThat(same.status()).as("the same name in another tenant is another subscription").isEqualTo(201);
    assertThat(server.get("/v1/subscriptions/mine", key).status()).isEqualTo(200);
  }

  @Test
  void create_validates_and_delete_removes() {
    assertThat(server.postJson("/v1/subscriptions", key, new JsonObject().put("name", "bad name!")).status())
        .isEqualTo(422);
    assertThat(server.postJson("/v1/subscriptions", key, new JsonObject().put("name", "x")
        .put("filter", new JsonObject().put("limit", 5))).status()).isEqualTo(400);
    assertThat(server.postJson("/v1/subscriptions", key, new JsonObject().put("name", "x")
        .put("filter", new JsonObject().put("projectid", "typo"))).status()).isEqualTo(400);
    assertThat(server.postJson("/v1/subscriptions", key, new JsonObject().put("name", "gone")).status())
        .isEqualTo(201);
    assertThat(server.postJson("/v1/subscriptions", key, new JsonObject().put("name", "gone")).status())
        .isEqualTo(409);
    assertThat(server.send("DELETE", "/v1/subscriptions/gone", key, null, null).status()).isEqualTo(204);
    assertThat(server.get("/v1/subscriptions/gone", key).status()).isEqualTo(404);
  }
}
