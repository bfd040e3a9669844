package io.eventvault.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventvault.config.DatabaseUrl;
import io.eventvault.support.Events;
import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SchemaTest {

  Vertx vertx;
  DatabaseUrl database;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    database = TestDatabase.create("schema");
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
    TestDatabase.drop(database);
  }

  @Test
  void two_servers_migrating_together_apply_each_migration_once() {
    Pool first = Pools.pool(vertx, database, 2, "m1");
    Pool second = Pools.pool(vertx, database, 2, "m2");

    Future.all(new Migrator(first, "eventvault_app").migrate(), new Migrator(second, "eventvault_app").migrate()).await();

    assertThat(TestDatabase.count(database, "SELECT count(*) FROM eventvault_migrations"))
        .isEqualTo(Migrator.migrations().size());
    assertThat(TestDatabase.count(database, "SELECT count(*) FROM eventvault_settings")).isEqualTo(1);
  }

  @Test
  void external_mode_refuses_a_database_that_is_behind() {
    Pool pool = Pools.pool(vertx, database, 1, "check");
    assertThatThrownBy(() -> new Migrator(pool, "eventvault_app").check().await())
        .hasMessageContaining("schema is at version 0").hasMessageContaining("needs version");
    new Migrator(pool, "eventvault_app").migrate().await();
    assertThat(new Migrator(pool, "eventvault_app").check().await()).isEqualTo(Migrator.latestVersion());
  }

  @Test
  void partitions_exist_from_yesterday_to_days_ahead_and_the_default_partition_stays_empty() throws Exception {
    Pool pool = Pools.pool(vertx, database, 1, "partitions");
    new Migrator(pool, "eventvault_app").migrate().await();
    LocalDate today = Partitions.todayUtc();

    new Partitions(pool).ensure(today, 3).await();
    new Partitions(pool).ensure(today, 3).await();

    List<String> expected = List.of(-1, 0, 1, 2, 3).stream()
        .map(offset -> Partitions.partitionName(today.plusDays(offset))).toList();
    try (Connection c = TestDatabase.connect(database); Statement s = c.createStatement()) {
      ResultSet rs = s.executeQuery("""
          SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE i.inhparent = 'public.events'::regclass AND n.nspname = 'event_partitions'
          ORDER BY 1""");
      List<String> names = new java.util.ArrayList<>();
      while (rs.next()) {
        names.add(rs.getString(1));
      }
      assertThat(names).containsAll(expected).contains("events_default");
    }
    assertThat(new Partitions(pool).defaultPartitionRows().await()).isZero();
  }

  @Test
  void events_land_in_today_partition_and_a_lookup_by_id_scans_one_partition() throws Exception {
    try (TestServer server = TestServer.startOn(database, c -> c)) {
      String key = server.tenantWithKey("acme", "ingest");
      var event = Events.event("t", "p");
      server.postJson("/v1/events", key, event);
      String today = Partitions.partitionName(Partitions.todayUtc());
      assertThat(TestDatabase.count(database, "SELECT count(*) FROM event_partitions." + today)).isEqualTo(1);
      assertThat(TestDatabase.count(database, "SELECT count(*) FROM event_partitions.events_default")).isZero();
      try (Connection c = TestDatabase.connect(database); Statement s = c.createStatement()) {
        s.execute("SET plan_cache_mode = force_custom_plan");
        s.execute("PREPARE get_event(text, uuid) AS " + Sql.GET_EVENT);
        ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE get_event('acme', '"
            + event.getString("id") + "')");
        StringBuilder plan = new StringBuilder();
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
        String text = plan.toString();
        long scanned = text.lines().filter(l -> l.contains(" on events_p") || l.contains(" on events_default"))
            .filter(l -> !l.contains("never executed")).count();
        assertThat(scanned).as(text).isEqualTo(1);
        assertThat(text).contains("Index");
      }
    }
  }

}
