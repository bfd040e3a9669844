package io.eventvault.domain;

import java.util.Locale;
import java.util.Optional;

/** What an API key may do. */
public enum Scope {
  INGEST,
  QUERY,
  REPLAY,
  ADMIN,
  GDPR;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Scope> parse(String value) {
    for (Scope scope : values()) {
      if (scope.wireName().equals(value)) {
        return Optional.of(scope);
      }
    }
    return Optional.empty();
  }
}
