package io.eventvault.store;

import io.eventvault.config.DatabaseUrl;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;

/** Creates the database clients. Each verticle owns its own and keeps it in a field. */
public final class Pools {
  private Pools() {}

  public static Pool pool(Vertx vertx, DatabaseUrl url, int size, String applicationName) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size).setName(applicationName + "-" + System.identityHashCode(vertx)))
        .connectingTo(connectOptions(url, applicationName))
        .using(vertx)
        .build();
  }

  /**
   * A pool for reads: every session runs as the application role, with the statement timeout and custom
   * plans (a generic plan would touch every partition, see DESIGN.md 4.5), all set as startup parameters,
   * so no extra round trip is needed.
   */
  public static Pool readPool(Vertx vertx, DatabaseUrl url, int size, int statementTimeoutMs, String role) {
    PgConnectOptions options = connectOptions(url, "query");
    options.addProperty("role", role);
    options.addProperty("statement_timeout", Integer.toString(statementTimeoutMs));
    options.addProperty("plan_cache_mode", "force_custom_plan");
    // Plans over many partitions pass the JIT threshold; compiling costs more than millisecond queries.
    options.addProperty("jit", "off");
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size))
        .connectingTo(options)
        .using(vertx)
        .build();
  }

  /** A pool whose sessions run as {@code role} (set at connection start): the application role. */
  public static Pool rolePool(Vertx vertx, DatabaseUrl url, int size, String applicationName, String role) {
    PgConnectOptions options = connectOptions(url, applicationName);
    options.addProperty("role", role);
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size))
        .connectingTo(options)
        .using(vertx)
        .build();
  }

  /** A pooled client pipelines queries on its connections (a plain {@code Pool} does not). */
  public static SqlClient pipelinedClient(Vertx vertx, DatabaseUrl url, int size, String applicationName) {
    return PgBuilder.client()
        .with(new PoolOptions().setMaxSize(size))
        .connectingTo(connectOptions(url, applicationName).setPipeliningLimit(256))
        .using(vertx)
        .build();
  }

  static PgConnectOptions connectOptions(DatabaseUrl url, String applicationName) {
    PgConnectOptions options = url.connectOptions();
    options.setCachePreparedStatements(true);
    options.setPreparedStatementCacheMaxSize(256);
    options.setReconnectAttempts(0);
    options.addProperty("application_name", "eventvault-" + applicationName);
    options.addProperty("client_min_messages", "warning");
    return options;
  }
}
