package io.eventvault.domain;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;

/** An event as the store returns it. Payload and metadata stay raw JSON text from PostgreSQL. */
public record StoredEvent(
    String tenantId,
    long position,
    UUID id,
    String type,
    String projectId,
    String source,
    String subject,
    String userId,
    Instant occurredAt,
    Instant recordedAt,
    int schemaVersion,
    String correlationId,
    String causationId,
    String metadataJson,
    String payloadJson) {

  public static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** The wire form: one line of compact JSON (no newline inside, so it fits NDJSON and SSE as is). */
  public String toJson() {
    StringBuilder out = new StringBuilder(256 + payloadJson.length() + metadataJson.length());
    out.append("{\"id\":\"").append(id).append('"');
    field(out, "tenantId", tenantId);
    out.append(",\"position\":").append(position);
    field(out, "type", type);
    field(out, "projectId", projectId);
    field(out, "source", source);
    field(out, "subject", subject);
    field(out, "userId", userId);
    field(out, "occurredAt", TIMESTAMP.format(occurredAt));
    field(out, "recordedAt", TIMESTAMP.format(recordedAt));
    out.append(",\"schemaVersion\":").append(schemaVersion);
    field(out, "correlationId", correlationId);
    field(out, "causationId", causationId);
    out.append(",\"metadata\":").append(metadataJson);
    out.append(",\"payload\":").append(payloadJson);
    return out.append('}').toString();
  }

  private static void field(StringBuilder out, String name, String value) {
    if (value == null) {
      return;
    }
    out.append(",\"").append(name).append("\":\"");
    JsonStringEncoder.getInstance().quoteAsString(value, out);
    out.append('"');
  }
}
