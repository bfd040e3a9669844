package io.eventvault.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventvault.domain.EventDraft;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Reads the body of {@code POST /v1/events} into validated drafts: one event or an array as JSON, NDJSON,
 * and CloudEvents 1.0 in structured, batch and binary mode. Every event is checked; if any breaks a rule,
 * nothing is returned and the exception lists each failure by index.
 */
public final class EventParser {

  public static final String JSON = "application/json";
  public static final String NDJSON = "application/x-ndjson";
  public static final String CLOUDEVENT = "application/cloudevents+json";
  public static final String CLOUDEVENT_BATCH = "application/cloudevents-batch+json";

  static final int MAX_TEXT = 500;
  static final int MAX_TYPE = 200;
  static final int MAX_PROJECT = 100;
  private static final Pattern PROJECT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]*");
  private static final Set<String> NATIVE_FIELDS = Set.of("id", "type", "projectId", "source", "subject", "userId",
      "occurredAt", "schemaVersion", "correlationId", "causationId", "metadata", "payload");
  private static final Set<String> SERVER_FIELDS = Set.of("tenantId", "position", "recordedAt", "duplicate");
  private static final Map<String, String> CE_EXTENSIONS = Map.of("projectid", "projectId", "userid", "userId",
      "schemaversion", "schemaVersion", "correlationid", "correlationId", "causationid", "causationId");
  private static final Set<String> CE_ATTRIBUTES = Set.of("specversion", "id", "source", "type", "subject", "time",
      "datacontenttype", "dataschema", "data", "data_base64");

  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  /** Whether the body being parsed (on this thread) may hold a NUL: set once per body. */
  private static final ThreadLocal<Boolean> nulCheck = ThreadLocal.withInitial(() -> Boolean.TRUE);
  private static final Instant FIRST = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant LAST = Instant.parse("9999-12-31T00:00:00Z");

  private final int maxEventBytes;
  private final int maxEvents;

  public EventParser(int maxEventBytes, int maxEvents) {
    this.maxEventBytes = maxEventBytes;
    this.maxEvents = maxEvents;
  }

  /** The media type without parameters, lower case; null when absent. */
  public static String mediaType(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return null;
    }
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  static boolean isJson(String mediaType) {
    return mediaType != null && (mediaType.equals(JSON) || mediaType.endsWith("+json"));
  }

  public List<EventDraft> parse(Buffer body, String contentType, MultiMap headers) {
    // JSON can carry NUL only as the escape \u0000 (a raw control character is invalid): one scan of the
    // body decides whether the per-value check is needed at all.
    boolean mayHoldNul = body != null && body.toString(StandardCharsets.ISO_8859_1).contains("\\u0000");
    nulCheck.set(mayHoldNul);
    try {
      return parseBody(body, contentType, headers);
    } finally {
      nulCheck.remove();
    }
  }

  private List<EventDraft> parseBody(Buffer body, String contentType, MultiMap headers) {
    String media = mediaType(contentType);
    if (headers.contains("ce-specversion")) {
      if (!isJson(media)) {
        throw ApiException.unsupportedMediaType(
            "CloudEvents binary mode needs a JSON Content-Type for the data, got " + media);
      }
      return validate(List.of(binaryCloudEvent(headers, readJson(body, "the body"))), true);
    }
    if (media == null) {
      throw ApiException.unsupportedMediaType("Content-Type is missing; send application/json, " + NDJSON
          + ", " + CLOUDEVENT + " or " + CLOUDEVENT_BATCH);
    }
    return switch (media) {
      case JSON -> validate(objectOrArray(readJson(body, "the body")), false);
      case NDJSON -> validate(ndjson(body), false);
      case CLOUDEVENT -> validate(List.of(readJson(body, "the body")), true);
      case CLOUDEVENT_BATCH -> {
        JsonNode root = readJson(body, "the body");
        if (!root.isArray()) {
          throw ApiException.badRequest(CLOUDEVENT_BATCH + " must be a JSON array");
        }
        yield validate(elements(root), true);
      }
      default -> throw ApiException.unsupportedMediaType("unsupported Content-Type " + media + "; send "
          + JSON + ", " + NDJSON + ", " + CLOUDEVENT + " or " + CLOUDEVENT_BATCH);
    };
  }

  private static JsonNode readJson(Buffer body, String what) {
    if (body == null || body.length() == 0) {
      throw ApiException.badRequest("the request body is empty");
    }
    try {
      return MAPPER.readTree(body.getBytes());
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest(what + " is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ApiException.badRequest(what + " cannot be read: " + e.getMessage());
    }
  }

  private static List<JsonNode> objectOrArray(JsonNode root) {
    return root.isArray() ? elements(root) : List.of(root);
  }

  private static List<JsonNode> elements(JsonNode array) {
    List<JsonNode> result = new ArrayList<>(array.size());
    array.forEach(result::add);
    return result;
  }

  private static List<JsonNode> ndjson(Buffer body) {
    String text = body == null ? "" : body.toString(StandardCharsets.UTF_8);
    List<JsonNode> result = new ArrayList<>();
    int lineNumber = 0;
    for (String line : text.split("\n", -1)) {
      lineNumber++;
      if (line.isBlank()) {
        continue;
      }
      try {
        result.add(MAPPER.readTree(line));
      } catch (JsonProcessingException e) {
        throw ApiException.badRequest("line " + lineNumber + " is not valid JSON: " + e.getOriginalMessage());
      }
    }
    return result;
  }

  private List<EventDraft> validate(List<JsonNode> nodes, boolean cloudEvents) {
    if (nodes.isEmpty()) {
      throw ApiException.unprocessable("the request holds no events");
    }
    if (nodes.size() > maxEvents) {
      throw ApiException.tooLarge("a request may hold at most " + maxEvents + " events, this one has "
          + nodes.size(), null);
    }
    List<EventDraft> drafts = new ArrayList<>(nodes.size());
    JsonArray errors = new JsonArray();
    boolean tooLarge = false;
    for (int index = 0; index < nodes.size(); index++) {
      Errors found = new Errors(index);
      JsonNode node = nodes.get(index);
      EventDraft draft = null;
      if (!node.isObject()) {
        found.add(null, "an event must be a JSON object, got " + node.getNodeType().name().toLowerCase(Locale.ROOT));
      } else {
        ObjectNode event = cloudEvents ? fromCloudEvent((ObjectNode) node, found) : (ObjectNode) node;
        if (event != null) {
          draft = toDraft(event, found, !cloudEvents);
        }
      }
      if (draft != null && size(draft) > maxEventBytes) {
        tooLarge = true;
        found.add(null, "the event is larger than " + maxEventBytes + " bytes");
      }
      if (found.any()) {
        found.list.forEach(errors::add);
      } else {
        drafts.add(draft);
      }
    }
    if (!errors.isEmpty()) {
      int failed = countIndexes(errors);
      String detail = failed + " of " + nodes.size() + (nodes.size() == 1 ? " event is" : " events are")
          + " invalid; nothing was stored";
      throw tooLarge ? ApiException.tooLarge(detail, errors) : ApiException.invalidEvents(detail, errors);
    }
    return drafts;
  }

  private static int countIndexes(JsonArray errors) {
    return (int) errors.stream().map(e -> ((JsonObject) e).getInteger("index")).distinct().count();
  }

  private static int size(EventDraft d) {
    return utf8Length(d.payloadJson()) + utf8Length(d.metadataJson()) + utf8Length(d.type())
        + utf8Length(d.projectId()) + utf8Length(d.source()) + utf8Length(d.subject()) + utf8Length(d.userId())
        + utf8Length(d.correlationId()) + utf8Length(d.causationId()) + 128;
  }

  static int utf8Length(String s) {
    if (s == null) {
      return 0;
    }
    int bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  private EventDraft toDraft(ObjectNode event, Errors errors, boolean strictFields) {
    if (strictFields) {
      Iterator<String> names = event.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (SERVER_FIELDS.contains(name)) {
          errors.add(name, name + " is set by the server and may not be sent");
        } else if (!NATIVE_FIELDS.contains(name)) {
          errors.add(name, "unknown field " + name);
        }
      }
    }
    UUID id = uuid(event, errors);
    String type = text(event, "type", true, MAX_TYPE, errors);
    String projectId = text(event, "projectId", true, MAX_PROJECT, errors);
    if (projectId != null && !PROJECT_ID.matcher(projectId).matches()) {
      errors.add("projectId", "projectId may hold letters, digits and . _ : - and must start with a letter or digit");
    }
    String source = text(event, "source", false, MAX_TEXT, errors);
    String subject = text(event, "subject", false, MAX_TEXT, errors);
    String userId = text(event, "userId", false, MAX_TEXT, errors);
    String correlationId = text(event, "correlationId", false, MAX_TEXT, errors);
    String causationId = text(event, "causationId", false, MAX_TEXT, errors);
    Instant occurredAt = timestamp(event, errors);
    int schemaVersion = schemaVersion(event, errors);
    String metadata = "{}";
    JsonNode metadataNode = event.get("metadata");
    if (metadataNode != null && !metadataNode.isNull()) {
      if (!metadataNode.isObject()) {
        errors.add("metadata", "metadata must be a JSON object");
      } else {
        metadata = storable(metadataNode, "metadata", errors);
      }
    }
    String payload = null;
    JsonNode payloadNode = event.get("payload");
    if (payloadNode == null || payloadNode.isNull() || payloadNode.isMissingNode()) {
      errors.add("payload", "payload is required");
    } else {
      payload = storable(payloadNode, "payload", errors);
    }
    if (errors.any()) {
      return null;
    }
    return new EventDraft(id == null ? UuidV7.next() : id, type, projectId, source, subject, userId,
        occurredAt == null ? Instant.now() : occurredAt, schemaVersion, correlationId, causationId, metadata,
        payload);
  }

  private static UUID uuid(ObjectNode event, Errors errors) {
    JsonNode node = event.get("id");
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      errors.add("id", "id must be a UUID string");
      return null;
    }
    try {
      String text = node.asText();
      if (text.length() != 36) {
        throw new IllegalArgumentException();
      }
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      errors.add("id", "id must be a UUID such as 0193a5e4-7d1c-7b8e-9f00-1c2d3e4f5a6b");
      return null;
    }
  }

  private static String text(ObjectNode event, String field, boolean required, int max, Errors errors) {
    JsonNode node = event.get(field);
    if (node == null || node.isNull()) {
      if (required) {
        errors.add(field, field + " is required");
      }
      return null;
    }
    if (!node.isTextual()) {
      errors.add(field, field + " must be a string");
      return null;
    }
    String value = node.asText();
    if (value.isEmpty()) {
      errors.add(field, field + " must not be empty");
    } else if (value.length() > max) {
      errors.add(field, field + " must be at most " + max + " characters");
    } else if (hasControl(value)) {
      errors.add(field, field + " must not contain control characters");
    } else {
      return value;
    }
    return null;
  }

  private static boolean hasControl(String value) {
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static Instant timestamp(ObjectNode event, Errors errors) {
    JsonNode node = event.get("occurredAt");
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      errors.add("occurredAt", "occurredAt must be an RFC 3339 timestamp string");
      return null;
    }
    Instant parsed = parseTimestamp(node.asText());
    if (parsed == null) {
      errors.add("occurredAt", "occurredAt must be an RFC 3339 timestamp with a zone, such as 2026-12-04T12:00:00.123Z");
    }
    return parsed;
  }

  /** RFC 3339 with an offset or Z, years 0001..9999; null otherwise. */
  public static Instant parseTimestamp(String text) {
    try {
      // Stored with millisecond precision: truncate here, so PostgreSQL does not round into the next day.
      Instant instant = OffsetDateTime.parse(text).toInstant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
      if (instant.isBefore(FIRST) || !instant.isBefore(LAST)) {
        return null;
      }
      return instant;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static int schemaVersion(ObjectNode event, Errors errors) {
    JsonNode node = event.get("schemaVersion");
    if (node == null || node.isNull()) {
      return 1;
    }
    if (node.isTextual() && node.asText().matches("[0-9]{1,9}")) {
      node = MAPPER.getNodeFactory().numberNode(Integer.parseInt(node.asText()));
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < 1) {
      errors.add("schemaVersion", "schemaVersion must be an integer >= 1");
      return 1;
    }
    return node.asInt();
  }

  /** Compact JSON text that PostgreSQL's jsonb accepts (it refuses the NUL character). */
  private static String storable(JsonNode node, String field, Errors errors) {
    if (nulCheck.get() && containsNul(node)) {
      errors.add(field, field + " must not contain the NUL character (\\u0000)");
      return null;
    }
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      errors.add(field, field + " cannot be encoded: " + e.getOriginalMessage());
      return null;
    }
  }

  private static boolean containsNul(JsonNode node) {
    if (node.getNodeType() == JsonNodeType.STRING) {
      return node.asText().indexOf('\0') >= 0;
    }
    if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        if (field.getKey().indexOf('\0') >= 0 || containsNul(field.getValue())) {
          return true;
        }
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        if (containsNul(element)) {
          return true;
        }
      }
    }
    return false;
  }

  // CloudEvents 1.0 ---------------------------------------------------------------------------------

  /** Maps a structured CloudEvent to the native shape; null (with errors) when it is not a valid one. */
  private static ObjectNode fromCloudEvent(ObjectNode ce, Errors errors) {
    ObjectNode event = MAPPER.createObjectNode();
    ObjectNode metadata = MAPPER.createObjectNode();
    JsonNode spec = ce.get("specversion");
    if (spec == null || !"1.0".equals(spec.asText())) {
      errors.add("specversion", "specversion must be \"1.0\"");
    }
    String ceId = ceText(ce, "id", errors);
    String source = ceText(ce, "source", errors);
    ceText(ce, "type", errors);
    if (errors.any()) {
      return null;
    }
    event.put("id", idFor(ceId, source, metadata).toString());
    event.set("type", ce.get("type"));
    event.set("source", ce.get("source"));
    copy(ce, "subject", event, "subject");
    copy(ce, "time", event, "occurredAt");
    JsonNode contentType = ce.get("datacontenttype");
    if (contentType != null && !isJson(mediaType(contentType.asText()))) {
      errors.add("datacontenttype", "data must be JSON, got datacontenttype " + contentType.asText());
    }
    if (ce.has("data_base64")) {
      errors.add("data_base64", "binary data is not supported; the payload must be JSON in data");
    }
    copy(ce, "data", event, "payload");
    Iterator<Map.Entry<String, JsonNode>> fields = ce.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String name = field.getKey();
      if (CE_EXTENSIONS.containsKey(name)) {
        JsonNode value = field.getValue();
        event.set(CE_EXTENSIONS.get(name), value);
      } else if (name.equals("dataschema")) {
        metadata.set("dataschema", field.getValue());
      } else if (!CE_ATTRIBUTES.contains(name)) {
        metadata.set(name, field.getValue());
      }
    }
    if (!metadata.isEmpty()) {
      event.set("metadata", metadata);
    }
    return errors.any() ? null : event;
  }

  /** A CloudEvent from {@code ce-*} headers, the body being its data. */
  private static JsonNode binaryCloudEvent(MultiMap headers, JsonNode data) {
    ObjectNode ce = MAPPER.createObjectNode();
    for (Map.Entry<String, String> header : headers) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (name.startsWith("ce-")) {
        ce.put(name.substring(3), header.getValue());
      }
    }
    ce.put("datacontenttype", "application/json");
    ce.set("data", data);
    return ce;
  }

  private static String ceText(ObjectNode ce, String field, Errors errors) {
    JsonNode node = ce.get(field);
    if (node == null || !node.isTextual() || node.asText().isEmpty()) {
      errors.add(field, field + " is required and must be a non-empty string");
      return null;
    }
    return node.asText();
  }

  /**
   * CloudEvents ids are unique per source and need not be UUIDs. A UUID id is kept; any other id maps to a
   * name-based UUID of (source, id), so a re-sent CloudEvent is still recognised, and the original id is
   * kept in metadata as {@code ceid}.
   */
  private static UUID idFor(String ceId, String source, ObjectNode metadata) {
    if (ceId.length() == 36) {
      try {
        return UUID.fromString(ceId);
      } catch (IllegalArgumentException e) {
        // not a UUID: fall through
      }
    }
    metadata.put("ceid", ceId);
    return UUID.nameUUIDFromBytes((source + "\u0000" + ceId).getBytes(StandardCharsets.UTF_8));
  }

  private static void copy(ObjectNode from, String field, ObjectNode to, String as) {
    JsonNode value = from.get(field);
    if (value != null) {
      to.set(as, value);
    }
  }

  /** The failures of one event. */
  private static final class Errors {
    private final int index;
    private final List<JsonObject> list = new ArrayList<>();

    Errors(int index) {
      this.index = index;
    }

    void add(String field, String message) {
      JsonObject error = new JsonObject().put("index", index);
      if (field != null) {
        error.put("field", field);
      }
      list.add(error.put("message", message));
    }

    boolean any() {
      return !list.isEmpty();
    }
  }
}
