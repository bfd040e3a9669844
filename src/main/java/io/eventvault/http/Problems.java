package io.eventvault.http;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every error answer, as RFC 9457 {@code application/problem+json}. */
public final class Problems {

  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
  public static final String MEDIA_TYPE = "application/problem+json";

  private Problems() {}

  /** The router's failure handler: maps whatever failed the route to one problem answer. */
  public static void handle(RoutingContext ctx) {
    send(ctx, toApiException(ctx.failure(), ctx.statusCode()));
  }

  static ApiException toApiException(Throwable failure, int statusCode) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof ReplyException reply) {
      if (reply.failureType() == ReplyFailure.TIMEOUT) {
        return ApiException.of(503, "the store did not answer in time; retry later");
      }
      if (reply.failureType() == ReplyFailure.NO_HANDLERS) {
        return ApiException.of(503, "the store is not running");
      }
      int code = reply.failureCode();
      return ApiException.of(code >= 400 && code < 600 ? code : 500, reply.getMessage());
    }
    if (statusCode == 413) {
      return ApiException.tooLarge("the request body is larger than the configured limit", null);
    }
    if (statusCode >= 400 && statusCode < 500) {
      return ApiException.of(statusCode, ApiException.titleOf(statusCode));
    }
    LOG.error("unexpected failure", failure);
    return ApiException.of(500, "unexpected server error");
  }

  public static void send(RoutingContext ctx, ApiException problem) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      LOG.warn("cannot answer {} after the response started: {}", problem.status(), problem.getMessage());
      ctx.request().connection().close();
      return;
    }
    JsonObject body = new JsonObject()
        .put("type", "about:blank")
        .put("title", problem.title())
        .put("status", problem.status())
        .put("detail", problem.getMessage());
    if (problem.errors() != null) {
      body.put("errors", problem.errors());
    }
    if (problem.retryAfterSeconds() != null) {
      response.putHeader("Retry-After", problem.retryAfterSeconds().toString());
    }
    if (problem.status() == 401) {
      response.putHeader("WWW-Authenticate", "Bearer");
    }
    response.setStatusCode(problem.status()).putHeader("Content-Type", MEDIA_TYPE).end(body.encode());
  }
}
