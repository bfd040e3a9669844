package io.eventvault.http;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Messages;
import io.eventvault.config.EventvaultConfig;
import io.eventvault.domain.EventQuery;
import io.eventvault.domain.Principal;
import io.eventvault.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Durable subscriptions: named per-tenant checkpoints, their lag, their streams and acknowledgements.
 */
final class SubscriptionRoutes {

  private static final Pattern SUBSCRIPTION_NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  private final Vertx vertx;
  private final EventvaultConfig config;
  private final QueryParser queries;
  private final Streams streams;
  private final Metrics metrics;

  SubscriptionRoutes(Vertx vertx, EventvaultConfig config, QueryParser queries, Streams streams, Metrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.queries = queries;
    this.streams = streams;
    this.metrics = metrics;
  }

  void create(RoutingContext ctx, Principal principal) {
    JsonObject body = Requests.jsonBody(ctx);
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

  void list(RoutingContext ctx, Principal principal) {
    vertx.eventBus().<String>request(Addresses.SUBSCRIPTIONS, new Messages.ListSubscriptions(principal.tenantId()),
            Requests.READ)
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

  void get(RoutingContext ctx, Principal principal) {
    vertx.eventBus().<String>request(Addresses.SUBSCRIPTIONS,
            new Messages.GetSubscription(principal.tenantId(), ctx.pathParam("name")), Requests.READ)
        .compose(reply -> withLag(principal, new JsonObject(reply.body())))
        .onSuccess(json -> ctx.json(json))
        .onFailure(ctx::fail);
  }

  /** Adds {@code lag: {events, capped, seconds}} and updates the lag metric. */
  private Future<JsonObject> withLag(Principal principal, JsonObject subscription) {
    EventQuery query = queries.fromSubscriptionFilter(principal, subscription.getJsonObject("filter"))
        .withAfterPosition(subscription.getLong("position"));
    return vertx.eventBus().<String>request(Addresses.QUERY_LAG, query, Requests.READ).map(reply -> {
      JsonObject lag = new JsonObject(reply.body());
      metrics.subscriptionLag(principal.tenantId(), subscription.getString("name"), lag.getLong("events"),
          lag.getDouble("seconds"));
      return subscription.put("lag", lag);
    });
  }

  void stream(RoutingContext ctx, Principal principal) {
    EventStream.Format format = ReadRoutes.streamFormat(ctx.request().getHeader("Accept"));
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
            Requests.READ)
        .compose(reply -> {
          JsonObject subscription = new JsonObject(reply.body());
          long after = subscription.getLong("position");
          String lastEventId = ctx.request().getHeader("Last-Event-ID");
          if (lastEventId != null) {
            after = Requests.parseLastEventId(lastEventId);
          }
          EventQuery query = queries.fromSubscriptionFilter(principal, subscription.getJsonObject("filter"))
              .withAfterPosition(after);
          EventStream.Options options = new EventStream.Options(follow, config.query().keepAliveSeconds() * 1000L, null);
          return streams.open(new EventStream(vertx, ctx, query, format, options, metrics));
        })
        .onFailure(ctx::fail);
  }

  void ack(RoutingContext ctx, Principal principal) {
    JsonObject body = Requests.jsonBody(ctx);
    Object position = body.getValue("position");
    if (!(position instanceof Integer || position instanceof Long) || ((Number) position).longValue() < 0
        || body.size() != 1) {
      throw ApiException.unprocessable("send {\"position\": N}, the last position processed");
    }
    subscription(ctx, new Messages.AckSubscription(principal.tenantId(), ctx.pathParam("name"),
        ((Number) position).longValue()), 200);
  }

  void delete(RoutingContext ctx, Principal principal) {
    vertx.eventBus().request(Addresses.SUBSCRIPTIONS,
            new Messages.DeleteSubscription(principal.tenantId(), ctx.pathParam("name")), Requests.READ)
        .onSuccess(reply -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void subscription(RoutingContext ctx, Messages.SubscriptionCommand command, int status) {
    vertx.eventBus().<String>request(Addresses.SUBSCRIPTIONS, command, Requests.READ)
        .onSuccess(reply -> ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
            .end(reply.body()))
        .onFailure(ctx::fail);
  }


}
