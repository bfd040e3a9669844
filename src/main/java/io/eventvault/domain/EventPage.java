package io.eventvault.domain;

import java.util.List;

/**
 * One page of a query: events in the requested order, the cursor of the next page (or null), and the position of
 * its last event (for an empty page read after a cursor: the cursor's position; otherwise null when empty).
 */
public record EventPage(List<StoredEvent> events, String nextCursor, Long lastPosition) {
  public EventPage {
    events = List.copyOf(events);
  }
}
