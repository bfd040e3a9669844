package io.eventvault.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the versioned SQL files under {@code db/migration/} in order, each in its own transaction. A
 * session advisory lock makes two servers starting together take turns: the second finds the work done.
 */
public final class Migrator {

  private static final Logger LOG = LoggerFactory.getLogger(Migrator.class);
  private static final String INDEX = "/db/migrations.txt";
  private static final String DIRECTORY = "/db/migration/";

  /** A migration file: its version is the number after the leading V. */
  public record Migration(int version, String name, String sql) {}

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z_]+)}");

  private final Pool pool;
  private final Map<String, String> placeholders;

  /** {@code appRole} replaces {@code ${app_role}} in the migration files. */
  public Migrator(Pool pool, String appRole) {
    this.pool = pool;
    this.placeholders = Map.of("app_role", appRole);
  }

  public static List<Migration> migrations() {
    List<Migration> result = new ArrayList<>();
    for (String line : resource(INDEX).split("\n")) {
      String name = line.trim();
      if (name.isEmpty()) {
        continue;
      }
      int version = Integer.parseInt(name.substring(1, name.indexOf("__")));
      result.add(new Migration(version, name, resource(DIRECTORY + name)));
    }
    return result;
  }

  public static int latestVersion() {
    List<Migration> all = migrations();
    return all.get(all.size() - 1).version();
  }

  /** Applies every missing migration; completes with the number applied. */
  public Future<Integer> migrate() {
    return pool.withConnection(conn -> conn.query(Sql.MIGRATION_LOCK).execute()
        .compose(locked -> applyMissing(conn)
            .eventually(() -> conn.query(Sql.MIGRATION_UNLOCK).execute())));
  }

  /** For {@code migrations: external}: fails unless the database is at the version this server needs. */
  public Future<Integer> check() {
    return pool.withConnection(conn -> appliedVersions(conn).compose(applied -> {
      int expected = latestVersion();
      int current = applied.stream().mapToInt(Integer::intValue).max().orElse(0);
      if (current < expected) {
        return Future.failedFuture(new IllegalStateException(
            "database schema is at version " + current + " but this server needs version " + expected
                + "; apply the migrations (integrations/prisma/ddl or database.migrations=auto) and restart"));
      }
      return Future.succeededFuture(current);
    }));
  }

  private Future<Integer> applyMissing(SqlConnection conn) {
    return appliedVersions(conn).compose(applied -> {
      Future<Integer> chain = Future.succeededFuture(0);
      for (Migration migration : migrations()) {
        if (applied.contains(migration.version())) {
          continue;
        }
        chain = chain.compose(count -> apply(conn, migration).map(v -> count + 1));
      }
      return chain;
    });
  }

  private static Future<Set<Integer>> appliedVersions(SqlConnection conn) {
    return conn.query(Sql.MIGRATION_TABLE).execute()
        .compose(v -> conn.query(Sql.MIGRATION_VERSIONS).execute())
        .map(rows -> {
          Set<Integer> versions = new HashSet<>();
          for (Row row : rows) {
            versions.add(row.getInteger(0));
          }
          return versions;
        });
  }

  private Future<Void> apply(SqlConnection conn, Migration migration) {
    LOG.info("applying migration {}", migration.name());
    String sql = substitute(migration.sql());
    return conn.begin().compose(tx -> conn.query(sql).execute()
        .compose(v -> conn.preparedQuery(Sql.MIGRATION_RECORD)
            .execute(Tuple.of(migration.version(), migration.name())))
        .compose(v -> tx.commit())
        .recover(failure -> tx.rollback().transform(ignored -> Future.<Void>failedFuture(new IllegalStateException(
            "migration " + migration.name() + " failed: " + failure.getMessage(), failure)))));
  }

  String substitute(String sql) {
    Matcher m = PLACEHOLDER.matcher(sql);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = placeholders.get(m.group(1));
      if (value == null) {
        throw new IllegalStateException("migration uses unknown placeholder " + m.group());
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    return m.appendTail(out).toString();
  }

  private static String resource(String path) {
    try (InputStream in = Migrator.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
