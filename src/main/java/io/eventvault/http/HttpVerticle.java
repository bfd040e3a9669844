package io.eventvault.http;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Messages;
import io.eventvault.bus.Messages.AdminCommand;
import io.eventvault.bus.Messages.AppendRequest;
import io.eventvault.bus.Messages.AppendResult;
import io.eventvault.bus.Messages.CreateKey;
import io.eventvault.bus.Messages.CreateTenant;
import io.eventvault.bus.Messages.GetEvent;
import io.eventvault.bus.Messages.ListKeys;
import io.eventvault.bus.Messages.RevokeKey;
import io.eventvault.config.EventvaultConfig;
import io.eventvault.domain.Appended;
import io.eventvault.domain.EventDraft;
import io.eventvault.domain.EventPage;
import io.eventvault.domain.EventQuery;
import io.eventvault.domain.Principal;
import io.eventvault.domain.Scope;
import io.eventvault.domain.StoredEvent;
import io.eventvault.metrics.Metrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The HTTP edge, one instance per core, all sharing one port and one router shape. It parses, validates and
 * authenticates; it never touches SQL: appends go to the writer and reads to the query verticle, over the
 * event bus.
 */
public final class HttpVerticle extends VerticleBase {

  private static final String PRINCIPAL = "principal";
  private static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  /** Bodies above this size are parsed on a worker thread, off the event loop. */
  private static final int INLINE_PARSE_BYTES = 64 * 1024;
  private static final DeliveryOptions APPEND = new DeliveryOptions().setSendTimeout(60_000);
  private static final DeliveryOptions READ = new DeliveryOptions().setSendTimeout(30_000);

  private final EventvaultConfig config;
  private final Metrics metrics;
  private final PrometheusMeterRegistry registry;
  private final RateLimiter limiter;
  private HttpServer server;
  private final Set<EventStream> streams = new HashSet<>();
  private Authenticator auth;
  private EventParser parser;
  private QueryParser queries;

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
    parser = new EventParser(config.http().maxEventBytes(), config.writer().maxQueuedEvents());
    queries = new QueryParser(config.query());
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
    new ArrayList<>(streams).forEach(EventStream::end);
    return server.shutdown(config.http().shutdownGraceSeconds(), TimeUnit.SECONDS);
  }

  public int actualPort() {
    return server.actualPort();
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "up")));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(this::metrics);

    router.route("/v1/*").handler(this::rejectOversized).handler(this::authenticate);
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.http().maxRequestBytes());

    router.post("/v1/events").handler(body).handler(scoped(Scope.INGEST, this::ingest));
    router.post("/v1/events/query").handler(body).handler(scoped(Scope.QUERY, this::query));
    router.get("/v1/events").handler(scoped(Scope.QUERY, this::list));
    router.get("/v1/events/stream").handler(scoped(Scope.REPLAY, this::stream));
    router.get("/v1/events/:id").handler(scoped(Scope.QUERY, this::get));

    router.post("/v1/subscriptions").handler(body).handler(scoped(Scope.REPLAY, this::createSubscription));
    router.get("/v1/subscriptions").handler(scoped(Scope.REPLAY, this::listSubscriptions));
    router.get("/v1/subscriptions/:name").handler(scoped(Scope.REPLAY, this::getSubscription));
    router.get("/v1/subscriptions/:name/stream").handler(scoped(Scope.REPLAY, this::streamSubscription));
    router.post("/v1/subscriptions/:name/ack").handler(body).handler(scoped(Scope.REPLAY, this::ackSubscription));
    router.delete("/v1/subscriptions/:name").handler(scoped(Scope.REPLAY, this::deleteSubscription));

    router.post("/v1/admin/tenants").handler(body).handler(this::createTenant);
    router.get("/v1/admin/tenants").handler(ctx -> adminOnly(ctx, new Messages.ListTenants(), 200));
    router.patch("/v1/admin/tenants/:tenantId").handler(body).handler(this::updateTenant);
    router.delete("/v1/admin/tenants/:tenantId").handler(ctx -> adminOnly(ctx,
        new Messages.DeleteTenant(ctx.pathParam("tenantId")), 202));
    router.get("/v1/admin/tenants/:tenantId/deletion").handler(ctx -> adminOnly(ctx,
        new Messages.GetDeletion(ctx.pathParam("tenantId")), 200));
    router.get("/v1/admin/audit").handler(this::audit);
    router.post("/v1/admin/tenants/:tenantId/keys").handler(body).handler(this::createKey);
    router.get("/v1/admin/tenants/:tenantId/keys").handler(this::listKeys);
    router.delete("/v1/admin/tenants/:tenantId/keys/:keyId").handler(this::revokeKey);

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
          ctx.put(PRINCIPAL, principal);
          ctx.next();
        })
        .onFailure(ctx::fail);
  }

  private interface TenantHandler {
    void handle(RoutingContext ctx, Principal principal);
  }

  private io.vertx.core.Handler<RoutingContext> scoped(Scope scope, TenantHandler handler) {
    return ctx -> {
      Principal principal = ctx.get(PRINCIPAL);
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

  // Ingest -----------------------------------------------------------------------------------------

  private void ingest(RoutingContext ctx, Principal principal) {
    Buffer body = ctx.body().buffer();
    String contentType = ctx.request().getHeader("Content-Type");
    Future<List<EventDraft>> parsed = body != null && body.length() > INLINE_PARSE_BYTES
        ? vertx.executeBlocking(() -> parser.parse(body, contentType, ctx.request().headers()), false)
        : Future.succeededFuture(parser.parse(body, contentType, ctx.request().headers()));
    parsed
        .compose(drafts -> authorizeProjects(principal, drafts))
        .compose(drafts -> withinLimits(principal, drafts))
        .compose(drafts -> vertx.eventBus()
            .<AppendResult>request(Addresses.APPEND, new AppendRequest(principal.tenantId(), drafts), APPEND))
        .onSuccess(reply -> ctx.response()
            .setStatusCode(201)
            .putHeader("Content-Type", "application/json")
            .end(appendedJson(reply.body().events())))
        .onFailure(ctx::fail);
  }

  private Future<List<EventDraft>> withinLimits(Principal principal, List<EventDraft> drafts) {
    Principal.Limits limits = principal.limits();
    if (limits.maxBatchEvents() > 0 && drafts.size() > limits.maxBatchEvents()) {
      return Future.failedFuture(ApiException.tooLarge("tenant " + principal.tenantId() + " may send at most "
          + limits.maxBatchEvents() + " events per request; this one has " + drafts.size(), null));
    }
    long wait = limiter.acquire(principal.tenantId(), "events", limits.eventsPerSecond(), drafts.size());
    if (wait > 0) {
      metrics.rejected("tenant_events_per_second");
      return Future.failedFuture(ApiException.tooManyRequests("tenant " + principal.tenantId()
          + " is over its limit of " + limits.eventsPerSecond() + " events per second", wait));
    }
    return Future.succeededFuture(drafts);
  }

  private static Future<List<EventDraft>> authorizeProjects(Principal principal, List<EventDraft> drafts) {
    if (principal.projects().isEmpty()) {
      return Future.succeededFuture(drafts);
    }
    JsonArray errors = new JsonArray();
    for (int i = 0; i < drafts.size(); i++) {
      if (!principal.mayUseProject(drafts.get(i).projectId())) {
        errors.add(new JsonObject().put("index", i).put("field", "projectId")
            .put("message", "this key may not write to project " + drafts.get(i).projectId()));
      }
    }
    if (errors.isEmpty()) {
      return Future.succeededFuture(drafts);
    }
    return Future.failedFuture(ApiException.forbidden("this key may not write to some of these projects; "
        + "nothing was stored: " + errors.encode()));
  }

  private static String appendedJson(List<Appended> events) {
    StringBuilder out = new StringBuilder(32 + events.size() * 80).append("{\"events\":[");
    for (int i = 0; i < events.size(); i++) {
      Appended a = events.get(i);
      if (i > 0) {
        out.append(',');
      }
      out.append("{\"id\":\"").append(a.id()).append("\",\"position\":").append(a.position())
          .append(",\"duplicate\":").append(a.duplicate()).append('}');
    }
    return out.append("]}").toString();
  }

  // Read -------------------------------------------------------------------------------------------

  private void get(RoutingContext ctx, Principal principal) {
    UUID id;
    try {
      id = UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      ctx.fail(ApiException.badRequest("the event id must be a UUID"));
      return;
    }
    vertx.eventBus().<StoredEvent>request(Addresses.QUERY_GET, new GetEvent(principal.tenantId(), id,
            principal.projects()), READ)
        .onSuccess(reply -> ctx.response().putHeader("Content-Type", "application/json").end(reply.body().toJson()))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx, Principal principal) {
    page(ctx, queries.fromParams(principal, ctx.queryParams(), false));
  }

  private void query(RoutingContext ctx, Principal principal) {
    String body = ctx.body().asString();
    if (!EventParser.isJson(EventParser.mediaType(ctx.request().getHeader("Content-Type")))) {
      ctx.fail(ApiException.unsupportedMediaType("send the query as application/json"));
      return;
    }
    String text = body == null ? "" : body;
    EventQuery query = queries.fromJson(principal, text);
    String count = QueryParser.countMode(text);
    if (count == null) {
      page(ctx, query);
      return;
    }
    Future<EventPage> page = vertx.eventBus().<EventPage>request(Addresses.QUERY_PAGE, query, READ).map(r -> r.body());
    Future<String> counted = vertx.eventBus().<String>request(Addresses.QUERY_COUNT,
        new Messages.CountRequest(query, count.equals("exact"), config.query().exactCountCap()), READ)
        .map(r -> r.body());
    Future.all(page, counted)
        .onSuccess(v -> {
          String json = pageJson(page.result());
          ctx.response().putHeader("Content-Type", "application/json")
              .end(json.substring(0, json.length() - 1) + ",\"count\":" + counted.result() + "}");
        })
        .onFailure(ctx::fail);
  }

  private void page(RoutingContext ctx, EventQuery query) {
    vertx.eventBus().<EventPage>request(Addresses.QUERY_PAGE, query, READ)
        .onSuccess(reply -> ctx.response().putHeader("Content-Type", "application/json")
            .end(pageJson(reply.body())))
        .onFailure(ctx::fail);
  }

  private static String pageJson(EventPage page) {
    StringBuilder out = new StringBuilder(1024).append("{\"events\":[");
    for (int i = 0; i < page.events().size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      out.append(page.events().get(i).toJson());
    }
    out.append("],\"nextCursor\":");
    out.append(page.nextCursor() == null ? "null" : "\"" + page.nextCursor() + "\"");
    return out.append('}').toString();
  }

  private void stream(RoutingContext ctx, Principal principal) {
    EventStream.Format format = streamFormat(ctx.request().getHeader("Accept"));
    if (format == null) {
      ctx.fail(ApiException.of(406, "Accept must be application/x-ndjson or text/event-stream"));
      return;
    }
    String followParam = ctx.queryParams().get("follow");
    if (followParam != null && !followParam.equals("true") && !followParam.equals("false")) {
      ctx.fail(ApiException.badRequest("follow must be true or false"));
      return;
    }
    EventStream.Options options = new EventStream.Options("true".equals(followParam),
        config.query().keepAliveSeconds() * 1000L, config.query().followPollMs());
    EventQuery query = queries.fromParams(principal, ctx.queryParams(), true);
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    if (lastEventId != null) {
      query = query.withAfterPosition(parseLastEventId(lastEventId));
    }
    open(new EventStream(vertx, ctx, query, format, options, metrics)).onFailure(ctx::fail);
  }

  private Future<Void> open(EventStream stream) {
    streams.add(stream);
    stream.onClose(() -> streams.remove(stream));
    return stream.start();
  }

  static EventStream.Format streamFormat(String accept) {
    if (accept == null || accept.contains("application/x-ndjson") || accept.contains("*/*")) {
      return accept != null && accept.contains("text/event-stream") && !accept.contains("application/x-ndjson")
          ? EventStream.Format.SSE : EventStream.Format.NDJSON;
    }
    if (accept.contains("text/event-stream")) {
      return EventStream.Format.SSE;
    }
    return null;
  }

  // Subscriptions -----------------------------------------------------------------------------------

  private static final Pattern SUBSCRIPTION_NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  private void createSubscription(RoutingContext ctx, Principal principal) {
    JsonObject body = jsonBody(ctx);
    for (String field : body.fieldNames()) {
      if (!Set.of("name", "filter", "fromPosition").contains(field)) {
        throw ApiException.badRequest("unknown field " + field + "; a subscription has name, filter, fromPosition");
      }
    }
    String name = body.getValue("name") instanceof String s ? s : null;
    if (name == null || !SUBSCRIPTION_NAME.matcher(name).matches()) {
      throw ApiException.unprocessable("name must be 1..100 characters of letters, digits, . _ -");
    }
    JsonObject filter = body.getValue("filter") == null ? new JsonObject()
        : body.getValue("filter") instanceof JsonObject f ? f : null;
    if (filter == null) {
      throw ApiException.unprocessable("filter must be a JSON object with the fields of the JSON query");
    }
    queries.fromSubscriptionFilter(principal, filter);
    Object from = body.getValue("fromPosition");
    if (from != null && !(from instanceof Integer || from instanceof Long) || from != null
        && ((Number) from).longValue() < 1) {
      throw ApiException.unprocessable("fromPosition must be an integer >= 1");
    }
    long position = from == null ? 0 : ((Number) from).longValue() - 1;
    subscription(ctx, new Messages.CreateSubscription(principal.tenantId(), name, filter.encode(), position), 201);
  }

  private void listSubscriptions(RoutingContext ctx, Principal principal) {
    vertx.eventBus().<String>request(Addresses.SUBSCRIPTIONS, new Messages.ListSubscriptions(principal.tenantId()),
            READ)
        .compose(reply -> {
          JsonArray list = new JsonObject(reply.body()).getJsonArray("subscriptions");
          Future<Void> chain = Future.succeededFuture();
          for (Object item : list) {
            chain = chain.compose(v -> withLag(principal, (JsonObject) item).mapEmpty());
          }
          return chain.map(v -> new JsonObject().put("subscriptions", list));
        })
        .onSuccess(json -> ctx.json(json))
        .onFailure(ctx::fail);
  }

  private void getSubscription(RoutingContext ctx, Principal principal) {
    vertx.eventBus().<String>request(Addresses.SUBSCRIPTIONS,
            new Messages.GetSubscription(principal.tenantId(), ctx.pathParam("name")), READ)
        .compose(reply -> withLag(principal, new JsonObject(reply.body())))
        .onSuccess(json -> ctx.json(json))
        .onFailure(ctx::fail);
  }

  /** Adds {@code lag: {events, capped, seconds}} and updates the lag metric. */
  private Future<JsonObject> withLag(Principal principal, JsonObject subscription) {
    EventQuery query = queries.fromSubscriptionFilter(principal, subscription.getJsonObject("filter"))
        .withAfterPosition(subscription.getLong("position"));
    return vertx.eventBus().<String>request(Addresses.QUERY_LAG, query, READ).map(reply -> {
      JsonObject lag = new JsonObject(reply.body());
      metrics.subscriptionLag(principal.tenantId(), subscription.getString("name"), lag.getLong("events"),
          lag.getDouble("seconds"));
      return subscription.put("lag", lag);
    });
  }

  private void streamSubscription(RoutingContext ctx, Principal principal) {
    EventStream.Format format = streamFormat(ctx.request().getHeader("Accept"));
    if (format == null) {
      throw ApiException.of(406, "Accept must be application/x-ndjson or text/event-stream");
    }
    for (String param : ctx.queryParams().names()) {
      if (!param.equals("follow")) {
        throw ApiException.badRequest("unknown query parameter " + param + "; a subscription stream takes follow");
      }
    }
    boolean follow = !"false".equals(ctx.queryParams().get("follow"));
    String name = ctx.pathParam("name");
    vertx.eventBus().<String>request(Addresses.SUBSCRIPTIONS, new Messages.GetSubscription(principal.tenantId(), name),
            READ)
        .compose(reply -> {
          JsonObject subscription = new JsonObject(reply.body());
          long after = subscription.getLong("position");
          String lastEventId = ctx.request().getHeader("Last-Event-ID");
          if (lastEventId != null) {
            after = parseLastEventId(lastEventId);
          }
          EventQuery query = queries.fromSubscriptionFilter(principal, subscription.getJsonObject("filter"))
              .withAfterPosition(after);
          EventStream.Options options = new EventStream.Options(follow, config.query().keepAliveSeconds() * 1000L,
              config.query().followPollMs());
          return open(new EventStream(vertx, ctx, query, format, options, metrics));
        })
        .onFailure(ctx::fail);
  }

  private void ackSubscription(RoutingContext ctx, Principal principal) {
    JsonObject body = jsonBody(ctx);
    Object position = body.getValue("position");
    if (!(position instanceof Integer || position instanceof Long) || ((Number) position).longValue() < 0
        || body.size() != 1) {
      throw ApiException.unprocessable("send {\"position\": N}, the last position processed");
    }
    subscription(ctx, new Messages.AckSubscription(principal.tenantId(), ctx.pathParam("name"),
        ((Number) position).longValue()), 200);
  }

  private void deleteSubscription(RoutingContext ctx, Principal principal) {
    vertx.eventBus().request(Addresses.SUBSCRIPTIONS,
            new Messages.DeleteSubscription(principal.tenantId(), ctx.pathParam("name")), READ)
        .onSuccess(reply -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void subscription(RoutingContext ctx, Messages.SubscriptionCommand command, int status) {
    vertx.eventBus().<String>request(Addresses.SUBSCRIPTIONS, command, READ)
        .onSuccess(reply -> ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
            .end(reply.body()))
        .onFailure(ctx::fail);
  }

  private static long parseLastEventId(String value) {
    try {
      long parsed = Long.parseLong(value.trim());
      if (parsed < 0) {
        throw new NumberFormatException();
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("Last-Event-ID must be a position (a non-negative integer), got " + value);
    }
  }

  // Admin ------------------------------------------------------------------------------------------

  private void createTenant(RoutingContext ctx) {
    Principal principal = ctx.get(PRINCIPAL);
    if (!principal.superAdmin()) {
      ctx.fail(adminOnly());
      return;
    }
    JsonObject body = jsonBody(ctx);
    String id = body.getValue("id") instanceof String s ? s : null;
    if (id == null || !TENANT_ID.matcher(id).matches()) {
      ctx.fail(ApiException.unprocessable("id must be 1..63 characters of a-z, 0-9, _ and -, starting with a "
          + "letter or digit"));
      return;
    }
    String name = body.getValue("name") instanceof String s && !s.isBlank() ? s : id;
    admin(ctx, new CreateTenant(id, name), 201);
  }

  private void updateTenant(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    for (String field : body.fieldNames()) {
      if (!Set.of("status", "limits").contains(field)) {
        throw ApiException.badRequest("unknown field " + field + "; a tenant update has status and limits");
      }
    }
    Object status = body.getValue("status");
    if (status != null && !"active".equals(status) && !"suspended".equals(status)) {
      throw ApiException.unprocessable("status must be active or suspended");
    }
    Messages.TenantLimits limits = null;
    if (body.getValue("limits") != null) {
      if (!(body.getValue("limits") instanceof JsonObject l)) {
        throw ApiException.unprocessable("limits must be an object");
      }
      for (String field : l.fieldNames()) {
        if (!Set.of("eventsPerSecond", "requestsPerSecond", "maxBatchEvents").contains(field)) {
          throw ApiException.badRequest("unknown limit " + field
              + "; limits are eventsPerSecond, requestsPerSecond, maxBatchEvents");
        }
        Object v = l.getValue(field);
        if (!(v instanceof Integer) || (Integer) v < 0) {
          throw ApiException.unprocessable("limits." + field + " must be an integer >= 0 (0: unlimited)");
        }
      }
      limits = new Messages.TenantLimits(l.getInteger("eventsPerSecond"), l.getInteger("requestsPerSecond"),
          l.getInteger("maxBatchEvents"));
    }
    adminOnly(ctx, new Messages.UpdateTenant(ctx.pathParam("tenantId"), (String) status, limits), 200);
  }

  private void audit(RoutingContext ctx) {
    String tenantId = ctx.queryParams().get("tenantId");
    String limitParam = ctx.queryParams().get("limit");
    int limit;
    try {
      limit = limitParam == null ? 100 : Integer.parseInt(limitParam);
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > 1000) {
      throw ApiException.badRequest("limit must be 1..1000");
    }
    adminOnly(ctx, new Messages.ListAudit(tenantId, limit), 200);
  }

  /** Operations of the bootstrap admin only (the admin token). */
  private void adminOnly(RoutingContext ctx, AdminCommand command, int status) {
    Principal principal = ctx.get(PRINCIPAL);
    if (!principal.superAdmin()) {
      ctx.fail(adminOnly());
      return;
    }
    admin(ctx, command, status);
  }

  private void createKey(RoutingContext ctx) {
    String tenantId = tenantOf(ctx);
    if (tenantId == null) {
      return;
    }
    JsonObject body = jsonBody(ctx);
    if (!(body.getValue("scopes") instanceof JsonArray scopeList) || scopeList.isEmpty()) {
      ctx.fail(ApiException.unprocessable("scopes must be a non-empty array of ingest, query, replay, admin, gdpr"));
      return;
    }
    Set<Scope> scopes = new HashSet<>();
    for (Object value : scopeList) {
      Scope scope = value instanceof String s ? Scope.parse(s).orElse(null) : null;
      if (scope == null) {
        ctx.fail(ApiException.unprocessable("unknown scope " + value + "; use ingest, query, replay, admin, gdpr"));
        return;
      }
      scopes.add(scope);
    }
    Set<String> projects = new HashSet<>();
    Object projectList = body.getValue("projects");
    if (projectList != null) {
      if (!(projectList instanceof JsonArray array) || array.isEmpty()) {
        ctx.fail(ApiException.unprocessable("projects must be a non-empty array of project ids"));
        return;
      }
      for (Object value : array) {
        if (!(value instanceof String s) || s.isEmpty() || s.length() > EventParser.MAX_PROJECT) {
          ctx.fail(ApiException.unprocessable("projects must hold project ids (strings)"));
          return;
        }
        projects.add(s);
      }
    }
    admin(ctx, new CreateKey(tenantId, scopes, projects), 201);
  }

  private void listKeys(RoutingContext ctx) {
    String tenantId = tenantOf(ctx);
    if (tenantId != null) {
      admin(ctx, new ListKeys(tenantId), 200);
    }
  }

  private void revokeKey(RoutingContext ctx) {
    String tenantId = tenantOf(ctx);
    if (tenantId == null) {
      return;
    }
    UUID keyId;
    try {
      keyId = UUID.fromString(ctx.pathParam("keyId"));
    } catch (IllegalArgumentException e) {
      ctx.fail(ApiException.notFound("no key " + ctx.pathParam("keyId")));
      return;
    }
    Principal principal = ctx.get(PRINCIPAL);
    vertx.eventBus().request(Addresses.ADMIN, new Messages.AdminRequest(principal.actor(),
            new RevokeKey(tenantId, keyId)), READ)
        .onSuccess(reply -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /** The tenant of an admin route, if this caller may manage it: the admin token, or its own admin key. */
  private String tenantOf(RoutingContext ctx) {
    Principal principal = ctx.get(PRINCIPAL);
    String tenantId = ctx.pathParam("tenantId");
    if (principal.superAdmin()) {
      return tenantId;
    }
    if (principal.has(Scope.ADMIN) && tenantId.equals(principal.tenantId())) {
      return tenantId;
    }
    ctx.fail(principal.has(Scope.ADMIN)
        ? ApiException.forbidden("this key may manage only tenant " + principal.tenantId())
        : ApiException.forbidden("this key lacks the scope admin"));
    return null;
  }

  private ApiException adminOnly() {
    return ApiException.forbidden(auth.adminEnabled()
        ? "this needs the admin token"
        : "admin endpoints are disabled: start the server with EVENTVAULT_ADMIN_TOKEN set");
  }

  private static JsonObject jsonBody(RoutingContext ctx) {
    if (!EventParser.isJson(EventParser.mediaType(ctx.request().getHeader("Content-Type")))) {
      throw ApiException.unsupportedMediaType("send application/json");
    }
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        throw ApiException.badRequest("the body must be a JSON object");
      }
      return body;
    } catch (io.vertx.core.json.DecodeException | ClassCastException e) {
      throw ApiException.badRequest("the body is not a valid JSON object");
    }
  }

  private void admin(RoutingContext ctx, AdminCommand command, int status) {
    Principal principal = ctx.get(PRINCIPAL);
    vertx.eventBus().<String>request(Addresses.ADMIN, new Messages.AdminRequest(principal.actor(), command), READ)
        .onSuccess(reply -> ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
            .end(reply.body()))
        .onFailure(ctx::fail);
  }
}
