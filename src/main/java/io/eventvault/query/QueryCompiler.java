package io.eventvault.query;

import io.eventvault.domain.EventQuery;
import io.eventvault.domain.EventQuery.Condition;
import io.eventvault.store.Sql;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an {@link EventQuery} into one SELECT. The SQL text is assembled only from the fixed fragments
 * below; every value, including JSON paths, is a {@code $n} parameter.
 *
 * <p>Plan shapes (measured at 20 M events, see docs/benchmarks-query.md):
 *
 * <ul>
 *   <li>One type is compared with {@code =}, not {@code = ANY(array)}: PostgreSQL 15 cannot return an index scan
 *       in {@code position} order below an array comparison, so the planner would have to fetch and sort every
 *       match.
 *   <li>{@code gt gte lt lte} are written as {@code CASE}: the planner then assumes half the rows pass each one
 *       (instead of 0.5 % for a {@code jsonb_typeof(…) = …} test), so a range filter no longer makes it fetch and
 *       sort every candidate when walking an index in position order finds the first page at once.
 *   <li>A query scoped to a project and to a short {@code occurred_at} window is never answered by walking an
 *       index in position order: partitions without a match in the window would be read to their end (the
 *       planner expects the walk to stop early). It is answered from the window (index range, then sort).
 *   <li>Such a window is sorted as raw rows and only the page's rows are then projected: a big tenant's day holds
 *       thousands of candidates, and turning every payload into text before the sort (the plain shape) cost more
 *       than reading them. (Tried and dropped: a "late row lookup" that sorts (position, recorded_at) from an
 *       index-only scan and then reads the page by primary key. As a per-row LATERAL join its estimated cost crosses
 *       {@code jit_above_cost} and JIT compilation alone takes a quarter of a second; as {@code position = ANY(…)}
 *       with run-time pruning on recorded_at the planner, blind to the init plans' values, scans smaller tenants'
 *       whole key range instead.)
 * </ul>
 */
public final class QueryCompiler {

  /** SQL text and its parameters. */
  public record Compiled(String sql, Tuple params) {}

  /** Windows up to this long are read as a range and sorted, never walked in position order. */
  static final Duration SHORT_WINDOW = Duration.ofDays(7);

  /**
   * Late projection only for pages: a count wraps the query in {@code count(*)} with a huge limit, where it gains
   * nothing and would add a second sort.
   */
  static final int LATE_PROJECTION_MAX_LIMIT = 1000;

  private QueryCompiler() {}

  /** Fetches {@code limit + 1} rows: the extra row tells whether there is a next page. */
  public static Compiled page(EventQuery q) {
    Builder b = new Builder();
    String direction = q.descending() ? " DESC" : " ASC";
    if (readsWindow(q) && q.limit() <= LATE_PROJECTION_MAX_LIMIT) {
      // Late projection: sort the window's raw rows and turn only the page's payloads and metadata into text.
      filters(b, q, "w");
      String sql = "SELECT " + Sql.EVENT_COLUMNS + "\nFROM (\n  SELECT w.*\n  FROM events w\n"
          + "  WHERE " + String.join("\n    AND ", b.conditions)
          + "\n  ORDER BY (w.position + 0)" + direction
          + "\n  LIMIT " + b.param(q.limit() + 1)
          + "\n) e\nORDER BY e.position" + direction;
      return new Compiled(sql, b.params);
    }
    filters(b, q, "e");
    String order = (readsWindow(q) ? "(e.position + 0)" : "e.position") + direction;
    String sql = "SELECT " + Sql.EVENT_COLUMNS + "\nFROM events e\nWHERE " + String.join("\n  AND ", b.conditions)
        + "\nORDER BY " + order
        + "\nLIMIT " + b.param(q.limit() + 1);
    return new Compiled(sql, b.params);
  }

  /** Every filter of the query, on table alias {@code a}; the tenant is always {@code $1}. */
  private static void filters(Builder b, EventQuery q, String a) {
    b.where(a + ".tenant_id = " + b.param(q.tenantId()));
    if (!q.allowedProjects().isEmpty()) {
      b.where(a + ".project_id = ANY(" + b.param(q.allowedProjects().toArray(String[]::new)) + "::text[])");
    }
    if (q.projectId() != null) {
      b.where(a + ".project_id = " + b.param(q.projectId()));
    }
    if (q.types().size() == 1) {
      b.where(a + ".type = " + b.param(q.types().get(0)));
    } else if (!q.types().isEmpty()) {
      b.where(a + ".type = ANY(" + b.param(q.types().toArray(String[]::new)) + "::text[])");
    }
    if (q.typePrefix() != null) {
      b.where("starts_with(" + a + ".type, " + b.param(q.typePrefix()) + ")");
    }
    if (q.userId() != null) {
      b.where(a + ".user_id = " + b.param(q.userId()));
    }
    if (q.subject() != null) {
      b.where(a + ".subject = " + b.param(q.subject()));
    }
    if (q.correlationId() != null) {
      b.where(a + ".correlation_id = " + b.param(q.correlationId()));
    }
    if (q.occurredFrom() != null) {
      b.where(a + ".occurred_at >= " + b.param(q.occurredFrom().atOffset(ZoneOffset.UTC)));
    }
    if (q.occurredTo() != null) {
      b.where(a + ".occurred_at < " + b.param(q.occurredTo().atOffset(ZoneOffset.UTC)));
    }
    if (q.fromPosition() != null) {
      b.where(a + ".position >= " + b.param(q.fromPosition()));
    }
    if (q.toPosition() != null) {
      b.where(a + ".position <= " + b.param(q.toPosition()));
    }
    if (q.afterPosition() != null) {
      b.where(a + ".position " + (q.descending() ? "<" : ">") + " " + b.param(q.afterPosition()));
    }
    if (q.payloadContains() != null) {
      b.where(a + ".payload @> " + b.param(q.payloadContains()) + "::text::jsonb");
    }
    for (Condition c : q.where()) {
      b.where(condition(b, c, a));
    }
  }

  /**
   * True when the query is scoped to a project and to an {@code occurred_at} window of at most {@link #SHORT_WINDOW}
   * (an open end counts until now): then its candidates are few enough to read as a range and sort.
   */
  static boolean readsWindow(EventQuery q) {
    if (q.projectId() == null || q.occurredFrom() == null) {
      return false;
    }
    Instant to = q.occurredTo() != null ? q.occurredTo() : Instant.now();
    return !to.isAfter(q.occurredFrom().plus(SHORT_WINDOW));
  }

  private static String condition(Builder b, Condition c, String a) {
    String column = a + ("payload".equals(c.root()) ? ".payload" : ".metadata");
    String path = b.param(c.path().toArray(String[]::new)) + "::text[]";
    String value = column + " #> " + path;
    return switch (c.op()) {
      case EQ -> "(" + value + ") = " + b.param(c.valueJson()) + "::text::jsonb";
      case NE -> "(" + value + ") <> " + b.param(c.valueJson()) + "::text::jsonb";
      case IN -> "(" + value + ") = ANY(ARRAY(SELECT jsonb_array_elements(" + b.param(c.valueJson()) + "::text::jsonb)))";
      case EXISTS -> "(" + value + ") IS " + ("false".equals(c.valueJson()) ? "" : "NOT ") + "NULL";
      case GT, GTE, LT, LTE -> ordered(b, column, path, value, c);
    };
  }

  /**
   * Numbers compare as numbers and strings as strings, by Unicode code point ({@code COLLATE "C"}: the same answer
   * whatever the database's collation); a value of another type never matches. Written as a {@code CASE} so that
   * the planner's estimate stays neutral (see the class comment).
   */
  private static String ordered(Builder b, String column, String path, String value, Condition c) {
    String op = switch (c.op()) {
      case GT -> ">";
      case GTE -> ">=";
      case LT -> "<";
      default -> "<=";
    };
    Object operand = Json.decodeValue(c.valueJson());
    if (operand instanceof String text) {
      return "CASE WHEN jsonb_typeof(" + value + ") = 'string' THEN (" + column + " #>> " + path + ") COLLATE \"C\" "
          + op + " " + b.param(text) + "::text ELSE false END";
    }
    if (operand instanceof Number) {
      return "CASE WHEN jsonb_typeof(" + value + ") = 'number' THEN (" + value + ") " + op + " "
          + b.param(c.valueJson()) + "::text::jsonb ELSE false END";
    }
    String typed = b.param(c.valueJson()) + "::text::jsonb";
    return "CASE WHEN jsonb_typeof(" + value + ") = jsonb_typeof(" + typed + ") THEN (" + value + ") " + op + " "
        + typed + " ELSE false END";
  }

  private static final class Builder {
    private final List<String> conditions = new ArrayList<>();
    private final Tuple params = Tuple.tuple();

    void where(String condition) {
      conditions.add(condition);
    }

    String param(Object value) {
      params.addValue(value instanceof JsonArray array ? array : value);
      return "$" + params.size();
    }
  }
}
