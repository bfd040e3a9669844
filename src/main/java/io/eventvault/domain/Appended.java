package io.eventvault.domain;

import java.util.UUID;

/** The store's answer for one event: where it is, and whether it was already there. */
public record Appended(UUID id, long position, boolean duplicate) {}
