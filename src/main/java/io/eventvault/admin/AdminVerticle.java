package io.eventvault.admin;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Failures;
import io.eventvault.bus.Messages.AdminCommand;
import io.eventvault.bus.Messages.CreateKey;
import io.eventvault.bus.Messages.CreateTenant;
import io.eventvault.bus.Messages.KeyLookup;
import io.eventvault.bus.Messages.ListKeys;
import io.eventvault.bus.Messages.RevokeKey;
import io.eventvault.config.DatabaseUrl;
import io.eventvault.domain.Principal;
import io.eventvault.domain.Scope;
import io.eventvault.domain.StoredEvent;
import io.eventvault.store.Pools;
import io.eventvault.store.Sql;
import io.eventvault.store.SqlErrors;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/** Tenants and API keys: the admin commands, and resolving a presented key to its principal. */
public final class AdminVerticle extends VerticleBase {

  private final DatabaseUrl url;
  private Pool pool;

  public AdminVerticle(DatabaseUrl url) {
    this.url = url;
  }

  @Override
  public Future<?> start() {
    pool = Pools.pool(vertx, url, 2, "admin");
    vertx.eventBus().<AdminCommand>consumer(Addresses.ADMIN, this::onCommand);
    vertx.eventBus().<KeyLookup>consumer(Addresses.AUTH_LOOKUP, this::onLookup);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return pool.close();
  }

  private void onCommand(Message<AdminCommand> message) {
    AdminCommand command = message.body();
    Future<JsonObject> answer;
    if (command instanceof CreateTenant c) {
      answer = createTenant(c);
    } else if (command instanceof CreateKey c) {
      answer = createKey(c);
    } else if (command instanceof RevokeKey c) {
      answer = revokeKey(c);
    } else {
      answer = listKeys((ListKeys) command);
    }
    answer.onSuccess(json -> message.reply(json.encode())).onFailure(failure -> fail(message, failure));
  }

  private Future<JsonObject> createTenant(CreateTenant c) {
    return pool.preparedQuery(Sql.CREATE_TENANT).execute(Tuple.of(c.id(), c.name())).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new AdminFailure(Failures.CONFLICT, "tenant " + c.id() + " already exists"));
      }
      Row row = rows.iterator().next();
      return Future.succeededFuture(new JsonObject()
          .put("id", row.getString("id"))
          .put("name", row.getString("name"))
          .put("status", row.getString("status"))
          .put("createdAt", timestamp(row.getOffsetDateTime("created_at"))));
    });
  }

  private Future<JsonObject> createKey(CreateKey c) {
    String secret = ApiKeys.newSecret();
    UUID id = UUID.randomUUID();
    String[] scopes = c.scopes().stream().map(Scope::wireName).sorted().toArray(String[]::new);
    String[] projects = c.projects().isEmpty() ? null : new TreeSet<>(c.projects()).toArray(String[]::new);
    return tenantStatus(c.tenantId())
        .compose(status -> pool.preparedQuery(Sql.CREATE_KEY)
            .execute(Tuple.of(id, c.tenantId(), Buffer.buffer(ApiKeys.hash(secret)), scopes, projects)))
        .map(rows -> {
          JsonObject json = new JsonObject()
              .put("id", id.toString())
              .put("tenantId", c.tenantId())
              .put("key", secret)
              .put("scopes", new JsonArray(Arrays.asList(scopes)))
              .put("createdAt", timestamp(rows.iterator().next().getOffsetDateTime(0)));
          if (projects != null) {
            json.put("projects", new JsonArray(Arrays.asList(projects)));
          }
          return json;
        });
  }

  private Future<JsonObject> revokeKey(RevokeKey c) {
    return pool.preparedQuery(Sql.REVOKE_KEY).execute(Tuple.of(c.tenantId(), c.keyId())).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new AdminFailure(Failures.NOT_FOUND, "no active key " + c.keyId()));
      }
      Buffer hash = rows.iterator().next().getBuffer(0);
      // This node at once; other nodes through NOTIFY (see Server#listen).
      vertx.eventBus().publish(Addresses.AUTH_REVOKED, ApiKeys.hex(hash.getBytes()));
      return Future.succeededFuture(new JsonObject().put("id", c.keyId().toString()));
    });
  }

  private Future<JsonObject> listKeys(ListKeys c) {
    return tenantStatus(c.tenantId())
        .compose(status -> pool.preparedQuery(Sql.LIST_KEYS).execute(Tuple.of(c.tenantId())))
        .map(rows -> {
          JsonArray keys = new JsonArray();
          for (Row row : rows) {
            JsonObject key = new JsonObject()
                .put("id", row.getUUID("id").toString())
                .put("scopes", new JsonArray(Arrays.asList(row.getArrayOfStrings("scopes"))))
                .put("createdAt", timestamp(row.getOffsetDateTime("created_at")))
                .put("revokedAt", timestamp(row.getOffsetDateTime("revoked_at")))
                .put("lastUsedAt", timestamp(row.getOffsetDateTime("last_used_at")));
            String[] projects = row.getArrayOfStrings("projects");
            if (projects != null) {
              key.put("projects", new JsonArray(Arrays.asList(projects)));
            }
            keys.add(key);
          }
          return new JsonObject().put("keys", keys);
        });
  }

  private Future<String> tenantStatus(String tenantId) {
    return pool.preparedQuery(Sql.TENANT_EXISTS).execute(Tuple.of(tenantId)).compose(rows -> rows.size() == 0
        ? Future.failedFuture(new AdminFailure(Failures.NOT_FOUND, "no tenant " + tenantId))
        : Future.succeededFuture(rows.iterator().next().getString(0)));
  }

  private void onLookup(Message<KeyLookup> message) {
    pool.preparedQuery(Sql.LOOKUP_KEY).execute(Tuple.of(Buffer.buffer(message.body().keyHash())))
        .onSuccess(rows -> {
          Iterator<Row> it = rows.iterator();
          if (!it.hasNext()) {
            message.fail(Failures.UNAUTHORIZED, "unknown or revoked API key");
            return;
          }
          Row row = it.next();
          if (!"active".equals(row.getString(4))) {
            message.fail(Failures.FORBIDDEN, "tenant " + row.getString(1) + " is suspended");
            return;
          }
          Set<Scope> scopes = new LinkedHashSet<>();
          for (String scope : row.getArrayOfStrings(2)) {
            Scope.parse(scope).ifPresent(scopes::add);
          }
          String[] projects = row.getArrayOfStrings(3);
          UUID keyId = row.getUUID(0);
          message.reply(new Principal(row.getString(1), keyId.toString(), Set.copyOf(scopes),
              projects == null ? Set.of() : Set.of(projects), false));
          pool.preparedQuery(Sql.TOUCH_KEY).execute(Tuple.of(keyId));
        })
        .onFailure(failure -> fail(message, failure));
  }

  private static void fail(Message<?> message, Throwable failure) {
    if (failure instanceof AdminFailure af) {
      message.fail(af.code, af.getMessage());
    } else if (SqlErrors.isUnavailable(failure)) {
      message.fail(Failures.UNAVAILABLE, "the database is unavailable: " + failure.getMessage());
    } else {
      message.fail(500, failure.getMessage());
    }
  }

  private static String timestamp(OffsetDateTime value) {
    return value == null ? null : StoredEvent.TIMESTAMP.format(value.toInstant());
  }

  /** A refusal with its HTTP status. */
  static final class AdminFailure extends RuntimeException {
    final int code;

    AdminFailure(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }
}
