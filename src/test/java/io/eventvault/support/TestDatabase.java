package io.eventvault.support;

import io.eventvault.config.DatabaseUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * A real PostgreSQL for tests, chosen once per JVM: {@code EVENTVAULT_TEST_DATABASE_URL} if set; else a
 * Testcontainers PostgreSQL when a Docker engine answers; else embedded PostgreSQL. Each test class creates
 * its own database and drops it afterwards.
 */
public final class TestDatabase {

  private static DatabaseUrl server;
  private static String source;

  private TestDatabase() {}

  /** The server's maintenance database ({@code postgres}), started on first use. */
  public static synchronized DatabaseUrl server() {
    if (server != null) {
      return server;
    }
    String url = System.getenv("EVENTVAULT_TEST_DATABASE_URL");
    if (url != null && !url.isBlank()) {
      server = DatabaseUrl.parse(url);
      source = "EVENTVAULT_TEST_DATABASE_URL";
    } else if (dockerAvailable()) {
      PostgreSQLContainer<?> container = new PostgreSQLContainer<>("postgres:15-alpine");
      container.start();
      server = new DatabaseUrl(container.getHost(), container.getFirstMappedPort(), "postgres",
          container.getUsername(), container.getPassword());
      source = "Testcontainers";
    } else {
      try {
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            postgres.close();
          } catch (IOException ignored) {
            // the JVM is exiting
          }
        }));
        server = new DatabaseUrl("127.0.0.1", postgres.getPort(), "postgres", "postgres", null);
        source = "embedded PostgreSQL";
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
      }
    }
    System.out.println("[tests] PostgreSQL from " + source + ": " + server);
    return server;
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable e) {
      return false;
    }
  }

  /** A new, empty database. */
  public static DatabaseUrl create(String prefix) {
    String name = (prefix + "_" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT);
    execute(server(), "CREATE DATABASE " + name);
    return server().withDatabase(name);
  }

  public static void drop(DatabaseUrl url) {
    execute(server(), "DROP DATABASE IF EXISTS " + url.database() + " WITH (FORCE)");
  }

  public static Connection connect(DatabaseUrl url) {
    try {
      return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
    } catch (SQLException e) {
      throw new IllegalStateException("cannot connect to " + url, e);
    }
  }

  public static void execute(DatabaseUrl url, String sql) {
    try (Connection c = connect(url); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  public static long count(DatabaseUrl url, String sql) {
    try (Connection c = connect(url); Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
