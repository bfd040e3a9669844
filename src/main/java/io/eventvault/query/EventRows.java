package io.eventvault.query;

import io.eventvault.domain.StoredEvent;
import io.vertx.sqlclient.Row;

/** Reads the columns of {@code Sql.EVENT_COLUMNS}, in order. */
final class EventRows {
  private EventRows() {}

  static StoredEvent read(Row row) {
    return new StoredEvent(
        row.getString(0),
        row.getLong(1),
        row.getUUID(2),
        row.getString(3),
        row.getString(4),
        row.getString(5),
        row.getString(6),
        row.getString(7),
        row.getOffsetDateTime(8).toInstant(),
        row.getOffsetDateTime(9).toInstant(),
        row.getInteger(10),
        row.getString(11),
        row.getString(12),
        row.getString(13),
        row.getString(14));
  }
}
