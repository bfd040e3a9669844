package io.eventvault.admin;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Failures;
import io.eventvault.bus.Messages.AdminCommand;
import io.eventvault.bus.Messages.AdminRequest;
import io.eventvault.bus.Messages.DeleteTenant;
import io.eventvault.bus.Messages.GetDeletion;
import io.eventvault.bus.Messages.ListAudit;
import io.eventvault.bus.Messages.ListTenants;
import io.eventvault.bus.Messages.TenantLimits;
import io.eventvault.bus.Messages.UpdateTenant;
import io.vertx.sqlclient.SqlClient;
import io.eventvault.bus.Messages.CreateKey;
import io.eventvault.bus.Messages.CreateTenant;
import io.eventvault.bus.Messages.KeyLookup;
import io.eventvault.bus.Messages.ListKeys;
import io.eventvault.bus.Messages.RevokeKey;
import io.eventvault.config.DatabaseUrl;
import io.eventvault.domain.ApiKeys;
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

  private static final int DELETE_BATCH = 5000;

  private final DatabaseUrl url;
  private final Principal.Limits defaults;
  private Pool pool;

  /** {@code defaults}: the limits of tenants that have none of their own. */
  public AdminVerticle(DatabaseUrl url, Principal.Limits defaults) {
    this.url = url;
    this.defaults = defaults;
  }

  private static int limit(Integer own, int fallback) {
    return own != null ? own : fallback;
  }

  @Override
  public Future<?> start() {
    pool = Pools.pool(vertx, url, 2, "admin");
    vertx.eventBus().<AdminRequest>consumer(Addresses.ADMIN, this::onCommand);
    vertx.eventBus().<KeyLookup>consumer(Addresses.AUTH_LOOKUP, this::onLookup);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return pool.close();
  }

  private void onCommand(Message<AdminRequest> message) {
    String actor = message.body().actor();
    AdminCommand command = message.body().command();
    Future<JsonObject> answer;
    if (command instanceof CreateTenant c) {
      answer = audited(actor, c.id(), "tenant.create", db -> createTenant(db, c));
    } else if (command instanceof CreateKey c) {
      answer = audited(actor, c.tenantId(), "key.create", db -> createKey(db, c));
    } else if (command instanceof RevokeKey c) {
      answer = audited(actor, c.tenantId(), "key.revoke", db -> revokeKey(db, c));
    } else if (command instanceof UpdateTenant c) {
      answer = audited(actor, c.tenantId(), "tenant.update", db -> updateTenant(db, c))
          .onSuccess(json -> vertx.eventBus().publish(Addresses.TENANT_CHANGED, c.tenantId()));
    } else if (command instanceof DeleteTenant c) {
      answer = audited(actor, c.tenantId(), "tenant.delete", db -> startDeletion(db, c))
          .onSuccess(json -> {
            vertx.eventBus().publish(Addresses.TENANT_CHANGED, c.tenantId());
            runDeletion(c.tenantId());
          });
    } else if (command instanceof GetDeletion c) {
      answer = deletion(c.tenantId());
    } else if (command instanceof ListTenants) {
      answer = listTenants();
    } else if (command instanceof ListAudit c) {
      answer = listAudit(c);
    } else {
      answer = listKeys((ListKeys) command);
    }
    answer.onSuccess(json -> message.reply(json.encode())).onFailure(failure -> fail(message, failure));
  }

  /** Runs a change and its audit record in one transaction: no change without its record. */
  private Future<JsonObject> audited(String actor, String tenantId, String action,
      java.util.function.Function<SqlClient, Future<JsonObject>> change) {
    return pool.withTransaction(conn -> change.apply(conn).compose(json -> {
      JsonObject details = json.copy();
      details.remove("key");
      return conn.preparedQuery(Sql.AUDIT).execute(Tuple.of(actor, tenantId, action, details.encode()))
          .map(json);
    }));
  }

  private Future<JsonObject> listTenants() {
    return pool.query(Sql.LIST_TENANTS).execute().map(rows -> {
      JsonArray tenants = new JsonArray();
      rows.forEach(row -> tenants.add(tenantJson(row)));
      return new JsonObject().put("tenants", tenants);
    });
  }

  private static JsonObject tenantJson(Row row) {
    return new JsonObject()
        .put("id", row.getString("id"))
        .put("name", row.getString("name"))
        .put("status", row.getString("status"))
        .put("createdAt", timestamp(row.getOffsetDateTime("created_at")))
        .put("limits", new JsonObject()
            .put("eventsPerSecond", row.getInteger("events_per_second"))
            .put("requestsPerSecond", row.getInteger("requests_per_second"))
            .put("maxBatchEvents", row.getInteger("max_batch_events")));
  }

  private Future<JsonObject> updateTenant(SqlClient db, UpdateTenant c) {
    TenantLimits limits = c.limits();
    Tuple args = Tuple.of(c.tenantId(), c.status())
        .addValue(limits != null && limits.eventsPerSecond() != null)
        .addValue(limits == null ? null : limits.eventsPerSecond())
        .addValue(limits != null && limits.requestsPerSecond() != null)
        .addValue(limits == null ? null : limits.requestsPerSecond())
        .addValue(limits != null && limits.maxBatchEvents() != null)
        .addValue(limits == null ? null : limits.maxBatchEvents());
    return db.preparedQuery(Sql.UPDATE_TENANT).execute(args).compose(rows -> rows.size() == 0
        ? Future.failedFuture(new AdminFailure(Failures.NOT_FOUND, "no tenant " + c.tenantId()
            + " (or it is being deleted)"))
        : db.preparedQuery(Sql.NOTIFY_TENANT_CHANGED).execute(Tuple.of(c.tenantId()))
            .map(v -> tenantJson(rows.iterator().next())));
  }

  private Future<JsonObject> startDeletion(SqlClient db, DeleteTenant c) {
    return db.preparedQuery(Sql.MARK_TENANT_DELETING).execute(Tuple.of(c.tenantId())).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new AdminFailure(Failures.NOT_FOUND,
            "no tenant " + c.tenantId() + " (or its deletion is already running)"));
      }
      return db.preparedQuery(Sql.START_DELETION).execute(Tuple.of(c.tenantId()))
          .compose(v -> db.preparedQuery(Sql.NOTIFY_TENANT_CHANGED).execute(Tuple.of(c.tenantId())))
          .map(v -> new JsonObject().put("tenantId", c.tenantId()).put("status", "running"));
    });
  }

  /**
   * Deletes the tenant's rows in batches (each its own short transaction, so ingest and vacuum are not held
   * back), recording progress, then the tenant itself. Keys stop working as soon as the deletion starts.
   */
  private void runDeletion(String tenantId) {
    pool.withTransaction(conn -> conn.query(Sql.MAINTENANCE).execute()
            .compose(v -> conn.preparedQuery(Sql.DELETE_TENANT_EVENTS).execute(Tuple.of(tenantId, DELETE_BATCH)))
            .compose(deleted -> conn.preparedQuery(Sql.DELETE_TENANT_IDS).execute(Tuple.of(tenantId, DELETE_BATCH))
                .compose(v -> conn.preparedQuery(Sql.DELETION_PROGRESS)
                    .execute(Tuple.of(tenantId, (long) deleted.rowCount())))
                .map(v -> deleted.rowCount())))
        .onSuccess(deleted -> {
          if (deleted > 0) {
            runDeletion(tenantId);
          } else {
            finishDeletion(tenantId);
          }
        })
        .onFailure(failure -> pool.preparedQuery(Sql.FINISH_DELETION)
            .execute(Tuple.of(tenantId, "failed", failure.getMessage())));
  }

  private void finishDeletion(String tenantId) {
    pool.withTransaction(conn -> conn.query(Sql.MAINTENANCE).execute()
            .compose(v -> conn.preparedQuery(Sql.DELETE_TENANT_IDS).execute(Tuple.of(tenantId, Integer.MAX_VALUE)))
            .compose(v -> conn.preparedQuery(Sql.DELETE_TENANT_REST).execute(Tuple.of(tenantId)))
            .compose(v -> conn.preparedQuery(Sql.FINISH_DELETION).execute(Tuple.of(tenantId, "done", null))))
        .onFailure(failure -> pool.preparedQuery(Sql.FINISH_DELETION)
            .execute(Tuple.of(tenantId, "failed", failure.getMessage())));
  }

  private Future<JsonObject> deletion(String tenantId) {
    return pool.preparedQuery(Sql.GET_DELETION).execute(Tuple.of(tenantId)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new AdminFailure(Failures.NOT_FOUND, "no deletion of tenant " + tenantId));
      }
      Row row = rows.iterator().next();
      return Future.succeededFuture(new JsonObject()
          .put("tenantId", tenantId)
          .put("status", row.getString("status"))
          .put("eventsDeleted", row.getLong("events_deleted"))
          .put("startedAt", timestamp(row.getOffsetDateTime("started_at")))
          .put("finishedAt", timestamp(row.getOffsetDateTime("finished_at")))
          .put("error", row.getString("error")));
    });
  }

  private Future<JsonObject> listAudit(ListAudit c) {
    return pool.preparedQuery(Sql.LIST_AUDIT).execute(Tuple.of(c.tenantId(), c.limit())).map(rows -> {
      JsonArray entries = new JsonArray();
      for (Row row : rows) {
        entries.add(new JsonObject()
            .put("id", row.getLong("id"))
            .put("at", timestamp(row.getOffsetDateTime("at")))
            .put("actor", row.getString("actor"))
            .put("tenantId", row.getString("tenant_id"))
            .put("action", row.getString("action"))
            .put("details", new JsonObject(row.getString("details"))));
      }
      return new JsonObject().put("entries", entries);
    });
  }

  private Future<JsonObject> createTenant(SqlClient db, CreateTenant c) {
    return db.preparedQuery(Sql.CREATE_TENANT).execute(Tuple.of(c.id(), c.name())).compose(rows -> {
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

  private Future<JsonObject> createKey(SqlClient db, CreateKey c) {
    String secret = ApiKeys.newSecret();
    UUID id = UUID.randomUUID();
    String[] scopes = c.scopes().stream().map(Scope::wireName).sorted().toArray(String[]::new);
    String[] projects = c.projects().isEmpty() ? null : new TreeSet<>(c.projects()).toArray(String[]::new);
    return tenantStatus(db, c.tenantId())
        .compose(status -> db.preparedQuery(Sql.CREATE_KEY)
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

  private Future<JsonObject> revokeKey(SqlClient db, RevokeKey c) {
    return db.preparedQuery(Sql.REVOKE_KEY).execute(Tuple.of(c.tenantId(), c.keyId())).compose(rows -> {
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
    return tenantStatus(pool, c.tenantId())
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

  private static Future<String> tenantStatus(SqlClient db, String tenantId) {
    return db.preparedQuery(Sql.TENANT_EXISTS).execute(Tuple.of(tenantId)).compose(rows -> rows.size() == 0
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
            message.fail(Failures.FORBIDDEN, "tenant " + row.getString(1) + " is " + row.getString(4));
            return;
          }
          Set<Scope> scopes = new LinkedHashSet<>();
          for (String scope : row.getArrayOfStrings(2)) {
            Scope.parse(scope).ifPresent(scopes::add);
          }
          String[] projects = row.getArrayOfStrings(3);
          UUID keyId = row.getUUID(0);
          message.reply(new Principal(row.getString(1), keyId.toString(), Set.copyOf(scopes),
              projects == null ? Set.of() : Set.of(projects), false, new Principal.Limits(
                  limit(row.getInteger(5), defaults.eventsPerSecond()),
                  limit(row.getInteger(6), defaults.requestsPerSecond()),
                  limit(row.getInteger(7), defaults.maxBatchEvents()))));
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
