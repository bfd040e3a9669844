package io.eventvault.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.config.DatabaseUrl;
import io.eventvault.support.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.sql.Connection;
import java.sql.Statement;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** Every flush's NOTIFY names its tenants, so other nodes wake only those tails; a list too long wakes all. */
class AppendNotificationTest {

  Vertx vertx;
  DatabaseUrl database;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    database = TestDatabase.create("notify");
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
    TestDatabase.drop(database);
  }

  @Test
  void the_notification_names_the_flush_tenants_or_is_empty_when_they_would_not_fit() throws Exception {
    String many = IntStream.range(0, 300).mapToObj(i -> "tenant-with-a-long-identifier-" + i)
        .collect(Collectors.joining(","));
    assertThat(many.length()).isGreaterThan(8000);
    Pool pool = Pools.pool(vertx, database, 1, "notify");
    try (Connection listener = TestDatabase.connect(database); Statement s = listener.createStatement()) {
      s.execute("LISTEN " + Sql.APPENDED_CHANNEL);
      for (String tenants : new String[] {"acme,globex", many}) {
        pool.withTransaction(conn -> conn.preparedQuery(Sql.APPEND_BEGIN).execute(Tuple.of(tenants))).await();
        PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(5000);
        assertThat(received).hasSize(1);
        assertThat(received[0].getParameter()).isEqualTo(tenants.equals(many) ? "" : tenants);
      }
    } finally {
      pool.close().await();
    }
  }
}
