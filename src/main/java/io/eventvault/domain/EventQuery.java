package io.eventvault.domain;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * A read of one tenant's events. Every filter is optional (null or empty) and filters combine with AND.
 * {@code allowedProjects} comes from the key, never from the request. {@code afterPosition} is the
 * exclusive keyset bound set by the server (decoded cursor or replay progress).
 */
public record EventQuery(
    String tenantId,
    Set<String> allowedProjects,
    String projectId,
    List<String> types,
    String typePrefix,
    String userId,
    String subject,
    String correlationId,
    Instant occurredFrom,
    Instant occurredTo,
    Long fromPosition,
    Long toPosition,
    String payloadContains,
    List<Condition> where,
    boolean descending,
    int limit,
    String cursor,
    Long afterPosition) {

  public EventQuery {
    types = types == null ? List.of() : List.copyOf(types);
    where = where == null ? List.of() : List.copyOf(where);
    allowedProjects = allowedProjects == null ? Set.of() : Set.copyOf(allowedProjects);
  }

  public EventQuery withAfterPosition(Long position) {
    return new EventQuery(tenantId, allowedProjects, projectId, types, typePrefix, userId, subject, correlationId,
        occurredFrom, occurredTo, fromPosition, toPosition, payloadContains, where, descending, limit, null, position);
  }

  /** The same query, ending at {@code position} (inclusive) or earlier if it already ended earlier. */
  public EventQuery withToPositionAtMost(long position) {
    Long to = toPosition == null ? position : Math.min(toPosition, position);
    return new EventQuery(tenantId, allowedProjects, projectId, types, typePrefix, userId, subject, correlationId,
        occurredFrom, occurredTo, fromPosition, to, payloadContains, where, descending, limit, cursor, afterPosition);
  }

  /** True when the query looks inside {@code payload} or {@code metadata}: then only SQL can evaluate it. */
  public boolean filtersJson() {
    return payloadContains != null || !where.isEmpty();
  }

  /**
   * Whether an event of this query's tenant passes its column filters, evaluated in memory exactly as the SQL
   * does (equality of text, {@code starts_with}, half-open time range, inclusive position bounds). The JSON
   * filters are not evaluated here: see {@link #filtersJson()}. Timestamps in queries are truncated to
   * milliseconds, like stored ones, so {@link Instant} comparison gives the database's answer.
   */
  public boolean admitsColumns(StoredEvent e) {
    return tenantId.equals(e.tenantId())
        && (allowedProjects.isEmpty() || allowedProjects.contains(e.projectId()))
        && (projectId == null || projectId.equals(e.projectId()))
        && (types.isEmpty() || types.contains(e.type()))
        && (typePrefix == null || e.type().startsWith(typePrefix))
        && (userId == null || userId.equals(e.userId()))
        && (subject == null || subject.equals(e.subject()))
        && (correlationId == null || correlationId.equals(e.correlationId()))
        && (occurredFrom == null || !e.occurredAt().isBefore(occurredFrom))
        && (occurredTo == null || e.occurredAt().isBefore(occurredTo))
        && (fromPosition == null || e.position() >= fromPosition)
        && (toPosition == null || e.position() <= toPosition);
  }

  public EventQuery withLimit(int newLimit) {
    return new EventQuery(tenantId, allowedProjects, projectId, types, typePrefix, userId, subject, correlationId,
        occurredFrom, occurredTo, fromPosition, toPosition, payloadContains, where, descending, newLimit, cursor,
        afterPosition);
  }

  /**
   * A filter on a value inside {@code payload} or {@code metadata}: {@code root} is one of those two,
   * {@code path} the keys below it, {@code valueJson} the operand as JSON text (null for {@code exists}
   * without a value).
   */
  public record Condition(String root, List<String> path, Operator op, String valueJson) {
    public Condition {
      path = List.copyOf(path);
    }
  }

  /** Comparison operators of the {@code where} clause. */
  public enum Operator {
    EQ,
    NE,
    GT,
    GTE,
    LT,
    LTE,
    IN,
    EXISTS
  }
}
