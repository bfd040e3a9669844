package io.eventvault.config;

import io.eventvault.domain.Principal;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/** The whole server configuration, validated once at startup. */
public record EventvaultConfig(
    HttpConfig http,
    DatabaseConfig database,
    Optional<String> adminToken,
    int authCacheSeconds,
    WriterConfig writer,
    QueryConfig query,
    PartitionConfig partitions,
    Principal.Limits limits) {

  public static final EventvaultConfig DEFAULT = fromJson(ConfigLoader.defaults());

  public EventvaultConfig {
    if (authCacheSeconds < 0) {
      throw new ConfigException("auth.cacheSeconds must be >= 0");
    }
  }

  public static EventvaultConfig fromJson(JsonObject json) {
    JsonObject auth = json.getJsonObject("auth", new JsonObject());
    return new EventvaultConfig(
        HttpConfig.fromJson(json.getJsonObject("http", new JsonObject())),
        DatabaseConfig.fromJson(json.getJsonObject("database", new JsonObject())),
        nonBlank(json.getJsonObject("admin", new JsonObject()).getString("token")),
        auth.getInteger("cacheSeconds", 5),
        WriterConfig.fromJson(json.getJsonObject("writer", new JsonObject())),
        QueryConfig.fromJson(json.getJsonObject("query", new JsonObject())),
        PartitionConfig.fromJson(json.getJsonObject("partitions", new JsonObject())),
        limitsFromJson(json.getJsonObject("limits", new JsonObject())));
  }

  /** Default per-tenant limits (0: unlimited); a tenant's own limits, set by the admin API, win. */
  static Principal.Limits limitsFromJson(JsonObject j) {
    Principal.Limits limits = new Principal.Limits(j.getInteger("eventsPerSecond", 0),
        j.getInteger("requestsPerSecond", 0), j.getInteger("maxBatchEvents", 0));
    if (limits.eventsPerSecond() < 0 || limits.requestsPerSecond() < 0 || limits.maxBatchEvents() < 0) {
      throw new ConfigException("limits.* must be >= 0 (0: unlimited)");
    }
    return limits;
  }

  public EventvaultConfig withHttp(HttpConfig http) {
    return new EventvaultConfig(http, database, adminToken, authCacheSeconds, writer, query, partitions, limits);
  }

  public EventvaultConfig withDatabase(DatabaseConfig database) {
    return new EventvaultConfig(http, database, adminToken, authCacheSeconds, writer, query, partitions, limits);
  }

  public EventvaultConfig withAdminToken(String token) {
    return new EventvaultConfig(http, database, nonBlank(token), authCacheSeconds, writer, query, partitions,
        limits);
  }

  public EventvaultConfig withWriter(WriterConfig writer) {
    return new EventvaultConfig(http, database, adminToken, authCacheSeconds, writer, query, partitions, limits);
  }

  public EventvaultConfig withQuery(QueryConfig query) {
    return new EventvaultConfig(http, database, adminToken, authCacheSeconds, writer, query, partitions, limits);
  }

  public EventvaultConfig withLimits(Principal.Limits limits) {
    return new EventvaultConfig(http, database, adminToken, authCacheSeconds, writer, query, partitions, limits);
  }

  static Optional<String> nonBlank(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** HTTP edge: port, verticle instances and size limits. */
  public record HttpConfig(
      String host, int port, int instances, long maxRequestBytes, int maxEventBytes, int shutdownGraceSeconds) {
    public HttpConfig {
      if (port < 0 || port > 65535) {
        throw new ConfigException("http.port must be 0..65535, got " + port);
      }
      if (instances <= 0) {
        instances = cores();
      }
      if (maxRequestBytes < 1024) {
        throw new ConfigException("http.maxRequestBytes must be >= 1024");
      }
      if (maxEventBytes < 256 || maxEventBytes > maxRequestBytes) {
        throw new ConfigException("http.maxEventBytes must be between 256 and http.maxRequestBytes");
      }
    }

    static HttpConfig fromJson(JsonObject j) {
      return new HttpConfig(
          j.getString("host", "0.0.0.0"),
          j.getInteger("port", 8080),
          j.getInteger("instances", 0),
          j.getLong("maxRequestBytes", 10L * 1024 * 1024),
          j.getInteger("maxEventBytes", 1024 * 1024),
          j.getInteger("shutdownGraceSeconds", 30));
    }

    public HttpConfig withPort(int newPort) {
      return new HttpConfig(host, newPort, instances, maxRequestBytes, maxEventBytes, shutdownGraceSeconds);
    }
  }

  /** Where the events live. An empty URL means: start embedded PostgreSQL. */
  public record DatabaseConfig(
      Optional<DatabaseUrl> url, int poolSize, String embeddedDataDir, MigrationMode migrations, String appRole) {
    public DatabaseConfig {
      if (poolSize < 1) {
        throw new ConfigException("database.poolSize must be >= 1");
      }
      if (appRole == null || !appRole.matches("[a-z_][a-z0-9_]{0,62}")) {
        throw new ConfigException("database.appRole must be a lower-case SQL identifier, got " + appRole);
      }
    }

    static DatabaseConfig fromJson(JsonObject j) {
      return new DatabaseConfig(
          nonBlank(j.getString("url")).map(DatabaseUrl::parse),
          j.getInteger("poolSize", 4),
          j.getString("embeddedDataDir", "./data/pg"),
          MigrationMode.parse(j.getString("migrations", "auto")),
          j.getString("appRole", "eventvault_app"));
    }

    public DatabaseConfig withUrl(DatabaseUrl newUrl) {
      return new DatabaseConfig(Optional.of(newUrl), poolSize, embeddedDataDir, migrations, appRole);
    }

    public DatabaseConfig withMigrations(MigrationMode mode) {
      return new DatabaseConfig(url, poolSize, embeddedDataDir, mode, appRole);
    }
  }

  /** How the schema is kept: applied by the server, or managed elsewhere and only checked. */
  public enum MigrationMode {
    AUTO,
    EXTERNAL;

    static MigrationMode parse(String value) {
      return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
        case "auto" -> AUTO;
        case "external" -> EXTERNAL;
        default -> throw new ConfigException("database.migrations must be 'auto' or 'external', got " + value);
      };
    }
  }

  /**
   * Group commit: a flush starts as soon as a connection is free (or after {@code lingerMs} when set), and
   * carries at most {@code batchSize} events; at most {@code maxQueuedEvents} wait, beyond that ingest
   * answers 429.
   */
  public record WriterConfig(int batchSize, int lingerMs, int maxInFlight, int maxQueuedEvents) {
    public WriterConfig {
      if (batchSize < 1 || batchSize > 10_000) {
        throw new ConfigException("writer.batchSize must be 1..10000");
      }
      if (lingerMs < 0) {
        throw new ConfigException("writer.lingerMs must be >= 0");
      }
      if (maxInFlight < 1) {
        throw new ConfigException("writer.maxInFlight must be >= 1");
      }
      if (maxQueuedEvents < batchSize) {
        throw new ConfigException("writer.maxQueuedEvents must be >= writer.batchSize");
      }
    }

    static WriterConfig fromJson(JsonObject j) {
      return new WriterConfig(
          j.getInteger("batchSize", 1000),
          j.getInteger("lingerMs", 0),
          j.getInteger("maxInFlight", 2),
          j.getInteger("maxQueuedEvents", 50_000));
    }
  }

  /** Reads: page sizes and the statement timeout of every query. */
  public record QueryConfig(
      int instances, int defaultLimit, int maxLimit, int replayPageSize, int statementTimeoutMs,
      int keepAliveSeconds, int followPollMs, int followMinIntervalMs, int exactCountCap) {
    public QueryConfig {
      if (instances <= 0) {
        instances = cores();
      }
      if (defaultLimit < 1 || defaultLimit > maxLimit) {
        throw new ConfigException("query.defaultLimit must be 1..query.maxLimit");
      }
      if (replayPageSize < 1) {
        throw new ConfigException("query.replayPageSize must be >= 1");
      }
      if (statementTimeoutMs < 0) {
        throw new ConfigException("query.statementTimeoutMs must be >= 0");
      }
      if (keepAliveSeconds < 1) {
        throw new ConfigException("query.keepAliveSeconds must be >= 1");
      }
      if (followPollMs < 10) {
        throw new ConfigException("query.followPollMs must be >= 10");
      }
      if (followMinIntervalMs < 0) {
        throw new ConfigException("query.followMinIntervalMs must be >= 0");
      }
      if (exactCountCap < 1) {
        throw new ConfigException("query.exactCountCap must be >= 1");
      }
    }

    static QueryConfig fromJson(JsonObject j) {
      return new QueryConfig(
          j.getInteger("instances", 0),
          j.getInteger("defaultLimit", 100),
          j.getInteger("maxLimit", 1000),
          j.getInteger("replayPageSize", 1000),
          j.getInteger("statementTimeoutMs", 10_000),
          j.getInteger("keepAliveSeconds", 15),
          j.getInteger("followPollMs", 2000),
          j.getInteger("followMinIntervalMs", 10),
          j.getInteger("exactCountCap", 100_000));
    }
  }

  /** Daily partitions on recorded_at, created this many days ahead. */
  public record PartitionConfig(int daysAhead, int maintenanceIntervalSeconds) {
    public PartitionConfig {
      if (daysAhead < 1) {
        throw new ConfigException("partitions.daysAhead must be >= 1");
      }
      if (maintenanceIntervalSeconds < 1) {
        throw new ConfigException("partitions.maintenanceIntervalSeconds must be >= 1");
      }
    }

    static PartitionConfig fromJson(JsonObject j) {
      return new PartitionConfig(j.getInteger("daysAhead", 7), j.getInteger("maintenanceIntervalSeconds", 3600));
    }
  }
}
