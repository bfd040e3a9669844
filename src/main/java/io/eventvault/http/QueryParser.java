package io.eventvault.http;

import io.eventvault.config.EventvaultConfig.QueryConfig;
import io.eventvault.domain.EventQuery;
import io.eventvault.domain.EventQuery.Condition;
import io.eventvault.domain.EventQuery.Operator;
import io.eventvault.domain.Principal;
import io.vertx.core.MultiMap;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a query from URL parameters ({@code GET /v1/events}, the stream) or from the JSON body of {@code POST
 * /v1/events/query}. Unknown names are refused rather than ignored: a misspelt filter must not silently
 * widen a result.
 */
public final class QueryParser {

  static final Set<String> GET_PARAMS = Set.of("projectId", "type", "typePrefix", "userId", "subject",
      "correlationId", "occurredFrom", "occurredTo", "fromPosition", "toPosition", "limit", "cursor", "order");
  static final Set<String> STREAM_PARAMS = Set.of("projectId", "type", "typePrefix", "userId", "subject",
      "correlationId", "occurredFrom", "occurredTo", "fromPosition", "toPosition", "limit", "cursor", "order",
      "follow");
  static final Set<String> BODY_FIELDS = Set.of("projectId", "types", "typePrefix", "userId", "subject",
      "correlationId", "occurredFrom", "occurredTo", "fromPosition", "toPosition", "payload", "where", "order",
      "limit", "cursor", "count");
  private static final Pattern PATH_SEGMENT = Pattern.compile("[A-Za-z0-9_$@:-]{1,128}");
  static final int MAX_PATH_DEPTH = 16;
  static final int MAX_CONDITIONS = 20;
  static final int MAX_IN_VALUES = 100;

  private final QueryConfig config;

  public QueryParser(QueryConfig config) {
    this.config = config;
  }

  public EventQuery fromParams(Principal principal, MultiMap params, boolean stream) {
    Set<String> allowed = stream ? STREAM_PARAMS : GET_PARAMS;
    for (String name : params.names()) {
      if (!allowed.contains(name)) {
        throw ApiException.badRequest("unknown query parameter " + name + "; known: " + String.join(", ",
            allowed.stream().sorted().toList()));
      }
    }
    for (String name : params.names()) {
      if (!name.equals("type") && params.getAll(name).size() > 1) {
        throw ApiException.badRequest("query parameter " + name + " may appear once");
      }
    }
    List<String> types = params.getAll("type");
    return build(principal,
        text(params.get("projectId"), "projectId"),
        types.isEmpty() ? List.of() : types,
        text(params.get("typePrefix"), "typePrefix"),
        text(params.get("userId"), "userId"),
        text(params.get("subject"), "subject"),
        text(params.get("correlationId"), "correlationId"),
        time(params.get("occurredFrom"), "occurredFrom"),
        time(params.get("occurredTo"), "occurredTo"),
        position(params.get("fromPosition"), "fromPosition"),
        position(params.get("toPosition"), "toPosition"),
        null,
        List.of(),
        stream ? streamOrder(params.get("order")) : order(params.get("order")),
        stream ? config.replayPageSize() : limit(params.get("limit")),
        text(params.get("cursor"), "cursor"));
  }

  /**
   * The {@code limit} of a stream: how many events it sends in all before it ends (null: no limit). Its pages are
   * always {@code query.replayPageSize}.
   */
  public static Long streamLimit(MultiMap params) {
    String value = params.get("limit");
    if (value == null) {
      return null;
    }
    try {
      long parsed = Long.parseLong(value);
      if (parsed >= 1) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.badRequest("limit of a stream must be a positive integer (events in all), got " + value);
  }

  private static boolean streamOrder(String value) {
    if (order(value)) {
      throw ApiException.badRequest("a stream is read in position order: order must be asc");
    }
    return false;
  }

  /** A JSON query and its {@code count}: null (none), "exact" or "estimate". */
  public record JsonQuery(EventQuery query, String count) {}

  /** Reads the body of {@code POST /v1/events/query}, decoded once. */
  public JsonQuery fromJsonBody(Principal principal, String body) {
    JsonObject json;
    try {
      Object parsed = Json.decodeValue(body);
      if (!(parsed instanceof JsonObject object)) {
        throw ApiException.badRequest("the query must be a JSON object");
      }
      json = object;
    } catch (DecodeException e) {
      throw ApiException.badRequest("the query is not valid JSON: " + e.getMessage());
    }
    return new JsonQuery(fromJson(principal, json), countMode(json));
  }

  private static String countMode(JsonObject json) {
    Object value = json.getValue("count");
    if (value == null || "exact".equals(value) || "estimate".equals(value)) {
      return (String) value;
    }
    throw ApiException.badRequest("count must be \"exact\" or \"estimate\"");
  }

  private EventQuery fromJson(Principal principal, JsonObject json) {
    for (String name : json.fieldNames()) {
      if (!BODY_FIELDS.contains(name)) {
        throw ApiException.badRequest("unknown query field " + name);
      }
    }
    return build(principal,
        string(json, "projectId"),
        stringList(json, "types"),
        string(json, "typePrefix"),
        string(json, "userId"),
        string(json, "subject"),
        string(json, "correlationId"),
        time(string(json, "occurredFrom"), "occurredFrom"),
        time(string(json, "occurredTo"), "occurredTo"),
        number(json, "fromPosition"),
        number(json, "toPosition"),
        payloadContains(json),
        conditions(json),
        order(string(json, "order")),
        json.getValue("limit") == null ? config.defaultLimit() : limit(String.valueOf(number(json, "limit"))),
        string(json, "cursor"));
  }

  /** A subscription's filter: the JSON query fields, without paging ({@code limit}, {@code cursor}, {@code order}). */
  public EventQuery fromSubscriptionFilter(Principal principal, JsonObject filter) {
    for (String name : filter.fieldNames()) {
      if (Set.of("limit", "cursor", "order").contains(name)) {
        throw ApiException.badRequest("a subscription filter has no " + name + "; it is read in position order");
      }
    }
    EventQuery query = fromJson(principal, filter);
    return query.withLimit(config.replayPageSize());
  }

  private EventQuery build(Principal principal, String projectId, List<String> types, String typePrefix,
      String userId, String subject, String correlationId, Instant occurredFrom, Instant occurredTo,
      Long fromPosition, Long toPosition, String payloadContains, List<Condition> where, boolean descending,
      int limit, String cursor) {
    if (projectId != null && !principal.mayUseProject(projectId)) {
      throw ApiException.forbidden("this key may not read project " + projectId);
    }
    for (String type : types) {
      text(type, "type");
    }
    return new EventQuery(principal.tenantId(), principal.projects(), projectId, types, typePrefix, userId,
        subject, correlationId, occurredFrom, occurredTo, fromPosition, toPosition, payloadContains, where,
        descending, limit, cursor, null);
  }

  private static String text(String value, String name) {
    if (value == null) {
      return null;
    }
    if (value.isEmpty() || value.length() > EventParser.MAX_TEXT) {
      throw ApiException.badRequest(name + " must be 1.." + EventParser.MAX_TEXT + " characters");
    }
    if (value.indexOf('\0') >= 0) {
      throw ApiException.badRequest(name + " must not contain the NUL character");
    }
    return value;
  }

  private static Instant time(String value, String name) {
    if (value == null) {
      return null;
    }
    Instant parsed = EventParser.parseTimestamp(value);
    if (parsed == null) {
      throw ApiException.badRequest(name + " must be an RFC 3339 timestamp with a zone, got " + value);
    }
    return parsed;
  }

  private static Long position(String value, String name) {
    if (value == null) {
      return null;
    }
    try {
      long parsed = Long.parseLong(value);
      if (parsed < 0) {
        throw new NumberFormatException();
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(name + " must be a non-negative integer, got " + value);
    }
  }

  private int limit(String value) {
    if (value == null) {
      return config.defaultLimit();
    }
    try {
      int parsed = Integer.parseInt(value);
      if (parsed >= 1 && parsed <= config.maxLimit()) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.badRequest("limit must be an integer from 1 to " + config.maxLimit() + ", got " + value);
  }

  private static boolean order(String value) {
    if (value == null || value.equals("asc")) {
      return false;
    }
    if (value.equals("desc")) {
      return true;
    }
    throw ApiException.badRequest("order must be asc or desc, got " + value);
  }

  private static String string(JsonObject json, String field) {
    Object value = json.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      throw ApiException.badRequest(field + " must be a string");
    }
    return text(s, field);
  }

  private static Long number(JsonObject json, String field) {
    Object value = json.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < 0) {
      throw ApiException.badRequest(field + " must be a non-negative integer");
    }
    return ((Number) value).longValue();
  }

  private static List<String> stringList(JsonObject json, String field) {
    Object value = json.getValue(field);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array) || array.isEmpty() || array.size() > MAX_IN_VALUES) {
      throw ApiException.badRequest(field + " must be an array of 1.." + MAX_IN_VALUES + " strings");
    }
    List<String> result = new ArrayList<>();
    for (Object element : array) {
      if (!(element instanceof String s)) {
        throw ApiException.badRequest(field + " must contain only strings");
      }
      result.add(text(s, field));
    }
    return result;
  }

  private static String payloadContains(JsonObject json) {
    Object value = json.getValue("payload");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject payload) || !payload.fieldNames().equals(Set.of("contains"))) {
      throw ApiException.badRequest("payload must be {\"contains\": {...}}");
    }
    Object contains = payload.getValue("contains");
    if (!(contains instanceof JsonObject) && !(contains instanceof JsonArray)) {
      throw ApiException.badRequest("payload.contains must be a JSON object or array");
    }
    String encoded = Json.encode(contains);
    if (encoded.contains("\\u0000")) {
      throw ApiException.badRequest("payload.contains must not contain the NUL character");
    }
    return encoded;
  }

  private static List<Condition> conditions(JsonObject json) {
    Object value = json.getValue("where");
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array) || array.size() > MAX_CONDITIONS) {
      throw ApiException.badRequest("where must be an array of at most " + MAX_CONDITIONS + " conditions");
    }
    List<Condition> result = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject clause)) {
        throw ApiException.badRequest("where[" + i + "] must be an object {path, op, value}");
      }
      result.add(condition(clause, i));
    }
    return result;
  }

  static Condition condition(JsonObject clause, int i) {
    for (String name : clause.fieldNames()) {
      if (!Set.of("path", "op", "value").contains(name)) {
        throw ApiException.badRequest("where[" + i + "] has an unknown field " + name);
      }
    }
    List<String> path = parsePath(clause.getValue("path"), i);
    Operator op = parseOperator(clause.getValue("op"), i);
    boolean hasValue = clause.containsKey("value");
    Object operand = clause.getValue("value");
    String where = "where[" + i + "]";
    switch (op) {
      case EXISTS -> {
        if (hasValue && !(operand instanceof Boolean)) {
          throw ApiException.badRequest(where + ": exists takes true or false");
        }
        return new Condition(path.get(0), path.subList(1, path.size()), op,
            hasValue ? operand.toString() : "true");
      }
      case IN -> {
        if (!(operand instanceof JsonArray values) || values.isEmpty() || values.size() > MAX_IN_VALUES) {
          throw ApiException.badRequest(where + ": in takes an array of 1.." + MAX_IN_VALUES + " values");
        }
      }
      case GT, GTE, LT, LTE -> {
        if (!(operand instanceof Number) && !(operand instanceof String)) {
          throw ApiException.badRequest(where + ": " + op.name().toLowerCase(Locale.ROOT)
              + " compares with a number or a string");
        }
      }
      default -> {
        if (!hasValue) {
          throw ApiException.badRequest(where + ": " + op.name().toLowerCase(Locale.ROOT) + " needs a value");
        }
      }
    }
    String encoded = Json.encode(operand);
    if (encoded.contains("\\u0000")) {
      throw ApiException.badRequest(where + ": the value must not contain the NUL character");
    }
    return new Condition(path.get(0), path.subList(1, path.size()), op, encoded);
  }

  /** {@code payload.a.b} or {@code metadata.x}: a root, then 1..16 keys (array indexes are keys too). */
  static List<String> parsePath(Object value, int i) {
    if (!(value instanceof String text)) {
      throw ApiException.badRequest("where[" + i + "].path must be a string such as payload.amount");
    }
    List<String> segments = Arrays.asList(text.split("\\.", -1));
    if (segments.size() < 2 || segments.size() > MAX_PATH_DEPTH + 1
        || !(segments.get(0).equals("payload") || segments.get(0).equals("metadata"))) {
      throw ApiException.badRequest("where[" + i + "].path must start with payload. or metadata. and have at most "
          + MAX_PATH_DEPTH + " keys, got " + text);
    }
    for (String segment : segments.subList(1, segments.size())) {
      if (!PATH_SEGMENT.matcher(segment).matches()) {
        throw ApiException.badRequest("where[" + i + "].path has an invalid key '" + segment
            + "'; keys may hold letters, digits and _ $ @ : -");
      }
    }
    return segments;
  }

  private static Operator parseOperator(Object value, int i) {
    if (value instanceof String text) {
      for (Operator op : Operator.values()) {
        if (op.name().toLowerCase(Locale.ROOT).equals(text)) {
          return op;
        }
      }
    }
    throw ApiException.badRequest("where[" + i + "].op must be one of eq ne gt gte lt lte in exists, got " + value);
  }
}
