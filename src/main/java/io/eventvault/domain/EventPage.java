package io.eventvault.domain;

import java.util.List;

/** One page of a query: events in the requested order, and the cursor of the next page (or null). */
public record EventPage(List<StoredEvent> events, String nextCursor, Long lastPosition) {
  public EventPage {
    events = List.copyOf(events);
  }
}
