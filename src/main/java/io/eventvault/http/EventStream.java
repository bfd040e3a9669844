package io.eventvault.http;

import io.eventvault.bus.Addresses;
import io.eventvault.domain.EventPage;
import io.eventvault.domain.EventQuery;
import io.eventvault.domain.StoredEvent;
import io.eventvault.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Replays stored events in position order as NDJSON or Server-Sent Events. Pages come from the query
 * verticle one at a time; the next page is asked for only when the client has drained the last one, so a
 * slow client holds at most one page in memory and pauses the database reads.
 */
final class EventStream {

  enum Format {
    NDJSON("application/x-ndjson"),
    SSE("text/event-stream");

    final String contentType;

    Format(String contentType) {
      this.contentType = contentType;
    }
  }

  private static final DeliveryOptions PAGE = new DeliveryOptions().setSendTimeout(60_000);

  private final Vertx vertx;
  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private final Format format;
  private final Metrics metrics;
  private final int pageSize;
  private EventQuery query;
  private boolean closed;

  EventStream(Vertx vertx, RoutingContext ctx, EventQuery query, Format format, Metrics metrics) {
    this.vertx = vertx;
    this.ctx = ctx;
    this.response = ctx.response();
    this.query = query;
    this.format = format;
    this.metrics = metrics;
    this.pageSize = query.limit();
  }

  /** Fetches the first page before answering, so a failure can still be a problem+json answer. */
  Future<Void> start() {
    return fetch().map(first -> {
      response.setChunked(true)
          .putHeader("Content-Type", format.contentType + "; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
      metrics.streamOpened();
      response.closeHandler(v -> closed = true);
      response.endHandler(v -> metrics.streamClosed());
      if (format == Format.SSE) {
        response.write("retry: 3000\n\n");
      }
      deliver(first);
      return null;
    });
  }

  private Future<EventPage> fetch() {
    return vertx.eventBus().<EventPage>request(Addresses.QUERY_PAGE, query, PAGE).map(reply -> reply.body());
  }

  private void deliver(EventPage page) {
    if (closed) {
      return;
    }
    if (!page.events().isEmpty()) {
      response.write(render(page));
      metrics.eventsStreamed(page.events().size());
      query = query.withAfterPosition(page.lastPosition());
    }
    if (page.events().size() < pageSize) {
      response.end();
      return;
    }
    if (response.writeQueueFull()) {
      response.drainHandler(v -> next());
    } else {
      next();
    }
  }

  private void next() {
    if (closed) {
      return;
    }
    fetch().onSuccess(this::deliver).onFailure(failure -> {
      if (format == Format.SSE && !closed) {
        response.write("event: error\ndata: " + Problems.toApiException(failure, 500).getMessage()
            .replace('\n', ' ') + "\n\n");
      }
      // Ending without the final chunk tells an NDJSON client the stream is incomplete.
      ctx.request().connection().close();
    });
  }

  private Buffer render(EventPage page) {
    Buffer buffer = Buffer.buffer(page.events().size() * 512);
    for (StoredEvent event : page.events()) {
      String json = event.toJson();
      if (format == Format.NDJSON) {
        buffer.appendString(json).appendByte((byte) '\n');
      } else {
        buffer.appendString("id: ").appendString(Long.toString(event.position()))
            .appendString("\nevent: ").appendString(event.type())
            .appendString("\ndata: ").appendString(json).appendString("\n\n");
      }
    }
    return buffer;
  }
}
