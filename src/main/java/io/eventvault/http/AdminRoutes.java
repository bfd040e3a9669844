package io.eventvault.http;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Messages;
import io.eventvault.bus.Messages.AdminCommand;
import io.eventvault.bus.Messages.CreateKey;
import io.eventvault.bus.Messages.CreateTenant;
import io.eventvault.bus.Messages.ListKeys;
import io.eventvault.bus.Messages.RevokeKey;
import io.eventvault.domain.Principal;
import io.eventvault.domain.Scope;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Tenants, keys and the audit log. The bootstrap admin token may do everything; a key with scope {@code admin}
 * manages the keys of its own tenant.
 */
final class AdminRoutes {

  private static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  private final Vertx vertx;
  private final boolean adminEnabled;

  AdminRoutes(Vertx vertx, boolean adminEnabled) {
    this.vertx = vertx;
    this.adminEnabled = adminEnabled;
  }

  void createTenant(RoutingContext ctx) {
    Principal principal = Requests.principal(ctx);
    if (!principal.superAdmin()) {
      ctx.fail(adminOnly());
      return;
    }
    JsonObject body = Requests.jsonBody(ctx);
    String id = body.getValue("id") instanceof String s ? s : null;
    if (id == null || !TENANT_ID.matcher(id).matches()) {
      ctx.fail(ApiException.unprocessable("id must be 1..63 characters of a-z, 0-9, _ and -, starting with a "
          + "letter or digit"));
      return;
    }
    String name = body.getValue("name") instanceof String s && !s.isBlank() ? s : id;
    admin(ctx, new CreateTenant(id, name), 201);
  }

  void updateTenant(RoutingContext ctx) {
    JsonObject body = Requests.jsonBody(ctx);
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

  void audit(RoutingContext ctx) {
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
  void adminOnly(RoutingContext ctx, AdminCommand command, int status) {
    Principal principal = Requests.principal(ctx);
    if (!principal.superAdmin()) {
      ctx.fail(adminOnly());
      return;
    }
    admin(ctx, command, status);
  }

  void createKey(RoutingContext ctx) {
    String tenantId = tenantOf(ctx);
    if (tenantId == null) {
      return;
    }
    JsonObject body = Requests.jsonBody(ctx);
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

  void listKeys(RoutingContext ctx) {
    String tenantId = tenantOf(ctx);
    if (tenantId != null) {
      admin(ctx, new ListKeys(tenantId), 200);
    }
  }

  void revokeKey(RoutingContext ctx) {
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
    Principal principal = Requests.principal(ctx);
    vertx.eventBus().request(Addresses.ADMIN, new Messages.AdminRequest(principal.actor(),
            new RevokeKey(tenantId, keyId)), Requests.READ)
        .onSuccess(reply -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /** The tenant of an admin route, if this caller may manage it: the admin token, or its own admin key. */
  private String tenantOf(RoutingContext ctx) {
    Principal principal = Requests.principal(ctx);
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
    return ApiException.forbidden(adminEnabled
        ? "this needs the admin token"
        : "admin endpoints are disabled: start the server with EVENTVAULT_ADMIN_TOKEN set");
  }

  private void admin(RoutingContext ctx, AdminCommand command, int status) {
    Principal principal = Requests.principal(ctx);
    vertx.eventBus().<String>request(Addresses.ADMIN, new Messages.AdminRequest(principal.actor(), command), Requests.READ)
        .onSuccess(reply -> ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
            .end(reply.body()))
        .onFailure(ctx::fail);
  }
}
