package io.eventvault.query;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Failures;
import io.eventvault.bus.Messages.AckSubscription;
import io.eventvault.bus.Messages.CountRequest;
import io.eventvault.bus.Messages.CreateSubscription;
import io.eventvault.bus.Messages.DeleteSubscription;
import io.eventvault.bus.Messages.GetEvent;
import io.eventvault.bus.Messages.GetSubscription;
import io.eventvault.bus.Messages.ListSubscriptions;
import io.eventvault.bus.Messages.SubscriptionCommand;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.eventvault.config.DatabaseUrl;
import io.eventvault.config.EventvaultConfig.QueryConfig;
import io.eventvault.domain.EventPage;
import io.eventvault.domain.EventQuery;
import io.eventvault.domain.StoredEvent;
import io.eventvault.metrics.Metrics;
import io.eventvault.store.Migrator;
import io.eventvault.store.Pools;
import io.eventvault.store.Sql;
import io.eventvault.store.SqlErrors;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Owns every read: pages of a query (also the pages of a replay), one event by id, readiness. */
public final class QueryVerticle extends VerticleBase {

  static final int LAG_CAP = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(QueryVerticle.class);

  private final DatabaseUrl url;
  private final String appRole;
  private final QueryConfig config;
  private final int poolSize;
  private final Metrics metrics;
  private final Cursors cursors;
  private Pool pool;

  /** {@code cursorSecret}: read by the owner connection at startup; the application role cannot read it. */
  public QueryVerticle(DatabaseUrl url, String appRole, QueryConfig config, int poolSize, Metrics metrics,
      String cursorSecret) {
    this.cursors = new Cursors(cursorSecret);
    this.url = url;
    this.appRole = appRole;
    this.config = config;
    this.poolSize = poolSize;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    pool = Pools.readPool(vertx, url, poolSize, config.statementTimeoutMs(), appRole);
    vertx.eventBus().<EventQuery>consumer(Addresses.QUERY_PAGE, this::onPage);
    vertx.eventBus().<GetEvent>consumer(Addresses.QUERY_GET, this::onGet);
    vertx.eventBus().consumer(Addresses.QUERY_READY, this::onReady);
    vertx.eventBus().<SubscriptionCommand>consumer(Addresses.SUBSCRIPTIONS, this::onSubscription);
    vertx.eventBus().<EventQuery>consumer(Addresses.QUERY_LAG, this::onLag);
    vertx.eventBus().<CountRequest>consumer(Addresses.QUERY_COUNT, this::onCount);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return pool.close();
  }

  private void onPage(Message<EventQuery> message) {
    EventQuery query = message.body();
    EventQuery read;
    if (query.cursor() == null) {
      read = query;
    } else {
      Optional<Long> after = cursors.decode(query, query.cursor());
      if (after.isEmpty()) {
        message.fail(Failures.BAD_REQUEST, "the cursor is invalid, or belongs to another query or tenant");
        return;
      }
      read = query.withAfterPosition(after.get());
    }
    QueryCompiler.Compiled compiled = QueryCompiler.page(read);
    long started = System.nanoTime();
    // Rows become a page in map(): a bug there fails the reply at once instead of leaving the asker to time out.
    asTenant(query.tenantId(), conn -> conn.preparedQuery(compiled.sql()).execute(compiled.params()))
        .map(rows -> toPage(query, read, rows))
        .onSuccess(page -> {
          metrics.queryCompleted("page", System.nanoTime() - started);
          message.reply(page);
        })
        .onFailure(failure -> fail(message, failure));
  }

  /** A page; when empty after a cursor, its {@code lastPosition} is the cursor's (a stream resumes from there). */
  private EventPage toPage(EventQuery query, EventQuery effective, RowSet<Row> rows) {
    List<StoredEvent> events = new ArrayList<>(Math.min(rows.size(), query.limit()));
    Iterator<Row> it = rows.iterator();
    while (it.hasNext() && events.size() < query.limit()) {
      events.add(EventRows.read(it.next()));
    }
    Long last;
    if (!events.isEmpty()) {
      last = events.get(events.size() - 1).position();
    } else {
      last = query.cursor() != null ? effective.afterPosition() : null;
    }
    String next = rows.size() > query.limit() ? cursors.encode(query, last) : null;
    return new EventPage(events, next, last);
  }

  private void onGet(Message<GetEvent> message) {
    GetEvent get = message.body();
    long started = System.nanoTime();
    asTenant(get.tenantId(), conn -> conn.preparedQuery(Sql.GET_EVENT).execute(Tuple.of(get.tenantId(), get.id())))
        .map(rows -> {
          Iterator<Row> it = rows.iterator();
          return Optional.ofNullable(it.hasNext() ? EventRows.read(it.next()) : null);
        })
        .onSuccess(found -> {
          metrics.queryCompleted("get", System.nanoTime() - started);
          StoredEvent event = found.orElse(null);
          if (event == null || !(get.projects().isEmpty() || get.projects().contains(event.projectId()))) {
            message.fail(Failures.NOT_FOUND, "no event with id " + get.id());
          } else {
            message.reply(event);
          }
        })
        .onFailure(failure -> fail(message, failure));
  }

  /** Subscriptions: named checkpoints. Every statement runs as the tenant (row-level security). */
  private void onSubscription(Message<SubscriptionCommand> message) {
    SubscriptionCommand command = message.body();
    Future<JsonObject> answer;
    if (command instanceof CreateSubscription c) {
      answer = asTenant(c.tenantId(), conn -> conn.preparedQuery(Sql.CREATE_SUBSCRIPTION)
          .execute(Tuple.of(c.tenantId(), c.name(), c.filterJson(), c.position())))
          .compose(rows -> rows.size() == 0
              ? Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, Failures.CONFLICT,
                  "subscription " + c.name() + " already exists"))
              : Future.succeededFuture(new JsonObject().put("name", c.name())
                  .put("filter", new JsonObject(c.filterJson())).put("position", c.position())
                  .put("createdAt", timestamp(rows.iterator().next().getOffsetDateTime(0)))));
    } else if (command instanceof GetSubscription c) {
      answer = asTenant(c.tenantId(), conn -> conn.preparedQuery(Sql.GET_SUBSCRIPTION)
          .execute(Tuple.of(c.tenantId(), c.name())))
          .compose(rows -> single(rows, c.name()).map(row -> new JsonObject().put("name", c.name())
              .put("filter", new JsonObject(row.getString(0))).put("position", row.getLong(1))
              .put("createdAt", timestamp(row.getOffsetDateTime(2)))
              .put("ackedAt", timestamp(row.getOffsetDateTime(3)))));
    } else if (command instanceof AckSubscription c) {
      answer = asTenant(c.tenantId(), conn -> conn.preparedQuery(Sql.ACK_SUBSCRIPTION)
          .execute(Tuple.of(c.tenantId(), c.name(), c.position())))
          .compose(rows -> single(rows, c.name()).map(row -> new JsonObject().put("name", c.name())
              .put("position", row.getLong(0))));
    } else if (command instanceof DeleteSubscription c) {
      answer = asTenant(c.tenantId(), conn -> conn.preparedQuery(Sql.DELETE_SUBSCRIPTION)
          .execute(Tuple.of(c.tenantId(), c.name())))
          .compose(rows -> single(rows, c.name()).map(row -> new JsonObject().put("name", c.name())));
    } else {
      ListSubscriptions c = (ListSubscriptions) command;
      answer = asTenant(c.tenantId(), conn -> conn.preparedQuery(Sql.LIST_SUBSCRIPTIONS)
          .execute(Tuple.of(c.tenantId())))
          .map(rows -> {
            JsonArray list = new JsonArray();
            for (Row row : rows) {
              list.add(new JsonObject().put("name", row.getString(0)).put("filter", new JsonObject(row.getString(1)))
                  .put("position", row.getLong(2)).put("createdAt", timestamp(row.getOffsetDateTime(3)))
                  .put("ackedAt", timestamp(row.getOffsetDateTime(4))));
            }
            return new JsonObject().put("subscriptions", list);
          });
    }
    answer.onSuccess(json -> message.reply(json.encode())).onFailure(failure -> {
      if (failure instanceof ReplyException reply) {
        message.fail(reply.failureCode(), reply.getMessage());
      } else {
        fail(message, failure);
      }
    });
  }

  private static Future<Row> single(RowSet<Row> rows, String name) {
    return rows.size() == 0
        ? Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, Failures.NOT_FOUND,
            "no subscription " + name))
        : Future.succeededFuture(rows.iterator().next());
  }

  /**
   * How far a reader is behind: matching events after its position, counted up to {@value #LAG_CAP}, and
   * the age of the oldest of them.
   */
  private void onLag(Message<EventQuery> message) {
    EventQuery query = message.body().withLimit(LAG_CAP);
    QueryCompiler.Compiled compiled = QueryCompiler.page(query);
    String sql = "SELECT count(*), min(x.recorded_at) FROM (" + compiled.sql() + ") x";
    asTenant(query.tenantId(), conn -> conn.preparedQuery(sql).execute(compiled.params()))
        .onSuccess(rows -> {
          Row row = rows.iterator().next();
          long count = row.getLong(0);
          java.time.OffsetDateTime oldest = row.getOffsetDateTime(1);
          message.reply(new JsonObject()
              .put("events", Math.min(count, LAG_CAP))
              .put("capped", count > LAG_CAP)
              .put("seconds", oldest == null ? 0
                  : Math.max(0, java.time.Duration.between(oldest.toInstant(), java.time.Instant.now()).toMillis()
                      / 1000.0))
              .encode());
        })
        .onFailure(failure -> fail(message, failure));
  }

  /**
   * Counts a query's matches (cursor and limit ignored): exactly up to the cap, or as the planner
   * estimates them (EXPLAIN, no rows read), for "about 12,000 events" in a UI.
   */
  private void onCount(Message<CountRequest> message) {
    CountRequest request = message.body();
    EventQuery query = request.query().withAfterPosition(null);
    long started = System.nanoTime();
    if (request.exact()) {
      QueryCompiler.Compiled compiled = QueryCompiler.page(query.withLimit(request.cap()));
      String sql = "SELECT count(*) FROM (" + compiled.sql() + ") x";
      asTenant(query.tenantId(), conn -> conn.preparedQuery(sql).execute(compiled.params()))
          .onSuccess(rows -> {
            long count = rows.iterator().next().getLong(0);
            metrics.queryCompleted("count_exact", System.nanoTime() - started);
            message.reply(new JsonObject().put("mode", "exact").put("value", Math.min(count, request.cap()))
                .put("capped", count > request.cap()).encode());
          })
          .onFailure(failure -> fail(message, failure));
    } else {
      QueryCompiler.Compiled compiled = QueryCompiler.page(query.withLimit(Integer.MAX_VALUE - 1));
      asTenant(query.tenantId(), conn -> conn.preparedQuery("EXPLAIN (FORMAT JSON) " + compiled.sql())
              .execute(compiled.params()))
          .onSuccess(rows -> {
            metrics.queryCompleted("count_estimate", System.nanoTime() - started);
            message.reply(new JsonObject().put("mode", "estimate")
                .put("value", estimatedRows(rows.iterator().next().getValue(0))).put("capped", false).encode());
          })
          .onFailure(failure -> fail(message, failure));
    }
  }

  /** The planner's row estimate below the LIMIT node of an EXPLAIN (FORMAT JSON) answer. */
  static long estimatedRows(Object explain) {
    JsonArray plans = explain instanceof JsonArray a ? a : new JsonArray(String.valueOf(explain));
    JsonObject plan = plans.getJsonObject(0).getJsonObject("Plan");
    while ("Limit".equals(plan.getString("Node Type")) && plan.getJsonArray("Plans") != null) {
      plan = plan.getJsonArray("Plans").getJsonObject(0);
    }
    return plan.getNumber("Plan Rows").longValue();
  }

  private static String timestamp(java.time.OffsetDateTime value) {
    return value == null ? null : StoredEvent.TIMESTAMP.format(value.toInstant());
  }

  /** Runs {@code work} in a transaction that declares the tenant, so row-level security applies. */
  private Future<RowSet<Row>> asTenant(String tenantId,
      java.util.function.Function<io.vertx.sqlclient.SqlConnection, Future<RowSet<Row>>> work) {
    // The declaration and the work are pipelined: if the declaration fails, the transaction is aborted
    // and the work fails with it, so it never runs without its tenant.
    return pool.withTransaction(conn -> {
      Future<RowSet<Row>> declared = conn.preparedQuery(Sql.SET_TENANT).execute(Tuple.of(tenantId));
      Future<RowSet<Row>> done = work.apply(conn);
      return Future.all(declared, done).map(v -> done.result());
    });
  }

  private void onReady(Message<Object> message) {
    pool.query(Sql.READY).execute()
        .onSuccess(rows -> {
          Integer version = rows.iterator().next().getInteger(0);
          if (version != null && version >= Migrator.latestVersion()) {
            message.reply("ok");
          } else {
            message.fail(Failures.UNAVAILABLE, "database schema is at version " + version);
          }
        })
        .onFailure(failure -> message.fail(Failures.UNAVAILABLE, "database unreachable: " + failure.getMessage()));
  }

  private static void fail(Message<?> message, Throwable failure) {
    if (SqlErrors.isTimeout(failure)) {
      message.fail(Failures.TIMEOUT, "the query ran longer than the statement timeout; narrow its filters");
    } else if (SqlErrors.isUnavailable(failure)) {
      message.fail(Failures.UNAVAILABLE, "the database is unavailable: " + failure.getMessage());
    } else {
      LOG.error("query failed", failure);
      message.fail(500, "the query failed: " + failure.getMessage());
    }
  }
}
