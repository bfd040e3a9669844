package io.eventvault.domain;

import java.time.Instant;
import java.util.UUID;

/**
 * A validated event on its way to the store. {@code payloadJson} and {@code metadataJson} are compact JSON
 * text: they travel to PostgreSQL as text and are never decoded again on the write path.
 */
public record EventDraft(
    UUID id,
    String type,
    String projectId,
    String source,
    String subject,
    String userId,
    Instant occurredAt,
    int schemaVersion,
    String correlationId,
    String causationId,
    String metadataJson,
    String payloadJson) {}
