import io.eventvault.config.DatabaseUrl;
import io.eventvault.domain.EventQuery;
import io.eventvault.domain.EventQuery.Condition;
import io.eventvault.domain.EventQuery.Operator;
import io.eventvault.query.QueryCompiler;
import io.eventvault.store.Pools;
import io.eventvault.store.Sql;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * EXPLAIN (ANALYZE, BUFFERS) of every query class of the benchmark, for exactly the SQL that QueryCompiler produces,
 * run through the server's own read pool (application role, row-level security with the tenant declared in the
 * transaction, plan_cache_mode = force_custom_plan, same parameter types). Single-file
 * program against the server jar:
 *
 * <pre>java -cp target/eventvault.jar bench/query/Explain.java postgresql://postgres@127.0.0.1:5432/evq_20m [tenant]
 * [--summary] [--repeat N]</pre>
 */
public class Explain {

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String tenant = args.length > 1 && !args[1].startsWith("--") ? args[1] : "t01";
    boolean summary = List.of(args).contains("--summary");
    int repeat = 3;
    String onlyProject = null;
    String role = "eventvault_app";
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("--repeat")) {
        repeat = Integer.parseInt(args[i + 1]);
      }
      if (args[i].equals("--role")) {
        role = args[i + 1];
      }
      if (args[i].equals("--project")) {
        onlyProject = args[i + 1];
      }
    }
    Vertx vertx = Vertx.vertx();
    Pool pool = Pools.readPool(vertx, DatabaseUrl.parse(url), 1, 120_000, role);
    try {
      Row s = asTenant(pool, tenant, "SELECT id, project_id, type, user_id, subject, correlation_id, occurred_at,"
              + " payload->>'customerId' FROM events WHERE tenant_id = $1 AND recorded_at >= (SELECT max(recorded_at)"
              + " FROM events WHERE tenant_id = $1 AND recorded_at < now() - interval '1 day') - interval '10 days'"
              + " AND user_id IS NOT NULL AND subject IS NOT NULL AND correlation_id IS NOT NULL"
              + " AND ($2::text IS NULL OR project_id = $2) LIMIT 1", Tuple.of(tenant, onlyProject)).iterator().next();
      String id = s.getUUID(0).toString();
      String project = s.getString(1);
      String type = s.getString(2);
      Instant occurred = s.getOffsetDateTime(6).toInstant();
      Instant from = occurred.minusSeconds(6 * 3600);
      Instant to = from.plusSeconds(86_400);
      Map<String, EventQuery> classes = new LinkedHashMap<>();
      classes.put("project_type_24h", q(tenant, project, List.of(type), null, null, null, from, to, null, List.of(),
          false, null));
      classes.put("user", q(tenant, null, List.of(), s.getString(3), null, null, null, null, null, List.of(), false,
          null));
      classes.put("subject", q(tenant, null, List.of(), null, s.getString(4), null, null, null, null, List.of(), false,
          null));
      classes.put("correlation_id", q(tenant, null, List.of(), null, null, s.getString(5), null, null, null, List.of(),
          false, null));
      classes.put("contains_project_24h", q(tenant, project, List.of(), null, null, null, from, to,
          "{\"customerId\":\"" + s.getString(7) + "\"}", List.of(), false, null));
      classes.put("contains_broad_project_24h", q(tenant, project, List.of(), null, null, null, from, to,
          "{\"status\":\"refunded\",\"country\":\"SE\"}", List.of(), false, null));
      classes.put("where_range_project_type", q(tenant, project, List.of(type), null, null, null, null, null, null,
          List.of(new Condition("payload", List.of("amount"), Operator.GTE, "500"),
              new Condition("payload", List.of("amount"), Operator.LT, "550")), false, null));
      classes.put("newest_100", q(tenant, null, List.of(), null, null, null, null, null, null, List.of(), true, null));
      Long deep = asTenant(pool, tenant, "SELECT position FROM events WHERE tenant_id = $1 ORDER BY position DESC"
          + " OFFSET 99999 LIMIT 1", Tuple.of(tenant)).iterator().next().getLong(0);
      classes.put("deep_page_1000", q(tenant, null, List.of(), null, null, null, null, null, null, List.of(), true,
          deep));

      System.out.println("-- tenant " + tenant + ", project " + project + ", type " + type + ", window " + from + " .. "
          + to);
      explain(pool, tenant, "get_by_id", Sql.GET_EVENT, Tuple.of(tenant, java.util.UUID.fromString(id)), summary, repeat);
      for (Map.Entry<String, EventQuery> e : classes.entrySet()) {
        QueryCompiler.Compiled c = QueryCompiler.page(e.getValue());
        explain(pool, tenant, e.getKey(), c.sql(), c.params(), summary, repeat);
      }
    } finally {
      pool.close().await();
      vertx.close().await();
    }
  }

  static EventQuery q(String tenant, String project, List<String> types, String user, String subject,
      String correlation, Instant from, Instant to, String contains, List<Condition> where, boolean desc,
      Long after) {
    return new EventQuery(tenant, Set.of(), project, types, null, user, subject, correlation, from, to, null, null,
        contains, where, desc, 100, null, after);
  }

  /** Runs it {@code repeat} times (the first warms the caches) and prints the last plan. */
  /** In a transaction that declares the tenant, as QueryVerticle does, so row-level security applies. */
  static RowSet<Row> asTenant(Pool pool, String tenant, String sql, Tuple params) {
    return pool.withTransaction(conn -> conn.preparedQuery(Sql.SET_TENANT).execute(Tuple.of(tenant))
        .compose(v -> conn.preparedQuery(sql).execute(params))).await();
  }

  static void explain(Pool pool, String tenant, String name, String sql, Tuple params, boolean summary,
      int repeat) {
    List<String> lines = null;
    for (int i = 0; i < repeat; i++) {
      RowSet<Row> rows = asTenant(pool, tenant, "EXPLAIN (ANALYZE, BUFFERS) " + sql, params);
      lines = new java.util.ArrayList<>();
      for (Row r : rows) {
        lines.add(r.getString(0));
      }
    }
    System.out.println("\n=== " + name);
    if (!summary) {
      System.out.println(sql);
      System.out.println(params.deepToString());
    }
    for (String line : lines) {
      if (!summary || line.contains("Planning Time") || line.contains("Execution Time")
          || line.startsWith("Limit") || line.startsWith("  Buffers") || line.startsWith("Sort")
          || line.startsWith("Nested") || line.startsWith("Merge")) {
        System.out.println(line);
      }
    }
  }
}
