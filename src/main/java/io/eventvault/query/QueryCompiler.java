package io.eventvault.query;

import io.eventvault.domain.EventQuery;
import io.eventvault.domain.EventQuery.Condition;
import io.eventvault.store.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an {@link EventQuery} into one SELECT. The SQL text is assembled only from the fixed fragments
 * below; every value, including JSON paths, is a {@code $n} parameter.
 */
public final class QueryCompiler {

  /** SQL text and its parameters. */
  public record Compiled(String sql, Tuple params) {}

  private QueryCompiler() {}

  /** Fetches {@code limit + 1} rows: the extra row tells whether there is a next page. */
  public static Compiled page(EventQuery q) {
    Builder b = new Builder();
    b.where("e.tenant_id = " + b.param(q.tenantId()));
    if (!q.allowedProjects().isEmpty()) {
      b.where("e.project_id = ANY(" + b.param(q.allowedProjects().toArray(String[]::new)) + "::text[])");
    }
    if (q.projectId() != null) {
      b.where("e.project_id = " + b.param(q.projectId()));
    }
    if (!q.types().isEmpty()) {
      b.where("e.type = ANY(" + b.param(q.types().toArray(String[]::new)) + "::text[])");
    }
    if (q.typePrefix() != null) {
      b.where("starts_with(e.type, " + b.param(q.typePrefix()) + ")");
    }
    if (q.userId() != null) {
      b.where("e.user_id = " + b.param(q.userId()));
    }
    if (q.subject() != null) {
      b.where("e.subject = " + b.param(q.subject()));
    }
    if (q.correlationId() != null) {
      b.where("e.correlation_id = " + b.param(q.correlationId()));
    }
    if (q.occurredFrom() != null) {
      b.where("e.occurred_at >= " + b.param(q.occurredFrom().atOffset(ZoneOffset.UTC)));
    }
    if (q.occurredTo() != null) {
      b.where("e.occurred_at < " + b.param(q.occurredTo().atOffset(ZoneOffset.UTC)));
    }
    if (q.fromPosition() != null) {
      b.where("e.position >= " + b.param(q.fromPosition()));
    }
    if (q.toPosition() != null) {
      b.where("e.position <= " + b.param(q.toPosition()));
    }
    if (q.afterPosition() != null) {
      b.where("e.position " + (q.descending() ? "<" : ">") + " " + b.param(q.afterPosition()));
    }
    if (q.payloadContains() != null) {
      b.where("e.payload @> " + b.param(q.payloadContains()) + "::text::jsonb");
    }
    for (Condition c : q.where()) {
      b.where(condition(b, c));
    }
    String sql = "SELECT " + Sql.EVENT_COLUMNS + "\nFROM events e\nWHERE " + String.join("\n  AND ", b.conditions)
        + "\nORDER BY e.position " + (q.descending() ? "DESC" : "ASC")
        + "\nLIMIT " + b.param(q.limit() + 1);
    return new Compiled(sql, b.params);
  }

  private static String condition(Builder b, Condition c) {
    String column = "payload".equals(c.root()) ? "e.payload" : "e.metadata";
    String value = column + " #> " + b.param(c.path().toArray(String[]::new)) + "::text[]";
    return switch (c.op()) {
      case EQ -> "(" + value + ") = " + b.param(c.valueJson()) + "::text::jsonb";
      case NE -> "(" + value + ") <> " + b.param(c.valueJson()) + "::text::jsonb";
      case IN -> "(" + value + ") = ANY(ARRAY(SELECT jsonb_array_elements(" + b.param(c.valueJson()) + "::text::jsonb)))";
      case EXISTS -> "(" + value + ") IS " + ("false".equals(c.valueJson()) ? "" : "NOT ") + "NULL";
      case GT, GTE, LT, LTE -> ordered(b, value, c);
    };
  }

  /** Numbers compare as numbers and strings as strings; a value of another type never matches. */
  private static String ordered(Builder b, String value, Condition c) {
    String op = switch (c.op()) {
      case GT -> ">";
      case GTE -> ">=";
      case LT -> "<";
      default -> "<=";
    };
    String operand = b.param(c.valueJson()) + "::text::jsonb";
    return "(jsonb_typeof(" + value + ") = jsonb_typeof(" + operand + ") AND (" + value + ") " + op + " " + operand
        + ")";
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
