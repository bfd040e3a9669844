package io.eventvault.http;

import io.eventvault.domain.ApiKeys;
import io.eventvault.bus.Addresses;
import io.eventvault.bus.Messages.KeyLookup;
import io.eventvault.domain.Principal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves {@code Authorization: Bearer …} to a principal. Keys are looked up by hash through the admin
 * verticle and cached per HTTP verticle for {@code auth.cacheSeconds}; a revocation on this node drops the
 * cached entry at once (published on the event bus).
 */
final class Authenticator {

  private static final int MAX_CACHED = 10_000;
  private static final DeliveryOptions LOOKUP = new DeliveryOptions().setSendTimeout(10_000);

  private record Cached(Future<Principal> principal, long expiresAt) {}

  private final Vertx vertx;
  private final Optional<byte[]> adminToken;
  private final long cacheNanos;
  private final Map<String, Cached> cache = new HashMap<>();

  Authenticator(Vertx vertx, Optional<String> adminToken, int cacheSeconds) {
    this.vertx = vertx;
    this.adminToken = adminToken.map(t -> t.getBytes(StandardCharsets.UTF_8));
    this.cacheNanos = cacheSeconds * 1_000_000_000L;
    vertx.eventBus().<String>consumer(Addresses.AUTH_REVOKED, message -> cache.remove(message.body()));
    vertx.eventBus().<String>consumer(Addresses.TENANT_CHANGED, message -> cache.values().removeIf(cached ->
        !cached.principal().succeeded() || message.body().equals(cached.principal().result().tenantId())));
  }

  /**
   * The credential of a request as revocations name it (hex SHA-256 of the bearer secret), or null without one:
   * open streams remember it, so revoking the key ends them.
   */
  static String credential(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return ApiKeys.hex(ApiKeys.hash(authorization.substring(7).trim()));
  }

  boolean adminEnabled() {
    return adminToken.isPresent();
  }

  Future<Principal> authenticate(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Future.failedFuture(ApiException.unauthorized("send Authorization: Bearer <API key or admin token>"));
    }
    String token = authorization.substring(7).trim();
    if (token.isEmpty()) {
      return Future.failedFuture(ApiException.unauthorized("the bearer token is empty"));
    }
    if (adminToken.isPresent()
        && MessageDigest.isEqual(adminToken.get(), token.getBytes(StandardCharsets.UTF_8))) {
      return Future.succeededFuture(Principal.admin());
    }
    byte[] hash = ApiKeys.hash(token);
    String key = ApiKeys.hex(hash);
    long now = System.nanoTime();
    Cached cached = cache.get(key);
    if (cached != null && now - cached.expiresAt() < 0) {
      return cached.principal();
    }
    Future<Principal> lookup = vertx.eventBus()
        .<Principal>request(Addresses.AUTH_LOOKUP, new KeyLookup(hash), LOOKUP)
        .map(reply -> reply.body());
    lookup.onComplete(result -> {
      boolean definitive = result.succeeded()
          || (result.cause() instanceof ReplyException reply && reply.failureCode() == 401);
      if (definitive && cacheNanos > 0) {
        if (cache.size() >= MAX_CACHED) {
          cache.clear();
        }
        cache.put(key, new Cached(lookup, System.nanoTime() + cacheNanos));
      } else {
        cache.remove(key);
      }
    });
    return lookup;
  }
}
