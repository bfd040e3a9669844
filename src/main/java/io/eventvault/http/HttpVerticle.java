package io.eventvault.http;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Messages;
import io.eventvault.config.EventvaultConfig;
import io.eventvault.domain.Principal;
import io.eventvault.domain.Scope;
import io.eventvault.metrics.Metrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP edge, one instance per core, all sharing one port and one router shape. It parses, validates and
 * authenticates; it never touches SQL: appends go to the writer and reads to the query verticle, over the
 * event bus.
 */
public final class HttpVerticle extends VerticleBase {

  private final EventvaultConfig config;
  private final Metrics metrics;
  private final PrometheusMeterRegistry registry;
  private final RateLimiter limiter;
  private final Streams streams = new Streams();
  private HttpServer server;
  private Authenticator auth;

  public HttpVerticle(EventvaultConfig config, Metrics metrics, PrometheusMeterRegistry registry,
      RateLimiter limiter) {
    this.limiter = limiter;
    this.config = config;
    this.metrics = metrics;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    auth = new Authenticator(vertx, config.adminToken(), config.authCacheSeconds());
    vertx.eventBus().<String>consumer(Addresses.AUTH_REVOKED, message -> streams.endKey(message.body()));
    vertx.eventBus().<String>consumer(Addresses.TENANT_CHANGED, message -> streams.endTenant(message.body()));
    server = vertx.createHttpServer(new HttpServerOptions()
        .setCompressionSupported(true)
        .setMaxFormAttributeSize(8192));
    return server.requestHandler(router()).listen(config.http().port(), config.http().host());
  }

  /**
   * Stops accepting, ends open streams cleanly (followers resume elsewhere with Last-Event-ID), lets
   * requests in progress finish (their appends are acknowledged), then closes.
   */
  @Override
  public Future<?> stop() {
    streams.endAll();
    return server.shutdown(config.http().shutdownGraceSeconds(), TimeUnit.SECONDS);
  }

  public int actualPort() {
    return server.actualPort();
  }

  private Router router() {
    QueryParser queries = new QueryParser(config.query());
    IngestRoutes ingest = new IngestRoutes(vertx,
        new EventParser(config.http().maxEventBytes(), config.writer().maxQueuedEvents()), limiter, metrics);
    ReadRoutes reads = new ReadRoutes(vertx, config, queries, streams, metrics);
    SubscriptionRoutes subscriptions = new SubscriptionRoutes(vertx, config, queries, streams, metrics);
    AdminRoutes admin = new AdminRoutes(vertx, auth.adminEnabled());

    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "up")));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(this::metrics);

    router.route("/v1/*").handler(this::rejectOversized).handler(this::authenticate);
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.http().maxRequestBytes());

    router.post("/v1/events").handler(body).handler(scoped(Scope.INGEST, ingest::ingest));
    router.post("/v1/events/query").handler(body).handler(scoped(Scope.QUERY, reads::query));
    router.get("/v1/events").handler(scoped(Scope.QUERY, reads::list));
    router.get("/v1/events/stream").handler(scoped(Scope.REPLAY, reads::stream));
    router.get("/v1/events/:id").handler(scoped(Scope.QUERY, reads::get));

    router.post("/v1/subscriptions").handler(body).handler(scoped(Scope.REPLAY, subscriptions::create));
    router.get("/v1/subscriptions").handler(scoped(Scope.REPLAY, subscriptions::list));
    router.get("/v1/subscriptions/:name").handler(scoped(Scope.REPLAY, subscriptions::get));
    router.get("/v1/subscriptions/:name/stream").handler(scoped(Scope.REPLAY, subscriptions::stream));
    router.post("/v1/subscriptions/:name/ack").handler(body).handler(scoped(Scope.REPLAY, subscriptions::ack));
    router.delete("/v1/subscriptions/:name").handler(scoped(Scope.REPLAY, subscriptions::delete));

    router.post("/v1/admin/tenants").handler(body).handler(admin::createTenant);
    router.get("/v1/admin/tenants").handler(ctx -> admin.adminOnly(ctx, new Messages.ListTenants(), 200));
    router.patch("/v1/admin/tenants/:tenantId").handler(body).handler(admin::updateTenant);
    router.delete("/v1/admin/tenants/:tenantId").handler(ctx -> admin.adminOnly(ctx,
        new Messages.DeleteTenant(ctx.pathParam("tenantId")), 202));
    router.get("/v1/admin/tenants/:tenantId/deletion").handler(ctx -> admin.adminOnly(ctx,
        new Messages.GetDeletion(ctx.pathParam("tenantId")), 200));
    router.get("/v1/admin/audit").handler(admin::audit);
    router.post("/v1/admin/tenants/:tenantId/keys").handler(body).handler(admin::createKey);
    router.get("/v1/admin/tenants/:tenantId/keys").handler(admin::listKeys);
    router.delete("/v1/admin/tenants/:tenantId/keys/:keyId").handler(admin::revokeKey);

    router.route().failureHandler(Problems::handle);
    for (int status : new int[] {400, 404, 405, 406, 413, 415, 500}) {
      router.errorHandler(status, Problems::handle);
    }
    return router;
  }

  // Operations -------------------------------------------------------------------------------------

  private void ready(RoutingContext ctx) {
    vertx.eventBus().request(Addresses.QUERY_READY, "ready", new DeliveryOptions().setSendTimeout(5_000))
        .onSuccess(reply -> ctx.json(new JsonObject().put("status", "ready")))
        .onFailure(failure -> Problems.send(ctx, ApiException.of(503, "not ready: " + failure.getMessage())));
  }

  private void metrics(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape());
  }

  /**
   * Answers 413 from the declared length, before reading a byte of the body. The rest of the body is read
   * and dropped, so the client can finish sending and read the answer.
   */
  private void rejectOversized(RoutingContext ctx) {
    String length = ctx.request().getHeader("Content-Length");
    long declared;
    try {
      declared = length == null ? -1 : Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      declared = -1;
    }
    if (declared <= config.http().maxRequestBytes()) {
      ctx.next();
      return;
    }
    ctx.request().handler(ignored -> { });
    ctx.request().resume();
    Problems.send(ctx, ApiException.tooLarge("the request body is " + declared + " bytes; the limit is "
        + config.http().maxRequestBytes(), null));
  }

  // Auth -------------------------------------------------------------------------------------------

  private void authenticate(RoutingContext ctx) {
    if (ctx.request().method() == io.vertx.core.http.HttpMethod.POST) {
      // The body handler runs after this asynchronous step; it resumes the request.
      ctx.request().pause();
    }
    auth.authenticate(ctx.request().getHeader("Authorization"))
        .onSuccess(principal -> {
          ctx.put(Requests.PRINCIPAL, principal);
          ctx.next();
        })
        .onFailure(ctx::fail);
  }

  /** Admits callers with the scope (and within their tenant's request rate) to a tenant route. */
  private Handler<RoutingContext> scoped(Scope scope, Requests.TenantHandler handler) {
    return ctx -> {
      Principal principal = Requests.principal(ctx);
      if (principal.superAdmin()) {
        ctx.fail(ApiException.forbidden("the admin token has no tenant; use an API key with scope "
            + scope.wireName()));
      } else if (!principal.has(scope)) {
        ctx.fail(ApiException.forbidden("this key lacks the scope " + scope.wireName()));
      } else {
        long wait = limiter.acquire(principal.tenantId(), "requests", principal.limits().requestsPerSecond(), 1);
        if (wait > 0) {
          metrics.rejected("tenant_requests_per_second");
          ctx.fail(ApiException.tooManyRequests("tenant " + principal.tenantId() + " is over its limit of "
              + principal.limits().requestsPerSecond() + " requests per second", wait));
          return;
        }
        handler.handle(ctx, principal);
      }
    };
  }
}
