package io.eventvault.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventvault.support.QueryModel;
import io.eventvault.support.QueryModel.Event;
import io.eventvault.support.QueryModel.Query;
import io.eventvault.support.QueryModel.Where;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random events, random queries: every query of the JSON endpoint (and of {@code GET /v1/events} when it can
 * express it), read page by page through its cursors, returns exactly the events that an in-memory evaluation of
 * the same filter selects ({@link QueryModel}), in position order, and returns them as they were written.
 *
 * <p>Each try writes its dataset under a fresh tenant, so the events of earlier tries (and of a noise tenant
 * with the same vocabulary) are in the table and must never leak into a result.
 */
class FilterPropertyTest {

  static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
  static final Set<String> RESTRICTED_PROJECTS = Set.of("shop", "crm");
  static final Instant BASE = Instant.parse("2026-03-01T00:00:00Z");

  static final List<String> TYPES = List.of("order.created", "order.paid", "order.refunded", "user.signed_up",
      "page.viewed", "orders", "x%_y", "Order.created", "ordre.créé");
  static final List<String> PREFIXES = List.of("order", "order.", "orde", "o", "user.", "x%", "x_", "%", "_",
      "Order", "ordre.cr", "page.viewed", "zzz");
  static final List<String> PROJECTS = List.of("shop", "blog", "crm", "a_b");
  static final List<String> USERS = List.of("u1", "u2", "u3", "U1");
  static final List<String> SUBJECTS = List.of("order/1", "order/2", "o'1", "order/%");
  static final List<String> CORRELATIONS = List.of("c-1", "c-2", "c_1");
  static final List<String> KEYS = List.of("a", "b", "n", "s", "tags", "nested", "0", "-1", "x.y", "k'");
  static final List<String> PATH_KEYS = List.of("a", "b", "n", "s", "tags", "nested", "0", "1", "-1", "01", "2",
      "-3", "zz");
  static final List<String> STRINGS = List.of("", "a", "b", "A", "EUR", "USD", "é", "\uD83D\uDE00", "\uFF21", "10",
      "2", "a b", "x'y", "\"q\"", "%", "null");
  /** Exact decimals, some beyond what a double holds (they must be stored and compared as written). */
  static final List<String> NUMBERS = List.of("0", "1", "-1", "2", "1.5", "1.50", "-0.5", "10", "100", "1e2",
      "2.25", "0.1", "123456789012345", "-7.125", "3", "1.0000000000000001", "0.30000000000000001",
      "12345678901234567890.5", "-1.0000000000000001");

  static TestServer server;
  static final AtomicInteger tenants = new AtomicInteger();

  @BeforeContainer
  static void start() {
    server = TestServer.start("filterprop");
    // A noise tenant with the same vocabulary: its events must never appear.
    String noise = server.tenantWithKey("noise", "ingest");
    ArrayNode batch = NODES.arrayNode();
    for (int i = 0; i < 60; i++) {
      batch.add(NODES.objectNode().put("type", TYPES.get(i % TYPES.size()))
          .put("projectId", PROJECTS.get(i % PROJECTS.size())).put("userId", USERS.get(i % USERS.size()))
          .put("subject", SUBJECTS.get(i % SUBJECTS.size()))
          .put("correlationId", CORRELATIONS.get(i % CORRELATIONS.size()))
          .put("occurredAt", BASE.plusSeconds(3600L * i).toString())
          .set("payload", NODES.objectNode().put("a", i % 3).put("s", STRINGS.get(i % STRINGS.size()))));
    }
    Response response = server.post("/v1/events", noise, "application/json", batch.toString());
    assertThat(response.status()).as(response.body()).isEqualTo(201);
  }

  @AfterContainer
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  // ---------------------------------------------------------------------------------------------- the property

  @Property(tries = 120, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
  void every_query_returns_what_an_in_memory_evaluation_selects(@ForAll("scenarios") Scenario scenario)
      throws Exception {
    String tenant = "t" + tenants.incrementAndGet();
    String key = server.tenantWithKey(tenant, "ingest", "query");
    String restrictedKey = server.key(tenant, new io.vertx.core.json.JsonObject()
        .put("scopes", new io.vertx.core.json.JsonArray().add("query"))
        .put("projects", new io.vertx.core.json.JsonArray().add("shop").add("crm")));
    List<Event> stored = write(key, scenario.events());
    for (QuerySpec spec : scenario.queries()) {
      check(stored, spec, spec.restricted() ? restrictedKey : key);
    }
  }

  /** The same, with the weight on {@code where} and {@code payload.contains}, alone or with one simple filter. */
  @Property(tries = 100, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
  void payload_and_metadata_filters_return_what_an_in_memory_evaluation_selects(
      @ForAll("jsonScenarios") Scenario scenario) throws Exception {
    every_query_returns_what_an_in_memory_evaluation_selects(scenario);
  }

  /** Writes the events in one batch and returns them with the positions and ids the server gave them. */
  static List<Event> write(String key, List<EventSpec> events) throws Exception {
    if (events.isEmpty()) {
      return List.of();
    }
    ArrayNode batch = NODES.arrayNode();
    for (EventSpec e : events) {
      ObjectNode json = NODES.objectNode().put("type", e.type()).put("projectId", e.projectId())
          .put("occurredAt", e.occurredAt().toString());
      putIfSet(json, "subject", e.subject());
      putIfSet(json, "userId", e.userId());
      putIfSet(json, "correlationId", e.correlationId());
      json.set("payload", e.payload());
      json.set("metadata", e.metadata());
      batch.add(json);
    }
    Response response = server.post("/v1/events", key, "application/json", JSON.writeValueAsString(batch));
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    JsonNode acks = JSON.readTree(response.body()).get("events");
    List<Event> stored = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      EventSpec e = events.get(i);
      stored.add(new Event(acks.get(i).get("position").asLong(), acks.get(i).get("id").asText(), e.type(),
          e.projectId(), e.subject(), e.userId(), e.correlationId(), e.occurredAt(), e.payload(), e.metadata()));
    }
    return stored;
  }

  static void putIfSet(ObjectNode json, String field, String value) {
    if (value != null) {
      json.put(field, value);
    }
  }

  /** Reads every page of the query and compares with the model, event by event. */
  static void check(List<Event> stored, QuerySpec spec, String key) throws Exception {
    Query model = spec.toModel(stored);
    String description = spec.describe(stored);
    if (spec.restricted() && spec.projectId() != null && !RESTRICTED_PROJECTS.contains(spec.projectId())) {
      Response refused = spec.viaGet() ? server.get(spec.getPath(stored, null), key)
          : server.post("/v1/events/query", key, "application/json", spec.body(stored, null));
      assertThat(refused.status()).as(description + " -> " + refused).isEqualTo(403);
      return;
    }
    List<Event> expected = QueryModel.select(stored, model);
    Statistics.label("result").collect(expected.isEmpty() ? "none" : expected.size() == stored.size() ? "all"
        : "some");
    Statistics.label("endpoint").collect(spec.viaGet() ? "GET" : "POST", spec.restricted() ? "restricted key" : "key");
    for (Where w : spec.where()) {
      Statistics.label("where op matches some event").collect(w.op(),
          stored.stream().anyMatch(e -> QueryModel.matches(e, new Query(null, null, null, null, null, null, null,
              null, null, null, null, null, List.of(w), false))));
    }
    if (spec.contains() != null) {
      Statistics.label("contains matches some event").collect(
          stored.stream().anyMatch(e -> QueryModel.containsTop(e.payload(), spec.contains())));
    }
    List<JsonNode> actual = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Response page = spec.viaGet() ? server.get(spec.getPath(stored, cursor), key)
          : server.post("/v1/events/query", key, "application/json", spec.body(stored, cursor));
      assertThat(page.status()).as(description + " -> " + page).isEqualTo(200);
      JsonNode json = JSON.readTree(page.body());
      JsonNode events = json.get("events");
      pages++;
      cursor = json.get("nextCursor").isNull() ? null : json.get("nextCursor").asText();
      if (cursor != null) {
        assertThat(events.size()).as("a page with a next cursor is full: " + description).isEqualTo(spec.limit());
      } else {
        assertThat(events.size()).as("last page: " + description).isLessThanOrEqualTo(spec.limit());
      }
      events.forEach(actual::add);
      assertThat(pages).as("pages of " + description).isLessThanOrEqualTo(expected.size() / spec.limit() + 1);
    } while (cursor != null);
    assertThat(actual.stream().map(e -> e.get("position").asLong()).toList())
        .as(description).isEqualTo(expected.stream().map(Event::position).toList());
    for (int i = 0; i < actual.size(); i++) {
      assertSameEvent(actual.get(i), expected.get(i));
    }
  }

  static void assertSameEvent(JsonNode actual, Event expected) {
    assertThat(actual.get("id").asText()).isEqualTo(expected.id());
    assertThat(actual.get("type").asText()).isEqualTo(expected.type());
    assertThat(actual.get("projectId").asText()).isEqualTo(expected.projectId());
    assertThat(text(actual, "subject")).isEqualTo(expected.subject());
    assertThat(text(actual, "userId")).isEqualTo(expected.userId());
    assertThat(text(actual, "correlationId")).isEqualTo(expected.correlationId());
    assertThat(Instant.parse(actual.get("occurredAt").asText())).isEqualTo(expected.occurredAt());
    assertThat(actual.get("payload").equals(QueryModel.NUMERIC, expected.payload()))
        .as("payload %s equals %s", actual.get("payload"), expected.payload()).isTrue();
    assertThat(actual.get("metadata").equals(QueryModel.NUMERIC, expected.metadata()))
        .as("metadata %s equals %s", actual.get("metadata"), expected.metadata()).isTrue();
  }

  static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  // ------------------------------------------------------------------------------------------------ the model

  record EventSpec(String type, String projectId, String subject, String userId, String correlationId,
      Instant occurredAt, JsonNode payload, JsonNode metadata) {}

  record Scenario(List<EventSpec> events, List<QuerySpec> queries) {
    @Override
    public String toString() {
      return "Scenario{" + events.size() + " events " + events + ", queries " + queries + "}";
    }
  }

  /**
   * A position bound as an index into the written events (resolved once the server has given positions), with
   * an offset of -1, 0 or +1.
   */
  record PositionRef(int index, int offset) {
    Long resolve(List<Event> stored) {
      if (stored.isEmpty()) {
        return (long) Math.max(0, index + offset);
      }
      Event e = stored.get(Math.min(index, stored.size() - 1));
      return Math.max(0, e.position() + offset);
    }
  }

  record QuerySpec(boolean restricted, boolean viaGet, String projectId, List<String> types, String typePrefix,
      String userId, String subject, String correlationId, Instant occurredFrom, Instant occurredTo,
      PositionRef fromPosition, PositionRef toPosition, JsonNode contains, List<Where> where, String order,
      int limit) {

    Query toModel(List<Event> stored) {
      return new Query(restricted ? RESTRICTED_PROJECTS : Set.of(), projectId, types, typePrefix, userId, subject,
          correlationId, occurredFrom, occurredTo, fromPosition == null ? null : fromPosition.resolve(stored),
          toPosition == null ? null : toPosition.resolve(stored), contains, where, "desc".equals(order));
    }

    String body(List<Event> stored, String cursor) throws Exception {
      ObjectNode body = NODES.objectNode();
      putIfSet(body, "projectId", projectId);
      if (!types.isEmpty()) {
        ArrayNode array = body.putArray("types");
        types.forEach(array::add);
      }
      putIfSet(body, "typePrefix", typePrefix);
      putIfSet(body, "userId", userId);
      putIfSet(body, "subject", subject);
      putIfSet(body, "correlationId", correlationId);
      putIfSet(body, "occurredFrom", occurredFrom == null ? null : occurredFrom.toString());
      putIfSet(body, "occurredTo", occurredTo == null ? null : occurredTo.toString());
      if (fromPosition != null) {
        body.put("fromPosition", fromPosition.resolve(stored));
      }
      if (toPosition != null) {
        body.put("toPosition", toPosition.resolve(stored));
      }
      if (contains != null) {
        body.putObject("payload").set("contains", contains);
      }
      if (!where.isEmpty()) {
        ArrayNode clauses = body.putArray("where");
        for (Where w : where) {
          ObjectNode clause = clauses.addObject().put("path", w.path()).put("op", w.op());
          if (w.value() != null) {
            clause.set("value", w.value());
          }
        }
      }
      putIfSet(body, "order", order);
      body.put("limit", limit);
      putIfSet(body, "cursor", cursor);
      return JSON.writeValueAsString(body);
    }

    String getPath(List<Event> stored, String cursor) {
      Map<String, String> params = new LinkedHashMap<>();
      StringBuilder path = new StringBuilder("/v1/events?limit=" + limit);
      params.put("projectId", projectId);
      params.put("typePrefix", typePrefix);
      params.put("userId", userId);
      params.put("subject", subject);
      params.put("correlationId", correlationId);
      params.put("occurredFrom", occurredFrom == null ? null : occurredFrom.toString());
      params.put("occurredTo", occurredTo == null ? null : occurredTo.toString());
      params.put("fromPosition", fromPosition == null ? null : String.valueOf(fromPosition.resolve(stored)));
      params.put("toPosition", toPosition == null ? null : String.valueOf(toPosition.resolve(stored)));
      params.put("order", order);
      params.put("cursor", cursor);
      params.forEach((name, value) -> {
        if (value != null) {
          path.append('&').append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
      });
      for (String type : types) {
        path.append("&type=").append(URLEncoder.encode(type, StandardCharsets.UTF_8));
      }
      return path.toString();
    }

    @SuppressWarnings("unchecked")
    QuerySpec with(String filter, Object v) {
      return new QuerySpec(restricted, viaGet,
          filter.equals("projectId") ? (String) v : projectId,
          filter.equals("types") ? (List<String>) v : types,
          filter.equals("typePrefix") ? (String) v : typePrefix,
          filter.equals("userId") ? (String) v : userId,
          filter.equals("subject") ? (String) v : subject,
          filter.equals("correlationId") ? (String) v : correlationId,
          filter.equals("occurredFrom") ? (Instant) v : occurredFrom,
          filter.equals("occurredTo") ? (Instant) v : occurredTo,
          filter.equals("fromPosition") ? (PositionRef) v : fromPosition,
          filter.equals("toPosition") ? (PositionRef) v : toPosition,
          filter.equals("contains") ? (JsonNode) v : contains,
          filter.equals("where") ? (List<Where>) v : where,
          order, limit);
    }

    QuerySpec withViaGet(boolean get) {
      return new QuerySpec(restricted, get, projectId, types, typePrefix, userId, subject, correlationId,
          occurredFrom, occurredTo, fromPosition, toPosition, contains, where, order, limit);
    }

    String describe(List<Event> stored) {
      try {
        return (restricted ? "[restricted key] " : "") + (viaGet ? "GET " + getPath(stored, null)
            : "POST " + body(stored, null));
      } catch (Exception e) {
        return toString();
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ generators

  @Provide
  Arbitrary<Scenario> scenarios() {
    Arbitrary<List<EventSpec>> datasets = Arbitraries.frequencyOf(
        Tuple.of(1, events().list().ofMaxSize(5)),
        Tuple.of(6, events().list().ofMinSize(10).ofMaxSize(60)));
    return datasets.flatMap(events ->
        queries(events).list().ofMinSize(1).ofMaxSize(6).map(queries -> new Scenario(events, queries)));
  }

  @Provide
  Arbitrary<Scenario> jsonScenarios() {
    return events().list().ofMinSize(10).ofMaxSize(60).flatMap(events ->
        jsonQueries(events).list().ofMinSize(1).ofMaxSize(6).map(queries -> new Scenario(events, queries)));
  }

  static Arbitrary<EventSpec> events() {
    Arbitrary<JsonNode> payloads = Arbitraries.frequencyOf(
        Tuple.of(12, object(2)),
        Tuple.of(2, array(2)),
        // A JSON null payload is refused at ingest ("payload is required").
        Tuple.of(1, scalar().filter(n -> !n.isNull())));
    return Combinators.combine(
        Arbitraries.of(TYPES),
        Arbitraries.of(PROJECTS),
        Arbitraries.of(SUBJECTS).injectNull(0.4),
        Arbitraries.of(USERS).injectNull(0.3),
        Arbitraries.of(CORRELATIONS).injectNull(0.5),
        instants(),
        payloads,
        metadata()).as(EventSpec::new);
  }

  /** A few hours' worth of instants, with millisecond jitter around the hour to hit the bounds exactly. */
  static Arbitrary<Instant> instants() {
    return Combinators.combine(Arbitraries.integers().between(0, 30), Arbitraries.of(0L, 0L, 1L, -1L, 999L, 1800_000L))
        .as((hour, millis) -> BASE.plusSeconds(3600L * hour).plusMillis(millis));
  }

  static Arbitrary<JsonNode> metadata() {
    Arbitrary<JsonNode> region = Arbitraries.of("eu", "us", "EU").map(s -> (JsonNode) NODES.textNode(s));
    return Arbitraries.maps(Arbitraries.of("region", "n", "deep", "ip"),
            Arbitraries.frequencyOf(Tuple.of(3, region), Tuple.of(2, scalar()), Tuple.of(1, object(1))))
        .ofMaxSize(3)
        .map(map -> {
          ObjectNode node = NODES.objectNode();
          map.forEach(node::set);
          return node;
        });
  }

  static Arbitrary<JsonNode> value(int depth) {
    if (depth <= 0) {
      return scalar();
    }
    return Arbitraries.frequencyOf(Tuple.of(8, scalar()), Tuple.of(1, array(depth - 1)),
        Tuple.of(1, object(depth - 1)));
  }

  static Arbitrary<JsonNode> object(int depth) {
    return Arbitraries.maps(Arbitraries.of(KEYS), value(depth)).ofMaxSize(5).map(map -> {
      ObjectNode node = NODES.objectNode();
      map.forEach(node::set);
      return node;
    });
  }

  static Arbitrary<JsonNode> array(int depth) {
    return value(depth).list().ofMaxSize(4).map(list -> {
      ArrayNode node = NODES.arrayNode();
      list.forEach(node::add);
      return node;
    });
  }

  static Arbitrary<JsonNode> scalar() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.just(NODES.nullNode())),
        Tuple.of(1, Arbitraries.of(true, false).map(b -> (JsonNode) NODES.booleanNode(b))),
        Tuple.of(4, numbers()),
        Tuple.of(4, strings()));
  }

  static Arbitrary<JsonNode> strings() {
    return Arbitraries.of(STRINGS).map(s -> (JsonNode) NODES.textNode(s));
  }

  /** Numbers as exact decimals: ingest stores them as written, and the JSON query reads them the same way. */
  static Arbitrary<JsonNode> numbers() {
    return Arbitraries.of(NUMBERS).map(s -> (JsonNode) NODES.numberNode(new BigDecimal(s)));
  }

  static final List<String> FILTERS = List.of("projectId", "types", "typePrefix", "userId", "subject",
      "correlationId", "occurredFrom", "occurredTo", "fromPosition", "toPosition", "contains", "where");

  /** Zero to three filters (so that results are often neither empty nor everything), an order and a limit. */
  static Arbitrary<QuerySpec> queries(List<EventSpec> events) {
    Arbitrary<QuerySpec> base = Combinators.combine(
            Arbitraries.of(true, false, false, false),
            Arbitraries.of("asc", "desc").injectNull(0.4),
            Arbitraries.of(1, 2, 3, 5, 7, 100, 1000))
        .as((restricted, order, limit) -> new QuerySpec(restricted, false, null, List.of(), null, null, null, null,
            null, null, null, null, null, List.of(), order, limit));
    Arbitrary<Set<String>> chosen = Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.just(Set.<String>of())),
        Tuple.of(4, Arbitraries.subsetOf(FILTERS).ofMinSize(1).ofMaxSize(1)),
        Tuple.of(3, Arbitraries.subsetOf(FILTERS).ofMinSize(2).ofMaxSize(2)),
        Tuple.of(2, Arbitraries.subsetOf(FILTERS).ofMinSize(3).ofMaxSize(3)));
    return chosen.flatMap(filters -> {
      Arbitrary<QuerySpec> query = base;
      for (String filter : new java.util.TreeSet<>(filters)) {
        query = query.flatMap(q -> filter(filter, events).map(value -> q.with(filter, value)));
      }
      // GET /v1/events takes the simple filters only.
      return query.flatMap(q -> q.contains() == null && q.where().isEmpty()
          ? Arbitraries.of(true, false).map(q::withViaGet)
          : Arbitraries.just(q));
    });
  }

  static Arbitrary<QuerySpec> jsonQueries(List<EventSpec> events) {
    Arbitrary<QuerySpec> base = Combinators.combine(
            Arbitraries.of("asc", "desc").injectNull(0.4),
            Arbitraries.of(1, 3, 100))
        .as((order, limit) -> new QuerySpec(false, false, null, List.of(), null, null, null, null,
            null, null, null, null, null, List.of(), order, limit));
    Arbitrary<Set<String>> json = Arbitraries.of(Set.of("where"), Set.of("where"), Set.of("contains"),
        Set.of("where", "contains"));
    Arbitrary<Set<String>> simple = Arbitraries.subsetOf(FILTERS.subList(0, 10)).ofMaxSize(1);
    return Combinators.combine(json, simple).as((a, b) -> {
      Set<String> all = new java.util.TreeSet<>(a);
      all.addAll(b);
      return all;
    }).flatMap(filters -> {
      Arbitrary<QuerySpec> query = base;
      for (String filter : filters) {
        query = query.flatMap(q -> filter(filter, events).map(value -> q.with(filter, value)));
      }
      return query;
    });
  }

  static Arbitrary<?> filter(String name, List<EventSpec> events) {
    Arbitrary<Instant> written = events.isEmpty() ? instants()
        : Arbitraries.of(events.stream().map(EventSpec::occurredAt).toList());
    return switch (name) {
      case "projectId" -> Arbitraries.of(PROJECTS);
      case "types" -> Arbitraries.of(TYPES).set().ofMinSize(1).ofMaxSize(3).map(set -> new ArrayList<>(set));
      case "typePrefix" -> Arbitraries.of(PREFIXES);
      case "userId" -> Arbitraries.of(USERS);
      case "subject" -> Arbitraries.of(SUBJECTS);
      case "correlationId" -> Arbitraries.of(CORRELATIONS);
      case "occurredFrom", "occurredTo" -> Arbitraries.frequencyOf(Tuple.of(1, instants()), Tuple.of(1, written));
      case "fromPosition", "toPosition" -> Combinators.combine(
          Arbitraries.integers().between(0, Math.max(0, events.size())), Arbitraries.of(-1, 0, 0, 1))
          .as(PositionRef::new);
      case "contains" -> contains(events);
      case "where" -> Arbitraries.frequencyOf(
          Tuple.of(3, where(events).list().ofMinSize(1).ofMaxSize(1)),
          Tuple.of(1, where(events).list().ofMinSize(2).ofMaxSize(3)));
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** Half the time a part of a written payload (so that it matches something), else any object or array. */
  static Arbitrary<JsonNode> contains(List<EventSpec> events) {
    Arbitrary<JsonNode> random = Arbitraries.frequencyOf(Tuple.of(4, object(1)), Tuple.of(1, array(1)));
    if (events.isEmpty()) {
      return random;
    }
    Arbitrary<JsonNode> derived = Arbitraries.of(events).flatMap(e -> part(e.payload()))
        .map(part -> part.isContainerNode() ? part : NODES.objectNode());
    return Arbitraries.frequencyOf(Tuple.of(1, random), Tuple.of(1, derived));
  }

  /** A random part of a JSON value: some keys of an object, some elements of an array, each a part again. */
  static Arbitrary<JsonNode> part(JsonNode value) {
    if (value.isObject()) {
      List<String> names = new ArrayList<>();
      value.fieldNames().forEachRemaining(names::add);
      if (names.isEmpty()) {
        return Arbitraries.just(value);
      }
      return Arbitraries.subsetOf(names).flatMap(chosen -> {
        List<Arbitrary<JsonNode>> parts = chosen.stream().map(n -> part(value.get(n))).toList();
        List<String> order = new ArrayList<>(chosen);
        return Combinators.combine(parts.stream().map(p -> (Arbitrary<JsonNode>) p).toList()).as(list -> {
          ObjectNode node = NODES.objectNode();
          Iterator<JsonNode> it = list.iterator();
          for (String n : order) {
            node.set(n, it.next());
          }
          return (JsonNode) node;
        });
      });
    }
    if (value.isArray()) {
      List<JsonNode> elements = new ArrayList<>();
      value.forEach(elements::add);
      if (elements.isEmpty()) {
        return Arbitraries.just(value);
      }
      return Arbitraries.of(elements).list().ofMaxSize(elements.size()).map(list -> {
        ArrayNode node = NODES.arrayNode();
        list.forEach(node::add);
        return (JsonNode) node;
      });
    }
    return Arbitraries.just(value);
  }

  /** A where clause on a path that often exists in the data, with an operand that often matches. */
  static Arbitrary<Where> where(List<EventSpec> events) {
    Arbitrary<String> random = Combinators.combine(
        Arbitraries.of("payload", "payload", "payload", "metadata"),
        Arbitraries.of(PATH_KEYS).list().ofMinSize(1).ofMaxSize(3))
        .as((root, keys) -> root + "." + String.join(".", keys));
    List<String> written = pathsIn(events);
    Arbitrary<String> path = written.isEmpty() ? random
        : Arbitraries.frequencyOf(Tuple.of(1, random), Tuple.of(3, Arbitraries.of(written)));
    Arbitrary<JsonNode> ordered = Arbitraries.frequencyOf(Tuple.of(1, numbers()), Tuple.of(1, strings()));
    return path.flatMap(p -> {
      Arbitrary<JsonNode> seen = seenAt(events, p);
      Arbitrary<JsonNode> any = seen == null ? value(1) : Arbitraries.frequencyOf(Tuple.of(1, value(1)),
          Tuple.of(2, seen));
      Arbitrary<JsonNode> comparable = seen == null ? ordered : Arbitraries.frequencyOf(Tuple.of(1, ordered),
          Tuple.of(1, seen.filter(v -> v.isNumber() || v.isTextual())));
      Arbitrary<JsonNode> inList = any.list().ofMinSize(1).ofMaxSize(4).map(list -> {
        ArrayNode node = NODES.arrayNode();
        list.forEach(node::add);
        return (JsonNode) node;
      });
      return Arbitraries.of("eq", "ne", "gt", "gte", "lt", "lte", "in", "exists").flatMap(op -> switch (op) {
        case "gt", "gte", "lt", "lte" -> comparable.map(v -> new Where(p, op, v));
        case "in" -> inList.map(v -> new Where(p, op, v));
        case "exists" -> Arbitraries.of(Boolean.TRUE, Boolean.FALSE).injectNull(0.3)
            .map(b -> new Where(p, op, b == null ? null : NODES.booleanNode(b)));
        default -> any.map(v -> new Where(p, op, v));
      });
    });
  }

  static final java.util.regex.Pattern PATH_KEY = java.util.regex.Pattern.compile("[A-Za-z0-9_$@:-]{1,128}");

  /** Every path the grammar can name that leads to a value in some event (array elements also from the end). */
  static List<String> pathsIn(List<EventSpec> events) {
    Set<String> paths = new java.util.TreeSet<>();
    for (EventSpec e : events) {
      collectPaths(e.payload(), "payload", 0, paths);
      collectPaths(e.metadata(), "metadata", 0, paths);
    }
    return new ArrayList<>(paths);
  }

  static void collectPaths(JsonNode node, String prefix, int depth, Set<String> paths) {
    if (depth == 3) {
      return;
    }
    if (node.isObject()) {
      node.fields().forEachRemaining(field -> {
        if (PATH_KEY.matcher(field.getKey()).matches()) {
          paths.add(prefix + "." + field.getKey());
          collectPaths(field.getValue(), prefix + "." + field.getKey(), depth + 1, paths);
        }
      });
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        paths.add(prefix + "." + i);
        paths.add(prefix + "." + (i - node.size()));
        collectPaths(node.get(i), prefix + "." + i, depth + 1, paths);
      }
    }
  }

  /** The values written at a path (numbers and strings only when ordered), or null when there are none. */
  static Arbitrary<JsonNode> seenAt(List<EventSpec> events, String path) {
    String[] segments = path.split("\\.", -1);
    List<String> keys = List.of(segments).subList(1, segments.length);
    List<JsonNode> values = new ArrayList<>();
    for (EventSpec e : events) {
      JsonNode value = QueryModel.resolve(segments[0].equals("payload") ? e.payload() : e.metadata(), keys);
      if (value != null && (value.isNumber() || value.isTextual() || value.isBoolean() || value.isNull())) {
        values.add(value);
      }
    }
    boolean comparable = values.stream().anyMatch(v -> v.isNumber() || v.isTextual());
    return values.isEmpty() || !comparable ? null : Arbitraries.of(values);
  }
}
