package io.eventvault.http;

import io.eventvault.domain.Principal;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** What every route needs from a request: its principal, a JSON body, a Last-Event-ID. */
final class Requests {

  static final String PRINCIPAL = "principal";
  /** Reads and admin calls on the event bus. */
  static final DeliveryOptions READ = new DeliveryOptions().setSendTimeout(30_000);

  private Requests() {}

  /** The caller, set by the authentication handler of every {@code /v1} route. */
  static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /** A route of one tenant's data, for a caller that has the route's scope. */
  interface TenantHandler {
    void handle(RoutingContext ctx, Principal principal);
  }

  static JsonObject jsonBody(RoutingContext ctx) {
    if (!EventParser.isJson(EventParser.mediaType(ctx.request().getHeader("Content-Type")))) {
      throw ApiException.unsupportedMediaType("send application/json");
    }
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        throw ApiException.badRequest("the body must be a JSON object");
      }
      return body;
    } catch (DecodeException | ClassCastException e) {
      throw ApiException.badRequest("the body is not a valid JSON object");
    }
  }

  static long parseLastEventId(String value) {
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
}
