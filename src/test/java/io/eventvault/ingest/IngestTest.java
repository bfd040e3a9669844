package io.eventvault.ingest;

import static io.eventvault.support.Events.event;
import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IngestTest {

  static TestServer server;
  static String key;

  @BeforeAll
  static void start() {
    server = TestServer.start("ingest");
    key = server.tenantWithKey("acme", "ingest", "query");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void an_acknowledged_event_is_visible_from_a_fresh_connection_with_all_its_fields() throws Exception {
    JsonObject sent = new JsonObject()
        .put("id", UUID.randomUUID().toString())
        .put("type", "order.created")
        .put("projectId", "shop")
        .put("source", "checkout-service")
        .put("subject", "order/42")
        .put("userId", "user-9")
        .put("occurredAt", "2026-12-04T12:00:00.123Z")
        .put("schemaVersion", 3)
        .put("correlationId", "c-1")
        .put("causationId", "e-0")
        .put("metadata", new JsonObject().put("ip", "203.0.113.7"))
        .put("payload", new JsonObject().put("orderId", "42").put("amount", 19.99));

    Response response = server.postJson("/v1/events", key, sent);

    assertThat(response.status()).isEqualTo(201);
    JsonObject ack = response.json().getJsonArray("events").getJsonObject(0);
    assertThat(ack.getString("id")).isEqualTo(sent.getString("id"));
    assertThat(ack.getBoolean("duplicate")).isFalse();
    try (Connection c = TestDatabase.connect(server.database());
        PreparedStatement s = c.prepareStatement("""
            SELECT tenant_id, position, type, project_id, source, subject, user_id, occurred_at, schema_version,
                   correlation_id, causation_id, metadata::text, payload->>'orderId', (payload->>'amount')::numeric
            FROM events WHERE id = ?::uuid""")) {
      s.setString(1, sent.getString("id"));
      ResultSet row = s.executeQuery();
      assertThat(row.next()).as("row committed before the 201").isTrue();
      assertThat(row.getString(1)).isEqualTo("acme");
      assertThat(row.getLong(2)).isEqualTo(ack.getLong("position"));
      assertThat(row.getString(3)).isEqualTo("order.created");
      assertThat(row.getString(4)).isEqualTo("shop");
      assertThat(row.getString(5)).isEqualTo("checkout-service");
      assertThat(row.getString(6)).isEqualTo("order/42");
      assertThat(row.getString(7)).isEqualTo("user-9");
      assertThat(row.getObject(8, java.time.OffsetDateTime.class).toInstant())
          .isEqualTo(java.time.Instant.parse("2026-12-04T12:00:00.123Z"));
      assertThat(row.getInt(9)).isEqualTo(3);
      assertThat(row.getString(10)).isEqualTo("c-1");
      assertThat(row.getString(11)).isEqualTo("e-0");
      assertThat(new JsonObject(row.getString(12))).isEqualTo(new JsonObject().put("ip", "203.0.113.7"));
      assertThat(row.getString(13)).isEqualTo("42");
      assertThat(row.getBigDecimal(14)).isEqualByComparingTo("19.99");
    }

    Response read = server.get("/v1/events/" + sent.getString("id"), key);
    assertThat(read.status()).isEqualTo(200);
    JsonObject stored = read.json();
    assertThat(stored.getString("tenantId")).isEqualTo("acme");
    assertThat(stored.getLong("position")).isEqualTo(ack.getLong("position"));
    assertThat(stored.getString("occurredAt")).isEqualTo("2026-12-04T12:00:00.123Z");
    assertThat(stored.getString("recordedAt")).isNotNull();
    assertThat(stored.getJsonObject("payload")).isEqualTo(sent.getJsonObject("payload"));
    assertThat(stored.getJsonObject("metadata")).isEqualTo(sent.getJsonObject("metadata"));
  }

  @Test
  void a_missing_id_is_generated_as_uuid_v7_and_a_missing_occurred_at_is_server_time() {
    JsonObject sent = new JsonObject().put("type", "t").put("projectId", "p").put("payload", new JsonObject());

    Response response = server.postJson("/v1/events", key, sent);

    assertThat(response.status()).isEqualTo(201);
    UUID id = UUID.fromString(response.json().getJsonArray("events").getJsonObject(0).getString("id"));
    assertThat(id.version()).isEqualTo(7);
    JsonObject stored = server.get("/v1/events/" + id, key).json();
    assertThat(java.time.Instant.parse(stored.getString("occurredAt")))
        .isBetween(java.time.Instant.now().minusSeconds(60), java.time.Instant.now().plusSeconds(1));
  }

  @Test
  void a_batch_is_answered_in_request_order_with_increasing_positions() {
    JsonArray batch = io.eventvault.support.Events.batch(50, "batch.t", "shop");

    Response response = server.postJson("/v1/events", key, batch);

    assertThat(response.status()).isEqualTo(201);
    JsonArray acks = response.json().getJsonArray("events");
    assertThat(acks).hasSize(50);
    long previous = 0;
    for (int i = 0; i < 50; i++) {
      assertThat(acks.getJsonObject(i).getString("id")).isEqualTo(batch.getJsonObject(i).getString("id"));
      assertThat(acks.getJsonObject(i).getLong("position")).isGreaterThan(previous);
      previous = acks.getJsonObject(i).getLong("position");
    }
  }

  @Test
  void a_batch_with_one_bad_event_stores_nothing_and_names_the_bad_index() {
    JsonArray batch = new JsonArray()
        .add(event("ok", "atomic"))
        .add(event("ok", "atomic"))
        .add(new JsonObject().put("type", "bad").put("projectId", "atomic"))
        .add(event("ok", "atomic"));

    Response response = server.postJson("/v1/events", key, batch);

    assertThat(response.status()).isEqualTo(422);
    assertThat(response.contentType()).startsWith("application/problem+json");
    JsonArray errors = response.json().getJsonArray("errors");
    assertThat(errors).hasSize(1);
    assertThat(errors.getJsonObject(0).getInteger("index")).isEqualTo(2);
    assertThat(errors.getJsonObject(0).getString("field")).isEqualTo("payload");
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events WHERE project_id = 'atomic'"))
        .isZero();
  }

  @Test
  void a_re_sent_id_is_not_stored_twice_and_returns_the_original_position() {
    JsonObject original = event("dup.t", "dedup");
    long position = server.postJson("/v1/events", key, original).json().getJsonArray("events").getJsonObject(0)
        .getLong("position");
    server.postJson("/v1/events", key, io.eventvault.support.Events.batch(3, "other", "dedup"));

    Response again = server.postJson("/v1/events", key,
        new JsonArray().add(original.copy().put("payload", new JsonObject().put("changed", true)))
            .add(event("dup.t", "dedup")));

    assertThat(again.status()).isEqualTo(201);
    JsonObject first = again.json().getJsonArray("events").getJsonObject(0);
    assertThat(first.getBoolean("duplicate")).isTrue();
    assertThat(first.getLong("position")).isEqualTo(position);
    assertThat(again.json().getJsonArray("events").getJsonObject(1).getBoolean("duplicate")).isFalse();
    assertThat(TestDatabase.count(server.database(),
        "SELECT count(*) FROM events WHERE id = '" + original.getString("id") + "'")).isEqualTo(1);
    assertThat(TestDatabase.count(server.database(),
        "SELECT count(*) FROM events WHERE id = '" + original.getString("id") + "' AND payload ? 'changed'"))
        .as("the first version is kept").isZero();
  }

  @Test
  void the_same_id_twice_in_one_batch_is_stored_once() {
    JsonObject event = event("twice", "dedup2");

    Response response = server.postJson("/v1/events", key, new JsonArray().add(event).add(event));

    JsonArray acks = response.json().getJsonArray("events");
    assertThat(acks.getJsonObject(0).getBoolean("duplicate")).isFalse();
    assertThat(acks.getJsonObject(1).getBoolean("duplicate")).isTrue();
    assertThat(acks.getJsonObject(1).getLong("position")).isEqualTo(acks.getJsonObject(0).getLong("position"));
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events WHERE project_id = 'dedup2'"))
        .isEqualTo(1);
  }

  @Test
  void ndjson_stores_one_event_per_line() {
    String body = event("nd", "ndjson").encode() + "\n\n" + event("nd", "ndjson").encode() + "\n";

    Response response = server.post("/v1/events", key, "application/x-ndjson", body);

    assertThat(response.status()).isEqualTo(201);
    assertThat(response.json().getJsonArray("events")).hasSize(2);
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events WHERE project_id = 'ndjson'"))
        .isEqualTo(2);
  }

  @Test
  void cloudevents_structured_batch_and_binary_modes_map_to_events() {
    JsonObject structured = new JsonObject()
        .put("specversion", "1.0").put("id", "ce-1").put("source", "/checkout").put("type", "ce.created")
        .put("time", "2026-12-01T10:00:00Z").put("subject", "order/1").put("projectid", "ce")
        .put("userid", "u-1").put("schemaversion", "2").put("correlationid", "corr").put("traceparent", "00-x")
        .put("datacontenttype", "application/json").put("data", new JsonObject().put("a", 1));
    Response single = server.post("/v1/events", key, "application/cloudevents+json", structured.encode());
    assertThat(single.status()).isEqualTo(201);

    JsonArray batch = new JsonArray()
        .add(structured.copy().put("id", UUID.randomUUID().toString()))
        .add(structured.copy().put("id", "ce-3"));
    Response many = server.post("/v1/events", key, "application/cloudevents-batch+json", batch.encode());
    assertThat(many.status()).isEqualTo(201);
    assertThat(many.json().getJsonArray("events").getJsonObject(0).getString("id"))
        .isEqualTo(batch.getJsonObject(0).getString("id"));

    Response binary = server.send("POST", "/v1/events", key, "application/json", "{\"b\":2}", b -> b
        .header("ce-specversion", "1.0").header("ce-id", "bin-1").header("ce-source", "/bin")
        .header("ce-type", "ce.binary").header("ce-projectid", "ce"));
    assertThat(binary.status()).isEqualTo(201);

    String id = single.json().getJsonArray("events").getJsonObject(0).getString("id");
    JsonObject stored = server.get("/v1/events/" + id, key).json();
    assertThat(stored.getString("type")).isEqualTo("ce.created");
    assertThat(stored.getString("source")).isEqualTo("/checkout");
    assertThat(stored.getString("subject")).isEqualTo("order/1");
    assertThat(stored.getString("userId")).isEqualTo("u-1");
    assertThat(stored.getInteger("schemaVersion")).isEqualTo(2);
    assertThat(stored.getString("correlationId")).isEqualTo("corr");
    assertThat(stored.getString("occurredAt")).isEqualTo("2026-12-01T10:00:00.000Z");
    assertThat(stored.getJsonObject("payload")).isEqualTo(new JsonObject().put("a", 1));
    assertThat(stored.getJsonObject("metadata").getString("ceid")).isEqualTo("ce-1");
    assertThat(stored.getJsonObject("metadata").getString("traceparent")).isEqualTo("00-x");

    Response resent = server.post("/v1/events", key, "application/cloudevents+json", structured.encode());
    assertThat(resent.json().getJsonArray("events").getJsonObject(0).getBoolean("duplicate"))
        .as("a re-sent CloudEvent (same source and id) is recognised").isTrue();

    String binaryId = binary.json().getJsonArray("events").getJsonObject(0).getString("id");
    assertThat(server.get("/v1/events/" + binaryId, key).json().getJsonObject("payload"))
        .isEqualTo(new JsonObject().put("b", 2));
  }

  @Test
  void a_cloudevent_without_required_attributes_is_refused() {
    JsonObject ce = new JsonObject().put("specversion", "0.3").put("source", "/x").put("type", "t")
        .put("projectid", "ce-bad").put("data", new JsonObject());

    Response response = server.post("/v1/events", key, "application/cloudevents+json", ce.encode());

    assertThat(response.status()).isEqualTo(422);
    assertThat(response.json().getJsonArray("errors").encode()).contains("specversion").contains("\"id\"");
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events WHERE project_id = 'ce-bad'"))
        .isZero();
  }
}
