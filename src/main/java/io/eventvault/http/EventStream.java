package io.eventvault.http;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Messages.TailBatch;
import io.eventvault.bus.Messages.TailJoin;
import io.eventvault.bus.Messages.TailLeave;
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
import java.util.ArrayDeque;
import java.util.List;

/**
 * Streams events in position order as NDJSON or Server-Sent Events: first the stored ones, then (with
 * {@code follow}) new ones as they commit, each exactly once.
 *
 * <p><b>Catching up.</b> Stored events come from the query verticle one page at a time, and the next page is
 * asked for only when the client has drained the last one: a slow client holds at most one page in memory.
 *
 * <p><b>Following.</b> Once caught up, the stream joins the node's {@link LiveTail} for its tenant and receives
 * its batches, each holding every event of the tenant in a range of positions {@code (from, to]}. The stream
 * keeps {@code covered}: every matching event up to that position has been written. A batch that starts at or
 * before {@code covered} is filtered in memory and written; a batch that starts after it means a gap (the stream
 * joined late, or dropped batches while its client was slow), and the stream reads the gap from the database
 * itself, bounded by the newest position a batch has shown, which is known to be complete. A query with JSON
 * filters ({@code payload.contains}, {@code where}), which only SQL evaluates, reads each batch's range the same
 * way. Batches waiting for a slow client are capped at one page (of events, and of batches); beyond that they are
 * dropped and the stream catches up from the database when the client drains.
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
   * How a stream is run: whether it follows, the interval of its keep-alive lines, and how many events it sends
   * before it ends ({@code limit}, null for no limit).
   */
  record Options(boolean follow, long keepAliveMs, Long limit) {}

  private static final DeliveryOptions PAGE = new DeliveryOptions().setSendTimeout(60_000);

  /**
   * Bytes written to the response but not yet handed to the socket, above which the client counts as busy. With
   * Vert.x 5.0.7, {@code writeQueueFull()} was seen to stay false with 20 MB queued in 2 MB writes (it watches the
   * number of queued messages), so the stream counts its own bytes, settled as each write's future completes.
   */
  static final int MAX_UNSENT_BYTES = 512 * 1024;

  private final Vertx vertx;
  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private final Format format;
  private final Options options;
  private final Metrics metrics;
  private final int pageSize;
  private final EventQuery query;
  private final String credential;
  /** Every matching event at or below this position has been written. */
  private long covered;
  /** The answer has begun (status and headers are set): from now on the stream ends with its final chunk. */
  private boolean started;
  private boolean closed;
  private boolean fetching;
  /** True once the stored events have been sent: later events are live, and their latency is measured. */
  private boolean live;
  /** Batches were dropped while the client was slow: catch up from the database before using the tail again. */
  private boolean overflowed;
  private final ArrayDeque<TailBatch> pending = new ArrayDeque<>();
  private int pendingEvents;
  /** The end of the newest batch received: every position up to it is committed or will never be. */
  private long newest;
  private long unsentBytes;
  /** Events written so far, against {@link Options#limit()}. */
  private long sent;
  /** What to do once the client has room again (at most one thing waits). */
  private Runnable whenRoom;
  private MessageConsumer<TailBatch> tail;
  /** A join was sent to the tail, so a leave must follow. */
  private boolean joined;
  private long keepAliveTimer = -1;
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
    this.credential = Authenticator.credential(ctx.request().getHeader("Authorization"));
    this.covered = query.afterPosition() != null ? query.afterPosition()
        : query.fromPosition() != null ? query.fromPosition() - 1 : 0;
  }

  /** Fetches the first page before answering, so a failure can still be a problem+json answer. */
  Future<Void> start() {
    response.closeHandler(v -> close());
    fetching = true;
    return fetch(null).map(first -> {
      fetching = false;
      if (closed) {
        if (response.closed()) {
          return (Void) null;
        }
        // Ended while the first page was read: the client retries, and is authenticated again.
        throw ApiException.of(503, "the stream was ended before it began (the server is stopping, or the key or "
            + "tenant changed); retry");
      }
      started = true;
      response.setChunked(true)
          .putHeader("Content-Type", format.contentType + "; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
      metrics.streamOpened();
      response.endHandler(v -> close());
      if (format == Format.SSE) {
        write(Buffer.buffer("retry: 3000\n\n"));
      }
      if (options.follow()) {
        keepAliveTimer = vertx.setPeriodic(options.keepAliveMs(), id -> keepAlive());
      }
      caughtUp(first, null);
      return (Void) null;
    }).onFailure(failure -> close());
  }

  /**
   * The next page after {@code covered}, ending at {@code bound} (inclusive) when it is not null. The first page
   * of a stream that starts from a cursor is read after the cursor, which the query verticle checks and decodes.
   */
  private Future<EventPage> fetch(Long bound) {
    EventQuery page = !started && query.cursor() != null ? query : query.withAfterPosition(covered);
    if (bound != null) {
      page = page.withToPositionAtMost(bound);
    }
    if (live) {
      metrics.streamRead("stream");
    }
    return vertx.eventBus().<EventPage>request(Addresses.QUERY_PAGE, page, PAGE).map(reply -> reply.body());
  }

  /**
   * Writes a page read from the database, then reads on while pages are full; a short page means everything up to
   * {@code bound} (or up to the database's present, without a bound) has been written.
   */
  private void caughtUp(EventPage page, Long bound) {
    if (closed) {
      return;
    }
    if (!page.events().isEmpty()) {
      write(render(page.events(), null, Long.MIN_VALUE));
    }
    if (page.lastPosition() != null) {
      covered = Math.max(covered, page.lastPosition());
    }
    if (reachedLimit()) {
      end();
      return;
    }
    if (page.nextCursor() != null) {
      whenRoom(() -> read(bound));
      return;
    }
    if (bound != null) {
      covered = Math.max(covered, bound);
    }
    if (!options.follow() || passedEnd()) {
      end();
      return;
    }
    if (!live) {
      live = true;
      joinTail();
    }
    pump();
  }

  private void read(Long bound) {
    if (closed) {
      return;
    }
    fetching = true;
    fetch(bound).onComplete(result -> {
      fetching = false;
      if (result.succeeded()) {
        caughtUp(result.result(), bound);
      } else {
        fail(result.cause());
      }
    });
  }

  /**
   * Listens to the tenant's tail, then joins it. The tail answers with the position it has read up to (batches
   * published before this stream listened may have passed it by): taken as an empty batch, it makes the stream
   * read that gap itself. A new tail answers -1 and publishes its starting position once it knows it.
   */
  private void joinTail() {
    tail = vertx.eventBus().consumer(Addresses.tail(query.tenantId()), message -> received(message.body()));
    tail.completion().onSuccess(v -> {
      if (closed) {
        return;
      }
      joined = true;
      vertx.eventBus().<Long>request(Addresses.TAIL_CONTROL, new TailJoin(query.tenantId()))
          .onSuccess(reply -> {
            long position = reply.body();
            if (position >= 0) {
              received(new TailBatch(position, position, List.of(), List.of()));
            }
          })
          .onFailure(this::fail);
    });
  }

  private void received(TailBatch batch) {
    if (closed) {
      return;
    }
    newest = Math.max(newest, batch.to());
    if (pendingEvents + batch.events().size() > pageSize || pending.size() >= pageSize) {
      pending.clear();
      pendingEvents = 0;
      overflowed = true;
    } else {
      pending.add(batch);
      pendingEvents += batch.events().size();
    }
    if (whenRoom == null) {
      // Otherwise a read or a pump already waits for the client, and takes this batch into account.
      pump();
    }
  }

  /** Writes waiting batches while the client has room; reads from the database where a batch cannot serve. */
  private void pump() {
    while (!closed && live && !fetching) {
      if (clientBusy()) {
        whenRoom(this::pump);
        return;
      }
      if (overflowed) {
        overflowed = false;
        read(null);
        return;
      }
      TailBatch batch = pending.peek();
      if (batch == null) {
        return;
      }
      if (batch.to() <= covered) {
        drop();
        continue;
      }
      if (batch.from() > covered || query.filtersJson()) {
        // Everything up to the newest batch's end is committed: one bounded read serves the gap and the batches.
        read(newest);
        return;
      }
      drop();
      Buffer lines = render(batch.events(), batch, covered);
      if (lines.length() > 0) {
        write(lines);
      }
      covered = batch.to();
      if (passedEnd() || reachedLimit()) {
        end();
      }
    }
  }

  private boolean reachedLimit() {
    return options.limit() != null && sent >= options.limit();
  }

  /** A follower with {@code toPosition} ends once every event up to it has been written. */
  private boolean passedEnd() {
    return query.toPosition() != null && covered >= query.toPosition();
  }

  private void drop() {
    pendingEvents -= pending.poll().events().size();
  }

  private void write(Buffer data) {
    int size = data.length();
    unsentBytes += size;
    response.write(data).onComplete(done -> {
      unsentBytes -= size;
      roomMaybe();
    });
  }

  private boolean clientBusy() {
    return unsentBytes > MAX_UNSENT_BYTES || response.writeQueueFull();
  }

  private void whenRoom(Runnable action) {
    if (!clientBusy()) {
      action.run();
      return;
    }
    whenRoom = action;
    response.drainHandler(v -> roomMaybe());
  }

  private void roomMaybe() {
    if (whenRoom != null && !closed && !clientBusy()) {
      Runnable action = whenRoom;
      whenRoom = null;
      action.run();
    }
  }

  private void fail(Throwable failure) {
    if (closed) {
      return;
    }
    if (format == Format.SSE) {
      response.write("event: error\ndata: " + Problems.toApiException(failure, 500).getMessage()
          .replaceAll("[\\r\\n]+", " ") + "\n\n");
    }
    // Ending without the final chunk tells an NDJSON client the stream is incomplete.
    ctx.request().connection().close();
    close();
  }

  /**
   * Ends the stream cleanly (the final chunk): all events are written, or the server is stopping, or the key or
   * tenant changed; a client resumes with {@code Last-Event-ID}, authenticated again.
   */
  void end() {
    if (!closed && started && !response.ended()) {
      response.end();
    }
    close();
  }

  String tenantId() {
    return query.tenantId();
  }

  /** The hashed key the stream was opened with (see {@link Authenticator#credential}). */
  String credential() {
    return credential;
  }

  /** Called once when the stream is over, however it ended. */
  void onClose(Runnable action) {
    this.onClose = action;
  }

  private void keepAlive() {
    if (!closed && live && !clientBusy()) {
      write(Buffer.buffer(format == Format.SSE ? ": keep-alive\n\n" : "\n"));
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
    if (tail != null) {
      tail.unregister();
    }
    if (joined) {
      vertx.eventBus().send(Addresses.TAIL_CONTROL, new TailLeave(query.tenantId()));
    }
    pending.clear();
    if (started) {
      metrics.streamClosed();
    }
  }

  /**
   * The events after {@code after} that the query admits, in the stream's format. {@code batch} holds the JSON the
   * tail rendered once for all streams (null for a page read by this stream: render here).
   */
  private Buffer render(List<StoredEvent> events, TailBatch batch, long after) {
    Buffer buffer = Buffer.buffer(events.size() * 512);
    long now = System.currentTimeMillis();
    int written = 0;
    for (int i = 0; i < events.size() && !reachedLimit(); i++) {
      StoredEvent event = events.get(i);
      if (batch != null && (event.position() <= after || !query.admitsColumns(event))) {
        continue;
      }
      if (format == Format.SSE) {
        buffer.appendString("id: ").appendString(Long.toString(event.position()))
            .appendString("\nevent: ").appendString(event.type()).appendString("\ndata: ");
      }
      if (batch != null) {
        buffer.appendBytes(batch.json().get(i));
      } else {
        buffer.appendString(event.toJson());
      }
      buffer.appendString(format == Format.SSE ? "\n\n" : "\n");
      written++;
      sent++;
      if (live) {
        metrics.followLatency(now - event.recordedAt().toEpochMilli());
      }
    }
    metrics.eventsStreamed(written);
    return buffer;
  }
}
