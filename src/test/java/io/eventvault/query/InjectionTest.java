package io.eventvault.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.domain.EventQuery;
import io.eventvault.domain.EventQuery.Condition;
import io.eventvault.domain.EventQuery.Operator;
import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SQL-looking text in every string field of a query, in paths and in cursors is either refused (400) or inert: it
 * is compared as data, selects only what equals it, never reaches another tenant, never fails with a 500, and leaves
 * the database as it was.
 */
class InjectionTest {

  static final List<String> ATTACKS = List.of(
      "' OR '1'='1",
      "' OR 1=1 --",
      "'; DROP TABLE events; --",
      "x'); DELETE FROM events; --",
      "\" OR \"\"=\"",
      "1; SELECT pg_sleep(5)",
      "1) OR (1=1",
      "$1",
      "$$; DROP TABLE events; $$",
      "e.tenant_id",
      "%' OR tenant_id LIKE '%",
      "'||(SELECT string_agg(tenant_id, ',') FROM events)||'",
      "*/ OR 1=1 /*",
      "\\' OR 1=1 --",
      "ʼ OR 1=1 --",
      "' UNION SELECT * FROM api_keys --",
      "acme",
      "{\"a\":1}",
      "order.created' OR type <> '");

  static TestServer server;
  static String victimKey;
  static String attackerKey;
  static long victimEvents;
  static final List<Long> attackerPositions = new ArrayList<>();

  @BeforeAll
  static void start() {
    server = TestServer.start("injection");
    victimKey = server.tenantWithKey("acme", "ingest", "query");
    attackerKey = server.tenantWithKey("mallory", "ingest", "query");
    JsonArray victim = new JsonArray();
    for (int i = 0; i < 20; i++) {
      victim.add(new JsonObject().put("type", "order.created").put("projectId", "shop").put("userId", "u" + i)
          .put("subject", "order/" + i).put("correlationId", "c-" + i)
          .put("payload", new JsonObject().put("secret", "s" + i).put("amount", i)));
    }
    assertThat(server.postJson("/v1/events", victimKey, victim).status()).isEqualTo(201);
    victimEvents = 20;
    // The attacker stores SQL-looking text as data: it must come back exactly, as data.
    JsonArray own = new JsonArray();
    for (String attack : ATTACKS) {
      own.add(new JsonObject().put("type", attack).put("projectId", "p1").put("userId", attack)
          .put("subject", attack).put("correlationId", attack)
          .put("metadata", new JsonObject().put("note", attack))
          .put("payload", new JsonObject().put("note", attack).put(attack, attack)));
    }
    Response stored = server.postJson("/v1/events", attackerKey, own);
    assertThat(stored.status()).as(stored.body()).isEqualTo(201);
    stored.json().getJsonArray("events").forEach(a -> attackerPositions.add(((JsonObject) a).getLong("position")));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static List<Long> positions(Response r) {
    return r.json().getJsonArray("events").stream().map(e -> ((JsonObject) e).getLong("position")).toList();
  }

  static Response query(JsonObject body) {
    return server.postJson("/v1/events/query", attackerKey, body);
  }

  /** Inert: 200 with exactly the attacker's event that holds this text (or none), or a 400; never anything else. */
  static void assertInert(Response r, String description, List<Long> allowed) {
    assertThat(r.status()).as(description + " -> " + r).isIn(200, 400);
    if (r.status() == 200) {
      assertThat(positions(r)).as(description).isSubsetOf(allowed);
    } else {
      assertThat(r.contentType()).startsWith("application/problem+json");
    }
  }

  @Test
  void sql_text_in_every_string_field_of_the_json_query_is_compared_as_data() {
    for (int i = 0; i < ATTACKS.size(); i++) {
      String attack = ATTACKS.get(i);
      List<Long> own = List.of(attackerPositions.get(i));
      for (String field : List.of("userId", "subject", "correlationId")) {
        Response r = query(new JsonObject().put(field, attack));
        assertThat(r.status()).as(field + "=" + attack + " -> " + r).isEqualTo(200);
        assertThat(positions(r)).as(field + "=" + attack).isEqualTo(own);
      }
      Response types = query(new JsonObject().put("types", new JsonArray().add(attack)));
      assertThat(types.status()).as(types.body()).isEqualTo(200);
      assertThat(positions(types)).as("types=[" + attack + "]").isEqualTo(own);
      Response prefix = query(new JsonObject().put("typePrefix", attack));
      assertThat(prefix.status()).as(prefix.body()).isEqualTo(200);
      assertThat(positions(prefix)).as("typePrefix=" + attack).contains(attackerPositions.get(i))
          .allMatch(p -> ATTACKS.get(attackerPositions.indexOf(p)).startsWith(attack));
      assertInert(query(new JsonObject().put("projectId", attack)), "projectId=" + attack, List.of());
      for (String field : List.of("occurredFrom", "occurredTo", "order", "cursor")) {
        Response refused = query(new JsonObject().put(field, attack));
        assertThat(refused.status()).as(field + "=" + attack + " -> " + refused).isEqualTo(400);
      }
    }
    assertDatabaseIntact();
  }

  @Test
  void sql_text_in_the_query_parameters_of_get_is_compared_as_data() {
    for (int i = 0; i < ATTACKS.size(); i++) {
      String attack = ATTACKS.get(i);
      String encoded = URLEncoder.encode(attack, StandardCharsets.UTF_8);
      for (String field : List.of("userId", "subject", "correlationId", "type")) {
        Response r = server.get("/v1/events?" + field + "=" + encoded, attackerKey);
        assertThat(r.status()).as(field + "=" + attack + " -> " + r).isEqualTo(200);
        assertThat(positions(r)).as(field + "=" + attack).containsExactly(attackerPositions.get(i));
      }
      assertInert(server.get("/v1/events?projectId=" + encoded, attackerKey), "projectId=" + attack, List.of());
      for (String field : List.of("occurredFrom", "fromPosition", "limit", "order", "cursor")) {
        Response refused = server.get("/v1/events?" + field + "=" + encoded, attackerKey);
        assertThat(refused.status()).as(field + "=" + attack + " -> " + refused).isEqualTo(400);
      }
      Response unknown = server.get("/v1/events?" + encoded + "=1", attackerKey);
      assertThat(unknown.status()).as("parameter named " + attack).isEqualTo(400);
    }
    assertDatabaseIntact();
  }

  @Test
  void sql_text_in_where_values_and_contains_is_compared_as_data() {
    for (int i = 0; i < ATTACKS.size(); i++) {
      String attack = ATTACKS.get(i);
      List<Long> own = List.of(attackerPositions.get(i));
      for (String path : List.of("payload.note", "metadata.note")) {
        Response eq = query(new JsonObject().put("where", new JsonArray().add(where(path, "eq", attack))));
        assertThat(eq.status()).as(eq.body()).isEqualTo(200);
        assertThat(positions(eq)).as(path + " eq " + attack).isEqualTo(own);
        Response in = query(new JsonObject().put("where",
            new JsonArray().add(where(path, "in", new JsonArray().add(attack).add("' OR 1=1")))));
        assertThat(positions(in)).as(path + " in [" + attack + "]").isEqualTo(own);
        Response gte = query(new JsonObject().put("where", new JsonArray().add(where(path, "gte", attack))
            .add(where(path, "lte", attack))));
        assertThat(positions(gte)).as(path + " between " + attack).isEqualTo(own);
        Response ne = query(new JsonObject().put("where", new JsonArray().add(where(path, "ne", attack))));
        assertThat(positions(ne)).as(path + " ne " + attack).hasSize(ATTACKS.size() - 1).doesNotContain(own.get(0));
      }
      Response contains = query(new JsonObject().put("payload", new JsonObject().put("contains",
          new JsonObject().put("note", attack))));
      assertThat(contains.status()).as(contains.body()).isEqualTo(200);
      assertThat(positions(contains)).as("contains note=" + attack).isEqualTo(own);
      Response key = query(new JsonObject().put("payload", new JsonObject().put("contains",
          new JsonObject().put(attack, attack))));
      assertThat(positions(key)).as("contains {" + attack + ": ...}").isEqualTo(own);
    }
    assertDatabaseIntact();
  }

  @Test
  void sql_text_in_a_path_or_an_operator_is_refused() {
    for (String attack : ATTACKS) {
      boolean outsideGrammar = !attack.matches("[A-Za-z0-9_$@:.-]+");
      for (String path : List.of("payload." + attack, "metadata.a." + attack, "payload.a" + attack)) {
        Response r = query(new JsonObject().put("where", new JsonArray().add(where(path, "eq", 1))));
        if (outsideGrammar) {
          assertThat(r.status()).as("path " + path + " -> " + r).isEqualTo(400);
          assertThat(r.contentType()).startsWith("application/problem+json");
        } else {
          // Keys such as $1 or e.tenant_id are valid keys: they only name (missing) keys of the payload.
          assertInert(r, "path " + path, List.of());
        }
      }
      for (String path : List.of(attack, attack + ".a")) {
        Response r = query(new JsonObject().put("where", new JsonArray().add(where(path, "eq", 1))));
        assertThat(r.status()).as("path " + path + " -> " + r).isEqualTo(400);
      }
      Response op = query(new JsonObject().put("where", new JsonArray().add(where("payload.note", attack, 1))));
      assertThat(op.status()).as("op " + attack + " -> " + op).isEqualTo(400);
      Response field = query(new JsonObject().put(attack, "x"));
      assertThat(field.status()).as("field named " + attack).isEqualTo(400);
    }
    for (String path : List.of("tenant_id", "payload", "payload.", "payload..a", "payload.a.", "Payload.a",
        "payload.a b", "payload.a\u0000", "payload.é")) {
      Response r = query(new JsonObject().put("where", new JsonArray().add(where(path, "eq", 1))));
      assertThat(r.status()).as("path " + path + " -> " + r).isEqualTo(400);
    }
    assertDatabaseIntact();
  }

  @Test
  void forged_tampered_and_foreign_cursors_are_refused() {
    Response first = server.postJson("/v1/events/query", victimKey, new JsonObject().put("limit", 2));
    String victimCursor = first.json().getString("nextCursor");
    assertThat(victimCursor).isNotNull();
    // Another tenant's cursor, even for the same query.
    assertThat(query(new JsonObject().put("limit", 2).put("cursor", victimCursor)).status()).isEqualTo(400);
    List<String> forged = new ArrayList<>();
    for (String attack : ATTACKS) {
      forged.add(attack);
      forged.add(Base64.getUrlEncoder().withoutPadding().encodeToString(attack.getBytes(StandardCharsets.UTF_8)));
    }
    // The right shape (8 bytes of position + 16 bytes of MAC) with a made-up MAC, pointing at position 0.
    forged.add(Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[24]));
    forged.add(victimCursor.substring(0, victimCursor.length() - 1) + (victimCursor.endsWith("A") ? "B" : "A"));
    forged.add(victimCursor + "A");
    forged.add(victimCursor + "' OR '1'='1");
    for (String cursor : forged) {
      Response r = query(new JsonObject().put("limit", 2).put("cursor", cursor));
      assertThat(r.status()).as("cursor " + cursor + " -> " + r).isEqualTo(400);
      Response get = server.get("/v1/events?limit=2&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8),
          attackerKey);
      assertThat(get.status()).as("GET cursor " + cursor + " -> " + get).isEqualTo(400);
    }
    assertDatabaseIntact();
  }

  @Test
  void the_compiled_sql_holds_no_text_of_the_query_only_placeholders() {
    String marker = "ZZ'q\"--;";
    EventQuery q = new EventQuery("tenant" + marker, Set.of("allowed" + marker), "project" + marker,
        List.of("type" + marker), "prefix" + marker, "user" + marker, "subject" + marker, "corr" + marker,
        Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-02T00:00:00Z"), 1L, 2L,
        Json.encode(new JsonObject().put("contains" + marker, 1)),
        List.of(new Condition("payload", List.of("path" + marker), Operator.EQ, Json.encode("eq" + marker)),
            new Condition("metadata", List.of("a", "path" + marker), Operator.GT, Json.encode("gt" + marker)),
            new Condition("payload", List.of("n"), Operator.LTE, "5"),
            new Condition("payload", List.of("n"), Operator.IN, Json.encode(new JsonArray().add("in" + marker))),
            new Condition("payload", List.of("path" + marker), Operator.EXISTS, "false"),
            new Condition("payload", List.of("path" + marker), Operator.NE, "null")),
        true, 10, null, 99L);
    QueryCompiler.Compiled compiled = QueryCompiler.page(q);
    assertThat(compiled.sql()).doesNotContain("ZZ").doesNotContain(marker).doesNotContain("--");
    // The only literals are fixed ones of the compiler.
    java.util.regex.Matcher literals = java.util.regex.Pattern.compile("'[^']*'").matcher(compiled.sql());
    while (literals.find()) {
      assertThat(literals.group()).isIn("'string'", "'number'", "'{}'");
    }
    StringBuilder params = new StringBuilder();
    for (int i = 0; i < compiled.params().size(); i++) {
      Object value = compiled.params().getValue(i);
      params.append(value instanceof Object[] array ? java.util.Arrays.toString(array) : String.valueOf(value))
          .append('\n');
    }
    for (String value : List.of("tenant", "allowed", "project", "type", "prefix", "user", "subject", "corr",
        "path", "gt")) {
      assertThat(params).as("parameter " + value).contains(value + marker);
    }
    for (String value : List.of("contains", "eq", "in")) {
      String encoded = Json.encode(value + marker);
      assertThat(params).as("parameter " + value).contains(encoded.substring(1, encoded.length() - 1));
    }
  }

  static JsonObject where(String path, String op, Object value) {
    return new JsonObject().put("path", path).put("op", op).put("value", value);
  }

  /** Every table is still there and the victim's events are untouched. */
  static void assertDatabaseIntact() {
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events WHERE tenant_id = 'acme'"))
        .isEqualTo(victimEvents);
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events WHERE tenant_id = 'mallory'"))
        .isEqualTo(ATTACKS.size());
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM api_keys")).isEqualTo(2);
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM event_ids")).isEqualTo(
        victimEvents + ATTACKS.size());
    Response stillWorks = server.postJson("/v1/events/query", victimKey, new JsonObject().put("limit", 1000));
    assertThat(positions(stillWorks)).hasSize((int) victimEvents);
  }
}
