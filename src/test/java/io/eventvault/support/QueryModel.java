package io.eventvault.support;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The query contract evaluated in memory, over events a test wrote: what the SQL must return. It follows
 * the contract and PostgreSQL's {@code jsonb} rules, written out independently of the server's code:
 *
 * <ul>
 *   <li>simple filters combine with AND; time ranges are half-open, position bounds inclusive;
 *   <li>{@code payload.contains} is {@code jsonb @>}: objects contain sub-objects, arrays contain (in any order)
 *       elements that are contained in some element, scalars are equal by type and value, and a top-level array
 *       contains a bare scalar;
 *   <li>a {@code where} path walks object keys; in arrays a key is an integer index, negative from the end;
 *   <li>{@code eq ne in gt gte lt lte} never match a missing path; {@code gt..lte} compare numbers as numbers
 *       and strings by Unicode code point, and never match a value of another type; {@code exists} is about the
 *       path, a JSON {@code null} exists.
 * </ul>
 */
public final class QueryModel {

  private QueryModel() {}

  /** A stored event, as the test wrote it. {@code payload} and {@code metadata} hold exact decimals. */
  public record Event(long position, String id, String type, String projectId, String subject, String userId,
      String correlationId, Instant occurredAt, JsonNode payload, JsonNode metadata) {}

  /** A where clause: {@code path} as sent (payload.a.b), {@code value} null when absent. */
  public record Where(String path, String op, JsonNode value) {}

  /** The filters of a query; null or empty means absent. */
  public record Query(Set<String> allowedProjects, String projectId, List<String> types, String typePrefix,
      String userId, String subject, String correlationId, Instant occurredFrom, Instant occurredTo,
      Long fromPosition, Long toPosition, JsonNode contains, List<Where> where, boolean descending) {}

  /** The events the query selects, in the order the API must return them. */
  public static List<Event> select(List<Event> events, Query q) {
    List<Event> result = new ArrayList<>();
    for (Event e : events) {
      if (matches(e, q)) {
        result.add(e);
      }
    }
    Comparator<Event> byPosition = Comparator.comparingLong(Event::position);
    result.sort(q.descending() ? byPosition.reversed() : byPosition);
    return result;
  }

  public static boolean matches(Event e, Query q) {
    if (q.allowedProjects() != null && !q.allowedProjects().isEmpty()
        && !q.allowedProjects().contains(e.projectId())) {
      return false;
    }
    if (q.projectId() != null && !q.projectId().equals(e.projectId())) {
      return false;
    }
    if (q.types() != null && !q.types().isEmpty() && !q.types().contains(e.type())) {
      return false;
    }
    if (q.typePrefix() != null && !e.type().startsWith(q.typePrefix())) {
      return false;
    }
    if (q.userId() != null && !q.userId().equals(e.userId())) {
      return false;
    }
    if (q.subject() != null && !q.subject().equals(e.subject())) {
      return false;
    }
    if (q.correlationId() != null && !q.correlationId().equals(e.correlationId())) {
      return false;
    }
    if (q.occurredFrom() != null && e.occurredAt().isBefore(q.occurredFrom())) {
      return false;
    }
    if (q.occurredTo() != null && !e.occurredAt().isBefore(q.occurredTo())) {
      return false;
    }
    if (q.fromPosition() != null && e.position() < q.fromPosition()) {
      return false;
    }
    if (q.toPosition() != null && e.position() > q.toPosition()) {
      return false;
    }
    if (q.contains() != null && !containsTop(e.payload(), q.contains())) {
      return false;
    }
    if (q.where() != null) {
      for (Where w : q.where()) {
        if (!matches(e, w)) {
          return false;
        }
      }
    }
    return true;
  }

  static boolean matches(Event e, Where w) {
    String[] segments = w.path().split("\\.", -1);
    JsonNode root = segments[0].equals("payload") ? e.payload() : e.metadata();
    JsonNode value = resolve(root, List.of(segments).subList(1, segments.length));
    switch (w.op()) {
      case "exists":
        boolean wanted = w.value() == null || w.value().asBoolean();
        return (value != null) == wanted;
      case "eq":
        return value != null && jsonEquals(value, w.value());
      case "ne":
        return value != null && !jsonEquals(value, w.value());
      case "in":
        if (value == null) {
          return false;
        }
        for (JsonNode candidate : w.value()) {
          if (jsonEquals(value, candidate)) {
            return true;
          }
        }
        return false;
      case "gt":
      case "gte":
      case "lt":
      case "lte":
        if (value == null) {
          return false;
        }
        int cmp;
        if (value.isNumber() && w.value().isNumber()) {
          cmp = value.decimalValue().compareTo(w.value().decimalValue());
        } else if (value.isTextual() && w.value().isTextual()) {
          cmp = compareCodePoints(value.textValue(), w.value().textValue());
        } else {
          return false;
        }
        return switch (w.op()) {
          case "gt" -> cmp > 0;
          case "gte" -> cmp >= 0;
          case "lt" -> cmp < 0;
          default -> cmp <= 0;
        };
      default:
        throw new IllegalArgumentException("unknown op " + w.op());
    }
  }

  private static final Pattern INDEX = Pattern.compile("-?[0-9]+");

  /** {@code jsonb #> path}: null when the path leads nowhere (SQL NULL); a JSON null is a value. */
  public static JsonNode resolve(JsonNode root, List<String> path) {
    JsonNode current = root;
    for (String key : path) {
      if (current == null) {
        return null;
      }
      if (current.isObject()) {
        current = current.get(key);
      } else if (current.isArray()) {
        if (!INDEX.matcher(key).matches()) {
          return null;
        }
        long index;
        try {
          index = Long.parseLong(key);
        } catch (NumberFormatException e) {
          return null;
        }
        if (index > Integer.MAX_VALUE || index <= Integer.MIN_VALUE) {
          return null;
        }
        if (index < 0) {
          index = current.size() + index;
          if (index < 0) {
            return null;
          }
        }
        current = index < current.size() ? current.get((int) index) : null;
      } else {
        return null;
      }
    }
    return current;
  }

  /** jsonb equality: same type; numbers by value (1 = 1.0); objects by their pairs; arrays in order. */
  public static boolean jsonEquals(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    if (a.isNumber() || b.isNumber() || a.getNodeType() != b.getNodeType()) {
      return false;
    }
    if (a.isObject()) {
      if (a.size() != b.size()) {
        return false;
      }
      Iterator<Map.Entry<String, JsonNode>> fields = a.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        JsonNode other = b.get(field.getKey());
        if (other == null || !jsonEquals(field.getValue(), other)) {
          return false;
        }
      }
      return true;
    }
    if (a.isArray()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!jsonEquals(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a.isTextual()) {
      return a.textValue().equals(b.textValue());
    }
    if (a.isBoolean()) {
      return a.booleanValue() == b.booleanValue();
    }
    return a.isNull() && b.isNull();
  }

  /** {@code a @> b} at the top level, where an array also contains a bare scalar. */
  public static boolean containsTop(JsonNode a, JsonNode b) {
    if (a.isArray() && isScalar(b)) {
      for (JsonNode element : a) {
        if (isScalar(element) && jsonEquals(element, b)) {
          return true;
        }
      }
      return false;
    }
    return contains(a, b);
  }

  static boolean contains(JsonNode a, JsonNode b) {
    if (isScalar(a) || isScalar(b)) {
      return isScalar(a) && isScalar(b) && jsonEquals(a, b);
    }
    if (a.isObject() && b.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = b.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        JsonNode mine = a.get(field.getKey());
        if (mine == null || !contains(mine, field.getValue())) {
          return false;
        }
      }
      return true;
    }
    if (a.isArray() && b.isArray()) {
      for (JsonNode wanted : b) {
        boolean found = false;
        for (JsonNode element : a) {
          if (contains(element, wanted)) {
            found = true;
            break;
          }
        }
        if (!found) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  static boolean isScalar(JsonNode n) {
    return !n.isContainerNode();
  }

  /** Unicode code point order, which is what {@code COLLATE "C"} gives on a UTF-8 database. */
  public static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  /** Numbers equal by value, everything else by Jackson's equality: to compare what the API returned. */
  public static final Comparator<JsonNode> NUMERIC = (x, y) -> {
    if (x.isNumber() && y.isNumber()) {
      return x.decimalValue().compareTo(y.decimalValue());
    }
    return x.equals(y) ? 0 : 1;
  };
}
