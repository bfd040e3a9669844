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
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Streams events in position order as NDJSON or Server-Sent Events: first the stored ones, then (with
 * {@code follow}) new ones as they commit. Pages come from the query verticle one at a time, and the next
 * page is asked for only when the client has drained the last one: a slow client holds at most one page in
 * memory, pauses the database reads, and catches up from the database when it drains. A follower is woken
 * by the writer's "appended" notifications (and by PostgreSQL NOTIFY from other nodes); the database stays
 * the source of truth, so a lost notification only delays an event until the next fallback poll.
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

  /**
   * How a stream is run: follow or not, heartbeat and fallback-poll intervals, and the least time between
   * two live reads of one follower (wake-ups in between are coalesced into one read).
   */
  record Options(boolean follow, long keepAliveMs, long pollMs, long minReadIntervalMs) {}

  private static final DeliveryOptions PAGE = new DeliveryOptions().setSendTimeout(60_000);

  private final Vertx vertx;
  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private final Format format;
  private final Options options;
  private final Metrics metrics;
  private final int pageSize;
  private EventQuery query;
  private boolean closed;
  private boolean fetching;
  private boolean caughtUp;
  private boolean wakeUp;
  /** True once the stored events have been sent: later events are live, and their latency is measured. */
  private boolean live;
  private long lastLiveRead;
  private MessageConsumer<Long> appended;
  private long keepAliveTimer = -1;
  private long pollTimer = -1;
  private Runnable onClose = () -> { };

  EventStream(Vertx vertx, RoutingContext ctx, EventQuery query, Format format, Options options, Metrics metrics) {
    this.vertx = vertx;
    this.ctx = ctx;
    this.response = ctx.response();
    this.query = query;
    this.format = format;
    this.options = options;
    this.metrics = metrics;
    this.pageSize = query.limit();
  }

  /** Fetches the first page before answering, so a failure can still be a problem+json answer. */
  Future<Void> start() {
    if (options.follow()) {
      // Listen before the first read, so no commit between the read and the subscription is missed.
      appended = vertx.eventBus().consumer(Addresses.APPENDED, message -> wake());
    }
    fetching = true;
    return fetch().map(first -> {
      fetching = false;
      response.setChunked(true)
          .putHeader("Content-Type", format.contentType + "; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
      metrics.streamOpened();
      response.closeHandler(v -> close());
      response.endHandler(v -> close());
      if (format == Format.SSE) {
        response.write("retry: 3000\n\n");
      }
      if (options.follow()) {
        keepAliveTimer = vertx.setPeriodic(options.keepAliveMs(), id -> keepAlive());
        pollTimer = vertx.setPeriodic(options.pollMs(), id -> wake());
      }
      deliver(first);
      return (Void) null;
    }).onFailure(failure -> close());
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
    if (page.events().size() == pageSize) {
      whenDrained(this::next);
      return;
    }
    if (!options.follow()) {
      response.end();
      return;
    }
    caughtUp = true;
    live = true;
    if (wakeUp) {
      wake();
    }
  }

  /** A commit happened somewhere (or the fallback poll fired): read again once the client has room. */
  private void wake() {
    if (closed) {
      return;
    }
    if (fetching || !caughtUp) {
      wakeUp = true;
      return;
    }
    wakeUp = false;
    caughtUp = false;
    long wait = options.minReadIntervalMs() - (System.nanoTime() - lastLiveRead) / 1_000_000;
    if (wait > 0) {
      vertx.setTimer(wait, id -> whenDrained(this::next));
    } else {
      whenDrained(this::next);
    }
  }

  private void whenDrained(Runnable action) {
    if (response.writeQueueFull()) {
      response.drainHandler(v -> action.run());
    } else {
      action.run();
    }
  }

  private void next() {
    if (closed) {
      return;
    }
    if (live) {
      lastLiveRead = System.nanoTime();
    }
    fetching = true;
    fetch().onComplete(result -> {
      fetching = false;
      if (result.succeeded()) {
        deliver(result.result());
      } else {
        fail(result.cause());
      }
    });
  }

  private void fail(Throwable failure) {
    if (closed) {
      return;
    }
    if (format == Format.SSE) {
      response.write("event: error\ndata: " + Problems.toApiException(failure, 500).getMessage()
          .replace('\n', ' ') + "\n\n");
    }
    // Ending without the final chunk tells an NDJSON client the stream is incomplete.
    ctx.request().connection().close();
    close();
  }

  /** The server is stopping: end the stream cleanly; the client resumes elsewhere with Last-Event-ID. */
  void end() {
    if (!closed && response.headWritten() && !response.ended()) {
      response.end();
    }
    close();
  }

  /** Called once when the stream is over, however it ended. */
  void onClose(Runnable action) {
    this.onClose = action;
  }

  private void keepAlive() {
    if (!closed && caughtUp && !response.writeQueueFull()) {
      response.write(format == Format.SSE ? ": keep-alive\n\n" : "\n");
    }
  }

  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    onClose.run();
    if (keepAliveTimer >= 0) {
      vertx.cancelTimer(keepAliveTimer);
    }
    if (pollTimer >= 0) {
      vertx.cancelTimer(pollTimer);
    }
    if (appended != null) {
      appended.unregister();
    }
    if (response.headWritten()) {
      metrics.streamClosed();
    }
  }

  private Buffer render(EventPage page) {
    Buffer buffer = Buffer.buffer(page.events().size() * 512);
    long now = System.currentTimeMillis();
    for (StoredEvent event : page.events()) {
      String json = event.toJson();
      if (format == Format.NDJSON) {
        buffer.appendString(json).appendByte((byte) '\n');
      } else {
        buffer.appendString("id: ").appendString(Long.toString(event.position()))
            .appendString("\nevent: ").appendString(event.type())
            .appendString("\ndata: ").appendString(json).appendString("\n\n");
      }
      if (live) {
        metrics.followLatency(now - event.recordedAt().toEpochMilli());
      }
    }
    return buffer;
  }
}
