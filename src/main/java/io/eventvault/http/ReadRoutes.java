package io.eventvault.http;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Messages;
import io.eventvault.bus.Messages.GetEvent;
import io.eventvault.config.EventvaultConfig;
import io.eventvault.domain.EventPage;
import io.eventvault.domain.EventQuery;
import io.eventvault.domain.Principal;
import io.eventvault.domain.StoredEvent;
import io.eventvault.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * Reads: one event by id, pages of a query (URL parameters or JSON body, with an optional count), and
 * streams of stored and live events.
 */
final class ReadRoutes {

  private final Vertx vertx;
  private final EventvaultConfig config;
  private final QueryParser queries;
  private final Streams streams;
  private final Metrics metrics;

  ReadRoutes(Vertx vertx, EventvaultConfig config, QueryParser queries, Streams streams, Metrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.queries = queries;
    this.streams = streams;
    this.metrics = metrics;
  }

  void get(RoutingContext ctx, Principal principal) {
    UUID id;
    try {
      id = UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      ctx.fail(ApiException.badRequest("the event id must be a UUID"));
      return;
    }
    vertx.eventBus().<StoredEvent>request(Addresses.QUERY_GET, new GetEvent(principal.tenantId(), id,
            principal.projects()), Requests.READ)
        .onSuccess(reply -> ctx.response().putHeader("Content-Type", "application/json").end(reply.body().toJson()))
        .onFailure(ctx::fail);
  }

  void list(RoutingContext ctx, Principal principal) {
    page(ctx, queries.fromParams(principal, ctx.queryParams(), false));
  }

  void query(RoutingContext ctx, Principal principal) {
    String body = ctx.body().asString();
    if (!EventParser.isJson(EventParser.mediaType(ctx.request().getHeader("Content-Type")))) {
      ctx.fail(ApiException.unsupportedMediaType("send the query as application/json"));
      return;
    }
    String text = body == null ? "" : body;
    QueryParser.JsonQuery parsed = queries.fromJsonBody(principal, text);
    EventQuery query = parsed.query();
    String count = parsed.count();
    if (count == null) {
      page(ctx, query);
      return;
    }
    Future<EventPage> page = vertx.eventBus().<EventPage>request(Addresses.QUERY_PAGE, query, Requests.READ).map(r -> r.body());
    Future<String> counted = vertx.eventBus().<String>request(Addresses.QUERY_COUNT,
        new Messages.CountRequest(query, count.equals("exact"), config.query().exactCountCap()), Requests.READ)
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
    vertx.eventBus().<EventPage>request(Addresses.QUERY_PAGE, query, Requests.READ)
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

  void stream(RoutingContext ctx, Principal principal) {
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
        config.query().keepAliveSeconds() * 1000L, QueryParser.streamLimit(ctx.queryParams()));
    EventQuery query = queries.fromParams(principal, ctx.queryParams(), true);
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    if (lastEventId != null) {
      query = query.withAfterPosition(Requests.parseLastEventId(lastEventId));
    }
    streams.open(new EventStream(vertx, ctx, query, format, options, metrics)).onFailure(ctx::fail);
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
}
