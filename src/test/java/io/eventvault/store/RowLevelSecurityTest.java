package io.eventvault.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventvault.config.DatabaseUrl;
import io.eventvault.support.Events;
import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The database is the second wall: as the application role, rows of undeclared tenants do not exist. */
class RowLevelSecurityTest {

  static TestServer server;
  static DatabaseUrl asApp;

  @BeforeAll
  static void start() {
    server = TestServer.start("rls");
    String a = server.tenantWithKey("tenant-a", "ingest");
    String b = server.tenantWithKey("tenant-b", "ingest");
    server.postJson("/v1/events", a, Events.batch(3, "t", "p"));
    server.postJson("/v1/events", b, Events.batch(2, "t", "p"));
    DatabaseUrl db = server.database();
    asApp = new DatabaseUrl(db.host(), db.port(), db.database(), "eventvault_app", null);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void the_application_role_is_neither_superuser_nor_exempt_from_row_level_security() throws Exception {
    try (Connection c = TestDatabase.connect(asApp); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).as("superuser").isFalse();
      assertThat(rs.getBoolean(2)).as("bypassrls").isFalse();
    }
  }

  @Test
  void without_a_declared_tenant_the_application_role_reads_no_events() throws Exception {
    assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events")).as("owner view").isEqualTo(5);
    try (Connection c = TestDatabase.connect(asApp)) {
      assertThat(count(c, "SELECT count(*) FROM events")).isZero();
      assertThat(count(c, "SELECT count(*) FROM event_ids")).isZero();
    }
  }

  @Test
  void with_a_declared_tenant_it_reads_only_that_tenant_and_cannot_write_another() throws Exception {
    try (Connection c = TestDatabase.connect(asApp); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SELECT set_config('app.tenant_id', 'tenant-a', true)");
      assertThat(count(c, "SELECT count(*) FROM events")).isEqualTo(3);
      assertThat(count(c, "SELECT count(*) FROM events WHERE tenant_id = 'tenant-b'")).isZero();
      assertThatThrownBy(() -> s.execute("""
          INSERT INTO events (tenant_id, position, id, type, project_id, occurred_at, recorded_at, payload)
          VALUES ('tenant-b', nextval('event_position_seq'), gen_random_uuid(), 't', 'p', now(), now(), '{}')"""))
          .hasMessageContaining("row-level security");
      c.rollback();
    }
  }

  @Test
  void the_reader_role_reads_under_the_same_policy_and_cannot_write() throws Exception {
    DatabaseUrl db = server.database();
    DatabaseUrl asReader = new DatabaseUrl(db.host(), db.port(), db.database(), "eventvault_app_reader", null);
    try (Connection c = TestDatabase.connect(asReader); Statement s = c.createStatement()) {
      assertThat(count(c, "SELECT count(*) FROM events")).isZero();
      c.setAutoCommit(false);
      s.execute("SELECT set_config('app.tenant_id', 'tenant-b', true)");
      assertThat(count(c, "SELECT count(*) FROM events")).isEqualTo(2);
      assertThatThrownBy(() -> s.execute("""
          INSERT INTO events (tenant_id, position, id, type, project_id, occurred_at, recorded_at, payload)
          VALUES ('tenant-b', 1, gen_random_uuid(), 't', 'p', now(), now(), '{}')"""))
          .hasMessageContaining("permission denied");
      c.rollback();
      assertThatThrownBy(() -> s.executeQuery("SELECT value FROM eventvault_settings"))
          .hasMessageContaining("permission denied");
    }
  }

  @Test
  void the_application_role_cannot_read_the_cursor_secret() throws Exception {
    try (Connection c = TestDatabase.connect(asApp); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.executeQuery("SELECT value FROM eventvault_settings"))
          .hasMessageContaining("permission denied");
    }
  }

  @Test
  void partitions_cannot_be_read_directly() throws Exception {
    String today = Partitions.partitionName(Partitions.todayUtc());
    try (Connection c = TestDatabase.connect(asApp); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.executeQuery("SELECT count(*) FROM event_partitions." + today))
          .hasMessageContaining("permission denied");
    }
    try (Connection c = TestDatabase.connect(server.database()); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("""
            SELECT count(*) FILTER (WHERE NOT c.relrowsecurity), count(*)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'event_partitions' AND c.relkind = 'r'""")) {
      rs.next();
      assertThat(rs.getLong(1)).as("partitions without row-level security").isZero();
      assertThat(rs.getLong(2)).isGreaterThan(2);
    }
  }
}
