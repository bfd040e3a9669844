package io.eventvault;

import com.fasterxml.jackson.databind.DeserializationFeature;
import io.eventvault.admin.AdminVerticle;
import io.eventvault.bus.Addresses;
import io.eventvault.bus.LocalCodec;
import io.eventvault.config.DatabaseUrl;
import io.eventvault.config.EventvaultConfig;
import io.eventvault.config.EventvaultConfig.MigrationMode;
import io.eventvault.http.HttpVerticle;
import io.eventvault.http.LiveTail;
import io.eventvault.http.RateLimiter;
import io.eventvault.metrics.MicrometerMetrics;
import io.eventvault.query.QueryVerticle;
import io.eventvault.store.Migrator;
import io.eventvault.store.Partitions;
import io.eventvault.store.Pools;
import io.eventvault.store.Sql;
import io.eventvault.writer.WriterVerticle;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.jackson.DatabindCodec;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one Eventvault node: metrics, Vert.x, codecs, schema, partitions, then deploys writer → admin → query
 * → live tail → HTTP. {@link #stop()} undeploys in the opposite order, so the HTTP edge stops accepting before
 * the writer drains its queue.
 */
public final class Server {

  private static final Logger LOG = LoggerFactory.getLogger(Server.class);

  private final EventvaultConfig config;
  private final DatabaseUrl url;
  private final List<String> deployments = new ArrayList<>();
  private final AtomicLong defaultPartitionRows = new AtomicLong();
  private PrometheusMeterRegistry registry;
  private Vertx vertx;
  private Pool maintenance;
  private PgSubscriber subscriber;
  private int port;

  public Server(EventvaultConfig config) {
    this.config = config;
    this.url = config.database().url().orElseThrow(() -> new IllegalArgumentException("no database url"));
  }

  /** Starts everything; completes with the HTTP port. */
  public Future<Integer> start() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    LocalCodec.registerAll(vertx);
    // Every JSON body read through Vert.x keeps its decimals exact (BigDecimal), as the event parser does: a
    // query's `where` operand or a subscription's filter reaches SQL with the digits it was sent with.
    DatabindCodec.mapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    MicrometerMetrics metrics = new MicrometerMetrics(registry);
    RateLimiter rateLimiter = new RateLimiter();
    metrics.defaultPartitionRows(defaultPartitionRows::get);
    maintenance = Pools.pool(vertx, url, 1, "maintenance");
    Partitions partitions = new Partitions(maintenance);
    port = config.http().port() == 0 ? freePort() : config.http().port();
    EventvaultConfig effective = config.withHttp(config.http().withPort(port));
    LOG.info("database {}", url);
    String appRole = config.database().appRole();
    Migrator migrator = new Migrator(maintenance, appRole);
    Future<Integer> schema = config.database().migrations() == MigrationMode.AUTO
        ? migrator.migrate().onSuccess(n -> LOG.info("schema is current ({} migrations applied now)", n))
        : migrator.check().onSuccess(v -> LOG.info("schema version {} checked (migrations: external)", v));
    AtomicReference<String> cursorSecret = new AtomicReference<>();
    return schema
        .compose(v -> maintenance.query(Sql.CURSOR_SECRET).execute())
        .map(rows -> {
          cursorSecret.set(rows.iterator().next().getString(0));
          return null;
        })
        .compose(v -> maintain(partitions))
        .compose(v -> deploy(() -> new WriterVerticle(url, appRole, config.writer(), metrics), 1))
        .compose(v -> deploy(() -> new AdminVerticle(url, config.limits()), 1))
        .compose(v -> deploy(() -> new QueryVerticle(url, appRole, config.query(),
            config.database().poolSize(), metrics, cursorSecret.get()),
            config.query().instances()))
        .compose(v -> deploy(() -> new LiveTail(config.query().replayPageSize(), config.query().followMinIntervalMs(),
            config.query().followPollMs(), metrics), 1))
        .compose(v -> deploy(() -> new HttpVerticle(effective, metrics, registry, rateLimiter),
            config.http().instances()))
        .map(v -> {
          listen();
          vertx.setPeriodic(config.partitions().maintenanceIntervalSeconds() * 1000L, id -> maintain(partitions));
          if (config.adminToken().isEmpty()) {
            LOG.warn("EVENTVAULT_ADMIN_TOKEN is not set: admin endpoints are disabled");
          }
          LOG.info("listening on port {}", port);
          return port;
        });
  }

  /**
   * LISTEN for other nodes: their commits wake this node's live tails (the payload names the tenants), their key
   * revocations and tenant changes (suspension, limits, deletion) clear this node's auth caches and end the
   * streams concerned. The connection reconnects on its own; while it is down, tails fall back to polling and
   * caches to their expiry.
   */
  private void listen() {
    subscriber = PgSubscriber.subscriber(vertx, url.connectOptions());
    subscriber.reconnectPolicy(attempt -> 1000L);
    subscriber.channel(Sql.APPENDED_CHANNEL)
        .handler(tenants -> vertx.eventBus().publish(Addresses.APPENDED, tenants));
    subscriber.channel(Sql.KEY_REVOKED_CHANNEL)
        .handler(hash -> vertx.eventBus().publish(Addresses.AUTH_REVOKED, hash));
    subscriber.channel(Sql.TENANT_CHANGED_CHANNEL)
        .handler(tenant -> vertx.eventBus().publish(Addresses.TENANT_CHANGED, tenant));
    subscriber.connect().onFailure(failure -> LOG.warn("LISTEN failed ({}); followers poll instead",
        failure.getMessage()));
  }

  private Future<Void> maintain(Partitions partitions) {
    return partitions.ensure(Partitions.todayUtc(), config.partitions().daysAhead())
        .compose(v -> partitions.defaultPartitionRows())
        .map(rows -> {
          defaultPartitionRows.set(rows);
          if (rows > 0) {
            LOG.error("the default partition of events holds {} rows: a daily partition was missing", rows);
          }
          return (Void) null;
        })
        .onFailure(failure -> LOG.error("partition maintenance failed: {}", failure.getMessage()));
  }

  private Future<Void> deploy(java.util.function.Supplier<io.vertx.core.Deployable> verticle, int instances) {
    return vertx.deployVerticle(verticle, new DeploymentOptions().setInstances(instances))
        .map(id -> {
          deployments.add(id);
          return null;
        });
  }

  /**
   * Undeploys in the reverse order of deployment: HTTP first (stop accepting, end streams, finish requests), then
   * the live tail, queries and admin, and the writer last (it flushes what it has accepted).
   */
  public Future<Void> stop() {
    if (vertx == null) {
      return Future.succeededFuture();
    }
    List<String> reverse = new ArrayList<>(deployments);
    Collections.reverse(reverse);
    Future<Void> chain = Future.succeededFuture();
    for (String id : reverse) {
      chain = chain.compose(v -> vertx.undeploy(id)).recover(failure -> {
        LOG.warn("undeploy failed: {}", failure.getMessage());
        return Future.succeededFuture();
      });
    }
    if (subscriber != null) {
      chain = chain.compose(v -> subscriber.close().otherwiseEmpty());
    }
    return chain
        .compose(v -> maintenance.close())
        .eventually(() -> vertx.close())
        .onComplete(v -> registry.close());
  }

  public int port() {
    return port;
  }

  public Vertx vertx() {
    return vertx;
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
