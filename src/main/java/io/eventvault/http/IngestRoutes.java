package io.eventvault.http;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Messages.AppendRequest;
import io.eventvault.bus.Messages.AppendResult;
import io.eventvault.domain.Appended;
import io.eventvault.domain.EventDraft;
import io.eventvault.domain.Principal;
import io.eventvault.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code POST /v1/events}: parse and validate (large bodies on a worker thread), check the key's projects
 * and the tenant's limits, then hand the events to the writer and answer after its COMMIT.
 */
final class IngestRoutes {

  /** Bodies above this size are parsed on a worker thread, off the event loop. */
  private static final int INLINE_PARSE_BYTES = 64 * 1024;
  private static final DeliveryOptions APPEND = new DeliveryOptions().setSendTimeout(60_000);

  private final Vertx vertx;
  private final EventParser parser;
  private final RateLimiter limiter;
  private final Metrics metrics;

  IngestRoutes(Vertx vertx, EventParser parser, RateLimiter limiter, Metrics metrics) {
    this.vertx = vertx;
    this.parser = parser;
    this.limiter = limiter;
    this.metrics = metrics;
  }

  void ingest(RoutingContext ctx, Principal principal) {
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
}
