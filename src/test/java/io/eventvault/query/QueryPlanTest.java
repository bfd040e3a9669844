package io.eventvault.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.domain.EventQuery;
import io.eventvault.domain.EventQuery.Condition;
import io.eventvault.domain.EventQuery.Operator;
import io.eventvault.store.Pools;
import io.eventvault.store.Sql;
import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * EXPLAIN of every query class of issue 3, for exactly the SQL the compiler produces, run the way the server runs
 * it: the read pool (application role, custom plans, the same parameter types) inside a transaction that declares
 * the tenant (row-level security). 120,000 events over 6 past daily partitions, skewed tenants, then VACUUM
 * ANALYZE, so that the planner weighs indexes against scans as it does at scale (no {@code enable_seqscan = off}).
 *
 * <p>Each class must read every partition that holds rows through an index (a sequential scan is tolerated only
 * on an empty partition: the planner's choice for a table with no pages). The partition key is {@code
 * recorded_at}, which no filter of the query API names, so plan-time pruning cannot happen; what can be pruned is
 * pruned at run time and checked here: the read by id touches one partition.
 */
class QueryPlanTest {

  static final int DAYS = 6;
  static final int EVENTS = 120_000;
  static final String[] TYPES = {"page.viewed", "order.created", "cart.item_added", "user.logged_in", "order.paid",
      "search.performed", "payment.authorized", "payment.captured", "order.shipped", "cart.item_removed",
      "email.sent", "user.signed_up", "invoice.issued", "cart.checked_out", "user.profile_updated",
      "order.cancelled", "subscription.renewed", "order.refunded", "payment.failed", "user.logged_out"};

  static TestServer server;
  static Vertx vertx;
  static Pool pool;
  static LocalDate firstDay;
  /** Rows per partition (relation name), to tell a scan of an empty partition from a real one. */
  static final Map<String, Long> partitionRows = new HashMap<>();
  static Sample sample;

  /** Parameters taken from the data of the biggest tenant, t0. */
  record Sample(String id, String project, String type, String user, String subject, String correlation,
      String customer, Instant occurred) {}

  @BeforeAll
  static void load() throws SQLException {
    server = TestServer.start("queryplan");
    firstDay = LocalDate.now(ZoneOffset.UTC).minusDays(DAYS + 4L);
    try (Connection c = TestDatabase.connect(server.database()); Statement s = c.createStatement()) {
      for (int d = 0; d < DAYS; d++) {
        LocalDate day = firstDay.plusDays(d);
        s.execute("CREATE TABLE IF NOT EXISTS event_partitions.events_p" + DateTimeFormatter.BASIC_ISO_DATE.format(day)
            + " PARTITION OF public.events FOR VALUES FROM ('" + day + " 00:00:00+00') TO ('" + day.plusDays(1)
            + " 00:00:00+00')");
      }
      s.execute("SELECT setseed(0.42)");
      s.execute("INSERT INTO events (tenant_id, position, id, type, project_id, source, subject, user_id,"
          + " occurred_at, recorded_at, correlation_id, metadata, payload)"
          + " SELECT x.tenant, g, gen_random_uuid(), x.type, x.project, 'svc',"
          + "   CASE WHEN g % 4 <> 0 THEN 'order/' || (g % 5000) END, 'u' || (g % 3000),"
          + "   x.recorded - interval '1 millisecond' * (g % 2000), x.recorded, 'c-' || (g / 4),"
          + "   jsonb_build_object('ip', '203.0.113.' || (g % 200)),"
          + "   jsonb_build_object('customerId', 'c-' || (g % 2000), 'amount', ((g * 7919) % 100000) / 100.0,"
          + "     'status', (ARRAY['new', 'paid', 'shipped'])[1 + g % 3], 'note', repeat('x', 300))"
          + " FROM generate_series(1, " + EVENTS + ") g"
          + " CROSS JOIN LATERAL (SELECT"
          + "   't' || floor(8 * power(random() + g * 0, 2))::int AS tenant,"
          + "   (ARRAY['" + String.join("','", TYPES) + "'])[1 + floor(20 * power(random() + g * 0, 1.5))::int]"
          + "     AS type,"
          + "   'p' || (1 + floor(5 * power(random() + g * 0, 1.5))::int) AS project,"
          + "   timestamptz '" + firstDay + " 00:00:00+00' + (g - 1) * (interval '" + DAYS + " days' / " + EVENTS
          + ") AS recorded) x");
      s.execute("INSERT INTO event_ids (tenant_id, id, position, recorded_at)"
          + " SELECT tenant_id, id, position, recorded_at FROM events");
      s.execute("SELECT setval('event_position_seq', " + EVENTS + ")");
      s.execute("VACUUM (ANALYZE) events");
      s.execute("VACUUM (ANALYZE) event_ids");
      try (ResultSet rs = s.executeQuery("SELECT c.relname, count(e.*) FROM pg_inherits i"
          + " JOIN pg_class c ON c.oid = i.inhrelid LEFT JOIN events e ON e.tableoid = c.oid"
          + " WHERE i.inhparent = 'events'::regclass GROUP BY c.relname")) {
        while (rs.next()) {
          partitionRows.put(rs.getString(1), rs.getLong(2));
        }
      }
      // The middle of the data, in t0's most common project: every class has something to find.
      try (ResultSet rs = s.executeQuery("SELECT id, project_id, type, user_id, subject, correlation_id,"
          + " payload->>'customerId', occurred_at FROM events WHERE tenant_id = 't0' AND subject IS NOT NULL"
          + " AND project_id = 'p1' AND type = 'page.viewed' AND position > " + EVENTS / 2
          + " ORDER BY position LIMIT 1")) {
        rs.next();
        sample = new Sample(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getString(6), rs.getString(7), rs.getTimestamp(8).toInstant());
      }
    }
    assertThat(partitionRows.values().stream().filter(n -> n > 0)).hasSize(DAYS);
    vertx = Vertx.vertx();
    pool = Pools.readPool(vertx, server.database(), 1, 60_000,
        io.eventvault.config.EventvaultConfig.DEFAULT.database().appRole());
  }

  @AfterAll
  static void stop() {
    if (pool != null) {
      pool.close().await();
    }
    if (vertx != null) {
      vertx.close().await();
    }
    if (server != null) {
      server.close();
    }
  }

  // ------------------------------------------------------------------------------------------------ the classes

  static EventQuery query(Function<Builder, Builder> f) {
    return f.apply(new Builder()).build();
  }

  @Test
  void get_by_id_reads_one_partition_through_its_primary_key() {
    Plan plan = explain(Sql.GET_EVENT, Tuple.of("t0", UUID.fromString(sample.id())));
    assertThat(plan.scansOf("event_ids")).extracting(Node::index).containsOnly("event_ids_pkey");
    List<Node> events = plan.partitionScans();
    assertThat(events).as(plan.text()).hasSizeGreaterThanOrEqualTo(DAYS);
    assertThat(events.stream().filter(Node::executed)).as("run-time pruning: one partition read\n" + plan.text())
        .hasSize(1).allMatch(n -> n.index() != null && n.index().endsWith("_pkey"));
    assertThat(plan.rows()).isEqualTo(1);
  }

  @Test
  void project_type_and_a_day_read_the_window_from_an_index_and_never_walk_past_it() {
    EventQuery q = query(b -> b.project(sample.project()).types(sample.type())
        .window(sample.occurred().minusSeconds(6 * 3600), sample.occurred().plusSeconds(18 * 3600)));
    Plan plan = explain(q);
    assertThat(plan.rows()).isEqualTo(101);
    assertIndexedEverywhere(plan);
    assertThat(plan.partitionScans().stream().filter(Node::onNonEmptyPartition))
        .as("the window comes from an index led by (tenant_id, project_id)\n" + plan.text())
        .isNotEmpty().allMatch(n -> n.index() != null && n.index().contains("tenant_id_project_id"));
    assertThat(plan.nodes()).as("no walk in position order, which reads partitions without a match to their end\n"
        + plan.text()).noneMatch(n -> n.type().equals("Merge Append"));
    assertThat(plan.nodes().get(0).type()).as("only the page is projected, after the limit\n" + plan.text())
        .isEqualTo("Sort");
    assertThat(plan.nodes().get(1).type()).isEqualTo("Subquery Scan");
  }

  @Test
  void user_subject_and_correlation_id_walk_their_own_index() {
    Map<String, EventQuery> classes = Map.of(
        "user_id", query(b -> b.user(sample.user())),
        "subject", query(b -> b.subject(sample.subject())),
        "correlation_id", query(b -> b.correlation(sample.correlation())));
    classes.forEach((column, q) -> {
      Plan plan = explain(q);
      assertThat(plan.rows()).as(column).isPositive();
      assertIndexedEverywhere(plan);
      assertThat(plan.partitionScans().stream().filter(Node::onNonEmptyPartition))
          .as(column + "\n" + plan.text()).allMatch(n -> n.index() != null && n.index().contains(column));
    });
  }

  @Test
  void payload_contains_within_a_project_and_a_day_reads_the_window_through_an_index() {
    EventQuery q = query(b -> b.project(sample.project())
        .window(sample.occurred().minusSeconds(6 * 3600), sample.occurred().plusSeconds(18 * 3600))
        .contains("{\"customerId\":\"" + sample.customer() + "\"}"));
    Plan plan = explain(q);
    assertThat(plan.rows()).isPositive();
    assertIndexedEverywhere(plan);
    assertThat(plan.nodes()).as("never a walk in position order that could read past the window\n" + plan.text())
        .noneMatch(n -> n.type().equals("Merge Append"));
  }

  @Test
  void a_numeric_range_within_a_project_and_a_type_reads_through_an_index() {
    EventQuery q = query(b -> b.project(sample.project()).types(sample.type())
        .where(new Condition("payload", List.of("amount"), Operator.GTE, "200"),
            new Condition("payload", List.of("amount"), Operator.LT, "400")));
    Plan plan = explain(q);
    assertThat(plan.rows()).isEqualTo(101);
    assertIndexedEverywhere(plan);
  }

  @Test
  void the_newest_hundred_and_page_one_hundred_walk_the_primary_key_for_the_same_cost() {
    Plan first = explain(query(b -> b.descending()));
    assertThat(first.rows()).isEqualTo(101);
    assertIndexedEverywhere(first);
    assertThat(first.partitionScans().stream().filter(Node::onNonEmptyPartition))
        .allMatch(n -> n.index().endsWith("_pkey") && n.type().equals("Index Scan"));
    // Page 100 (10,000 events deep) through the cursor's keyset bound.
    long deep = TestDatabase.count(server.database(),
        "SELECT position FROM events WHERE tenant_id = 't0' ORDER BY position DESC OFFSET 9999 LIMIT 1");
    Plan page100 = explain(query(b -> b.descending().after(deep)));
    assertThat(page100.rows()).isEqualTo(101);
    assertIndexedEverywhere(page100);
    assertThat(page100.buffers()).as("page 100 reads about as many pages as page 1: %s vs %s", page100.buffers(),
        first.buffers()).isLessThanOrEqualTo(first.buffers() * 3 / 2 + 10);
  }

  @Test
  void the_read_pool_never_switches_to_a_generic_plan() {
    QueryCompiler.Compiled page = QueryCompiler.page(query(b -> b.project(sample.project())));
    Map<String, Long> custom = plansAfterRepeats(page, null);
    assertThat(custom.get("generic")).as("generic plans").isZero();
    assertThat(custom.get("custom")).as("custom plans").isGreaterThanOrEqualTo(8);
    // The same check sees a generic plan when the session allows one: it can fail.
    Map<String, Long> generic = plansAfterRepeats(page, "force_generic_plan");
    assertThat(generic.get("generic")).isPositive();
  }

  /** Executes the statement 8 times on one connection, then reads its plan counters. */
  static Map<String, Long> plansAfterRepeats(QueryCompiler.Compiled page, String planCacheMode) {
    return pool.withTransaction(conn -> {
      io.vertx.core.Future<?> chain = conn.preparedQuery(Sql.SET_TENANT).execute(Tuple.of("t0"));
      if (planCacheMode != null) {
        chain = chain.compose(v -> conn.query("SET LOCAL plan_cache_mode = " + planCacheMode).execute());
      }
      for (int i = 0; i < 8; i++) {
        chain = chain.compose(v -> conn.preparedQuery(page.sql()).execute(page.params()));
      }
      return chain.compose(v -> conn.preparedQuery("SELECT generic_plans, custom_plans FROM pg_prepared_statements"
          + " WHERE statement = $1").execute(Tuple.of(page.sql())));
    }).map(rows -> {
      Row row = rows.iterator().next();
      return Map.of("generic", row.getLong(0), "custom", row.getLong(1));
    }).await();
  }

  // ----------------------------------------------------------------------------------------------- explaining

  static void assertIndexedEverywhere(Plan plan) {
    assertThat(plan.partitionScans()).as("partitions in the plan\n" + plan.text()).isNotEmpty();
    for (Node n : plan.partitionScans()) {
      if (n.onNonEmptyPartition()) {
        assertThat(n.index()).as("%s on %s reads a partition with %d rows without an index\n%s", n.type(),
            n.relation(), partitionRows.get(n.relation()), plan.text()).isNotNull();
      }
    }
  }

  static Plan explain(EventQuery q) {
    QueryCompiler.Compiled c = QueryCompiler.page(q);
    return explain(c.sql(), c.params());
  }

  static Plan explain(String sql, Tuple params) {
    RowSet<Row> rows = pool.withTransaction((SqlConnection conn) -> conn.preparedQuery(Sql.SET_TENANT)
            .execute(Tuple.of("t0"))
            .compose(v -> conn.preparedQuery("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql).execute(params)))
        .await();
    Object value = rows.iterator().next().getValue(0);
    JsonArray json = value instanceof JsonArray a ? a : new JsonArray(String.valueOf(value));
    return new Plan(sql, json.getJsonObject(0).getJsonObject("Plan"));
  }

  /** One node of a plan, with the alias it scans (for telling the late lookup's two scans apart). */
  record Node(String type, String relation, String alias, String index, long loops, long rows, long buffers) {
    boolean executed() {
      return loops > 0;
    }

    boolean isPartitionScan() {
      return relation != null && partitionRows.containsKey(relation);
    }

    boolean onNonEmptyPartition() {
      return isPartitionScan() && partitionRows.get(relation) > 0;
    }
  }

  record Plan(String sql, JsonObject root) {
    List<Node> nodes() {
      List<Node> all = new ArrayList<>();
      collect(root, all);
      return all;
    }

    private static void collect(JsonObject n, List<Node> out) {
      String index = n.getString("Index Name");
      if (index == null && "Bitmap Heap Scan".equals(n.getString("Node Type"))) {
        List<String> names = new ArrayList<>();
        bitmapIndexes(n, names);
        index = names.isEmpty() ? null : String.join(" & ", names);
      }
      out.add(new Node(n.getString("Node Type"), n.getString("Relation Name"), n.getString("Alias"),
          index, n.getLong("Actual Loops", 0L), n.getLong("Actual Rows", 0L),
          n.getLong("Shared Hit Blocks", 0L) + n.getLong("Shared Read Blocks", 0L)));
      JsonArray children = n.getJsonArray("Plans");
      if (children != null) {
        for (int i = 0; i < children.size(); i++) {
          collect(children.getJsonObject(i), out);
        }
      }
    }

    /** The indexes under a bitmap heap scan (one, or several under BitmapAnd / BitmapOr). */
    private static void bitmapIndexes(JsonObject n, List<String> out) {
      JsonArray children = n.getJsonArray("Plans");
      if (children == null) {
        return;
      }
      for (int i = 0; i < children.size(); i++) {
        JsonObject child = children.getJsonObject(i);
        if (child.getString("Index Name") != null) {
          out.add(child.getString("Index Name"));
        }
        bitmapIndexes(child, out);
      }
    }

    List<Node> partitionScans() {
      return nodes().stream().filter(Node::isPartitionScan).toList();
    }

    List<Node> scansOf(String relation) {
      return nodes().stream().filter(n -> relation.equals(n.relation())).toList();
    }

    long rows() {
      return root.getLong("Actual Rows");
    }

    long buffers() {
      return root.getLong("Shared Hit Blocks", 0L) + root.getLong("Shared Read Blocks", 0L);
    }

    String text() {
      StringBuilder out = new StringBuilder(sql).append('\n');
      for (Node n : nodes()) {
        out.append(String.format("  %s %s %s loops=%d rows=%d buffers=%d%n", n.type(),
            n.relation() == null ? "" : n.relation() + " (" + n.alias() + ")",
            n.index() == null ? "" : "using " + n.index(), n.loops(), n.rows(), n.buffers()));
      }
      return out.toString();
    }
  }

  /** Builds the EventQuery of a class for tenant t0, limit 100. */
  static final class Builder {
    String project;
    List<String> types = List.of();
    String user;
    String subject;
    String correlation;
    Instant from;
    Instant to;
    String contains;
    List<Condition> where = List.of();
    boolean descending;
    Long after;

    Builder project(String p) {
      project = p;
      return this;
    }

    Builder types(String... t) {
      types = List.of(t);
      return this;
    }

    Builder user(String u) {
      user = u;
      return this;
    }

    Builder subject(String s) {
      subject = s;
      return this;
    }

    Builder correlation(String c) {
      correlation = c;
      return this;
    }

    Builder window(Instant f, Instant t) {
      from = f;
      to = t;
      return this;
    }

    Builder contains(String json) {
      contains = json;
      return this;
    }

    Builder where(Condition... c) {
      where = List.of(c);
      return this;
    }

    Builder descending() {
      descending = true;
      return this;
    }

    Builder after(long position) {
      after = position;
      return this;
    }

    EventQuery build() {
      return new EventQuery("t0", Set.of(), project, types, null, user, subject, correlation, from, to, null, null,
          contains, where, descending, 100, null, after);
    }
  }
}
