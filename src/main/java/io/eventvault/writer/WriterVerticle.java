package io.eventvault.writer;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Failures;
import io.eventvault.bus.Messages.AppendRequest;
import io.eventvault.bus.Messages.AppendResult;
import io.eventvault.config.DatabaseUrl;
import io.eventvault.config.EventvaultConfig.WriterConfig;
import io.eventvault.domain.Appended;
import io.eventvault.metrics.Metrics;
import io.eventvault.store.Pools;
import io.eventvault.store.Sql;
import io.eventvault.store.SqlErrors;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batching writer: a bounded queue of append requests, flushed as one statement per transaction (group
 * commit). A flush starts as soon as a connection is free, or after {@code lingerMs} when configured, and
 * holds at most {@code batchSize} events; a request is never split across flushes, so it commits or fails
 * whole. Every request is answered only after COMMIT.
 */
public final class WriterVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(WriterVerticle.class);

  private record Pending(AppendRequest request, Message<AppendRequest> message) {}

  private final DatabaseUrl url;
  private final WriterConfig config;
  private final Metrics metrics;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final Promise<Void> drained = Promise.promise();
  private volatile int queuedEvents;
  private int inFlight;
  private long oldestQueuedAt;
  private long lingerTimer = -1;
  private boolean stopping;
  private Pool pool;
  private MessageConsumer<AppendRequest> consumer;

  private final String appRole;

  public WriterVerticle(DatabaseUrl url, String appRole, WriterConfig config, Metrics metrics) {
    this.url = url;
    this.appRole = appRole;
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    pool = Pools.rolePool(vertx, url, config.maxInFlight(), "writer", appRole);
    metrics.queueDepth(() -> queuedEvents);
    consumer = vertx.eventBus().consumer(Addresses.APPEND, this::onAppend);
    return consumer.completion();
  }

  /** Stops taking requests, flushes everything already accepted, then closes the pool. */
  @Override
  public Future<?> stop() {
    stopping = true;
    return consumer.unregister()
        .compose(v -> {
          schedule();
          return drained.future();
        })
        .eventually(() -> pool.close());
  }

  private void onAppend(Message<AppendRequest> message) {
    AppendRequest request = message.body();
    int size = request.events().size();
    if (stopping) {
      message.fail(Failures.UNAVAILABLE, "the server is shutting down");
      return;
    }
    if (queuedEvents + size > config.maxQueuedEvents()) {
      metrics.rejected("queue_full");
      message.fail(Failures.OVERLOADED, "the writer queue is full (" + queuedEvents + " events waiting)");
      return;
    }
    if (queue.isEmpty()) {
      oldestQueuedAt = System.nanoTime();
    }
    queue.add(new Pending(request, message));
    queuedEvents += size;
    schedule();
  }

  private void schedule() {
    while (inFlight < config.maxInFlight() && !queue.isEmpty()) {
      if (shouldLinger()) {
        return;
      }
      flush(take());
    }
    if (stopping && queue.isEmpty() && inFlight == 0) {
      drained.tryComplete();
    }
  }

  private boolean shouldLinger() {
    if (config.lingerMs() == 0 || stopping || queuedEvents >= config.batchSize()) {
      return false;
    }
    long waitedMs = (System.nanoTime() - oldestQueuedAt) / 1_000_000;
    if (waitedMs >= config.lingerMs()) {
      return false;
    }
    if (lingerTimer < 0) {
      lingerTimer = vertx.setTimer(config.lingerMs() - waitedMs, id -> {
        lingerTimer = -1;
        schedule();
      });
    }
    return true;
  }

  private List<Pending> take() {
    List<Pending> batch = new ArrayList<>();
    int events = 0;
    while (!queue.isEmpty()) {
      int next = queue.peek().request().events().size();
      if (!batch.isEmpty() && events + next > config.batchSize()) {
        break;
      }
      batch.add(queue.poll());
      events += next;
    }
    queuedEvents -= events;
    oldestQueuedAt = System.nanoTime();
    return batch;
  }

  private void flush(List<Pending> batch) {
    inFlight++;
    FlushRows rows = new FlushRows(batch.stream().map(Pending::request).toList());
    long started = System.nanoTime();
    write(rows).onComplete(result -> {
      inFlight--;
      if (result.succeeded()) {
        answer(batch, rows, result.result(), started);
      } else {
        failed(batch, result.cause());
      }
      schedule();
    });
  }

  /**
   * One transaction: the lock and tenant declaration, then the insert, sent back to back without waiting
   * (pipelined on the connection); if the first fails, the transaction is aborted and so is the second.
   */
  private Future<RowSet<Row>> write(FlushRows rows) {
    return pool.withTransaction(conn -> {
      Future<RowSet<Row>> locked = conn.preparedQuery(Sql.APPEND_BEGIN).execute(Tuple.of(rows.tenants()));
      Future<RowSet<Row>> inserted = conn.preparedQuery(Sql.APPEND).execute(rows.tuple());
      return Future.all(locked, inserted).map(done -> inserted.result());
    });
  }

  private void answer(List<Pending> batch, FlushRows rows, RowSet<Row> result, long started) {
    List<List<Appended>> answers = rows.answers(result);
    int fresh = rows.freshCount(result);
    metrics.flushed(rows.size(), System.nanoTime() - started);
    int requested = 0;
    for (int i = 0; i < batch.size(); i++) {
      requested += answers.get(i).size();
      batch.get(i).message().reply(new AppendResult(answers.get(i)));
    }
    metrics.eventsAppended(fresh, requested - fresh);
    if (fresh > 0) {
      vertx.eventBus().publish(Addresses.APPENDED, rows.tenants());
    }
  }

  private void failed(List<Pending> batch, Throwable failure) {
    metrics.flushFailed();
    if (SqlErrors.isDataError(failure) && batch.size() > 1) {
      // One request's data broke the whole flush: retry each alone so only that one fails.
      for (Pending pending : batch) {
        inFlight++;
        FlushRows rows = new FlushRows(List.of(pending.request()));
        long started = System.nanoTime();
        write(rows).onComplete(result -> {
          inFlight--;
          if (result.succeeded()) {
            answer(List.of(pending), rows, result.result(), started);
          } else {
            failed(List.of(pending), result.cause());
          }
          schedule();
        });
      }
      return;
    }
    int code;
    String detail;
    if (SqlErrors.isDataError(failure)) {
      code = Failures.UNPROCESSABLE;
      detail = "the database refused the events: " + failure.getMessage();
    } else if (SqlErrors.isUnavailable(failure)) {
      code = Failures.UNAVAILABLE;
      detail = "the database is unavailable: " + failure.getMessage();
    } else {
      code = 500;
      detail = "the events could not be stored: " + failure.getMessage();
      LOG.error("flush failed", failure);
    }
    for (Pending pending : batch) {
      pending.message().fail(code, detail);
    }
  }
}
