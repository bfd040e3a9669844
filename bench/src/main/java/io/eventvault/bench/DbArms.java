package io.eventvault.bench;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/** The arms that talk to PostgreSQL directly (no HTTP): COPY ceilings, the naive baseline, the writer's SQL. */
final class DbArms {

  record Result(long events, double seconds, long errors) {
    double perSecond() {
      return seconds <= 0 ? 0 : events / seconds;
    }
  }

  static final String EVENT_COLUMNS = "tenant_id, position, id, type, project_id, source, subject, user_id, "
      + "occurred_at, recorded_at, schema_version, correlation_id, causation_id, metadata, payload";
  static final long APPEND_LOCK_KEY = 0x45565f415050L; // the server's append lock (Sql.APPEND_LOCK_KEY)

  private static final DateTimeFormatter PG_TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSxxx");

  /** The statements the arm runs: the server's own when they can be read from its jar, else the copy above. */
  record WriterSql(String begin, boolean beginTakesTenant, String append, String role, String source) {}

  /**
   * Reads Sql.APPEND_BEGIN (or APPEND_LOCK) and Sql.APPEND from the server jar under test, so this arm always
   * runs exactly the writer's SQL; $n placeholders become JDBC's ? (a repeated $1 is bound again). The
   * application role is used when the cluster has it (row-level security applies to the writer's sessions, as
   * in the server).
   */
  static WriterSql writerSql(java.nio.file.Path serverJar, Db db, String database) {
    String begin = "SELECT pg_advisory_xact_lock(" + APPEND_LOCK_KEY + ")";
    String append;
    boolean takesTenant = false;
    String source;
    try (java.net.URLClassLoader cl = new java.net.URLClassLoader(new java.net.URL[] {serverJar.toUri().toURL()},
        DbArms.class.getClassLoader().getParent())) {
      Class<?> sql = Class.forName("io.eventvault.store.Sql", false, cl);
      append = jdbc((String) sql.getField("APPEND").get(null));
      try {
        begin = jdbc((String) sql.getField("APPEND_BEGIN").get(null));
        takesTenant = begin.contains("?");
      } catch (NoSuchFieldException e) {
        begin = (String) sql.getField("APPEND_LOCK").get(null);
      }
      source = "io.eventvault.store.Sql from the server jar under test";
    } catch (Exception | LinkageError e) {
      // A hand-kept copy would drift from the server: measure the jar's statement or nothing.
      throw new IllegalStateException("cannot read the writer SQL from " + serverJar + ": " + e, e);
    }
    String role = null;
    try {
      if ("1".equals(db.one(database, "SELECT 1 FROM pg_roles WHERE rolname = 'eventvault_app'"))) {
        role = "eventvault_app";
      }
    } catch (Exception e) {
      // no role
    }
    return new WriterSql(begin, takesTenant, append, role, source);
  }

  private static String jdbc(String sql) {
    return sql.replaceAll("\\$\\d+", "?");
  }

  private final Db db;
  private final Corpus corpus;
  private final AtomicLong cursor = new AtomicLong();

  DbArms(Db db, Corpus corpus) {
    this.db = db;
    this.corpus = corpus;
  }

  /** Runs {@code threads} copies of {@code body} until the deadline; each returns the events it stored. */
  private Result parallel(int threads, double seconds, Worker body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    long deadline = start + (long) (seconds * 1e9);
    List<Future<long[]>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Callable<long[]> task = () -> body.run(deadline);
      futures.add(pool.submit(task));
    }
    long events = 0;
    long errors = 0;
    for (Future<long[]> f : futures) {
      long[] r = f.get();
      events += r[0];
      errors += r[1];
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    return new Result(events, elapsed, errors);
  }

  interface Worker {
    long[] run(long deadline) throws Exception;
  }

  /**
   * (a) COPY FROM STDIN in text format, {@code chunk} rows per COPY, one transaction per chunk; with
   * {@code bothTables} the same transaction also COPYs the matching event_ids rows, as the server writes both.
   * Positions are taken from a client-side counter (no sequence), recorded_at is the chunk's wall time.
   */
  Result copy(String database, boolean bothTables, int streams, double seconds, int chunk) throws Exception {
    AtomicLong position = new AtomicLong();
    return parallel(streams, seconds, deadline -> {
      long stored = 0;
      try (Connection c = db.connect(database)) {
        c.setAutoCommit(false);
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        StringBuilder ev = new StringBuilder(chunk * 1100);
        StringBuilder ids = new StringBuilder(chunk * 100);
        while (System.nanoTime() < deadline) {
          ev.setLength(0);
          ids.setLength(0);
          String recordedAt = PG_TS.format(OffsetDateTime.now(ZoneOffset.UTC));
          long first = position.getAndAdd(chunk) + 1;
          for (int k = 0; k < chunk; k++) {
            Corpus.Event e = corpus.get(cursor.getAndIncrement());
            UUID id = Ids.v7();
            long pos = first + k;
            field(ev, Corpus.TENANT).append('\t').append(pos).append('\t').append(id).append('\t');
            field(ev, e.type()).append('\t');
            field(ev, e.projectId()).append('\t');
            field(ev, e.source()).append('\t');
            field(ev, e.subject()).append('\t');
            field(ev, e.userId()).append('\t');
            field(ev, e.occurredAt()).append('\t').append(recordedAt).append('\t').append(e.schemaVersion())
                .append('\t');
            field(ev, e.correlationId()).append('\t');
            field(ev, e.causationId()).append('\t');
            field(ev, e.metadata()).append('\t');
            field(ev, e.payload()).append('\n');
            if (bothTables) {
              ids.append(Corpus.TENANT).append('\t').append(id).append('\t').append(pos).append('\t')
                  .append(recordedAt).append('\n');
            }
          }
          copy.copyIn("COPY events (" + EVENT_COLUMNS + ") FROM STDIN",
              new ByteArrayInputStream(ev.toString().getBytes(StandardCharsets.UTF_8)));
          if (bothTables) {
            copy.copyIn("COPY event_ids (tenant_id, id, position, recorded_at) FROM STDIN",
                new ByteArrayInputStream(ids.toString().getBytes(StandardCharsets.UTF_8)));
          }
          c.commit();
          stored += chunk;
        }
      }
      return new long[] {stored, 0};
    });
  }

  /** COPY text format: \N for null; backslash, tab, newline and carriage return escaped. */
  private static StringBuilder field(StringBuilder out, String v) {
    if (v == null) {
      return out.append("\\N");
    }
    for (int i = 0; i < v.length(); i++) {
      char ch = v.charAt(i);
      switch (ch) {
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(ch);
      }
    }
    return out;
  }

  /**
   * (b) The naive store: one INSERT per event, autocommit (one transaction per event), {@code connections}
   * JDBC connections in parallel. With {@code bothTables} the single statement also writes event_ids (a
   * data-modifying CTE), like a naive store that keeps idempotency.
   */
  Result naive(String database, boolean bothTables, int connections, double seconds) throws Exception {
    String eventsOnly = "INSERT INTO events (" + EVENT_COLUMNS + ") VALUES (?, nextval('event_position_seq'), ?, ?, ?, ?, ?,"
        + " ?, ?::timestamptz, now(), ?, ?, ?, ?::jsonb, ?::jsonb)";
    String both = "WITH f AS (INSERT INTO event_ids (tenant_id, id, position, recorded_at)"
        + " VALUES (?, ?, nextval('event_position_seq'), now()) ON CONFLICT DO NOTHING RETURNING position, recorded_at)"
        + " INSERT INTO events (" + EVENT_COLUMNS + ") SELECT ?, f.position, ?, ?, ?, ?, ?, ?, ?::timestamptz,"
        + " f.recorded_at, ?, ?, ?, ?::jsonb, ?::jsonb FROM f";
    return parallel(connections, seconds, deadline -> {
      long stored = 0;
      long errors = 0;
      try (Connection c = db.connect(database);
           PreparedStatement ps = c.prepareStatement(bothTables ? both : eventsOnly)) {
        c.setAutoCommit(true);
        while (System.nanoTime() < deadline) {
          Corpus.Event e = corpus.get(cursor.getAndIncrement());
          UUID id = Ids.v7();
          int p = 1;
          if (bothTables) {
            ps.setString(p++, Corpus.TENANT);
            ps.setObject(p++, id);
          }
          ps.setString(p++, Corpus.TENANT);
          ps.setObject(p++, id);
          ps.setString(p++, e.type());
          ps.setString(p++, e.projectId());
          ps.setString(p++, e.source());
          ps.setString(p++, e.subject());
          ps.setString(p++, e.userId());
          ps.setString(p++, e.occurredAt());
          ps.setInt(p++, e.schemaVersion());
          ps.setString(p++, e.correlationId());
          ps.setString(p++, e.causationId());
          ps.setString(p++, e.metadata());
          ps.setString(p, e.payload());
          try {
            stored += ps.executeUpdate();
          } catch (java.sql.SQLException ex) {
            errors++;
          }
        }
      }
      return new long[] {stored, errors};
    });
  }

  /**
   * The writer's own statement without HTTP and without Vert.x: {@code connections} JDBC connections, each
   * running BEGIN; pg_advisory_xact_lock; APPEND with {@code batch} events; COMMIT — the flush the server does.
   */
  Result unnest(String database, WriterSql sql, int connections, int batch, double seconds) throws Exception {
    return parallel(connections, seconds, deadline -> {
      long stored = 0;
      try (Connection c = db.connect(database)) {
        if (sql.role() != null) {
          try (Statement st = c.createStatement()) {
            st.execute("SET ROLE " + sql.role());
          }
        }
        c.setAutoCommit(false);
        PreparedStatement lock = c.prepareStatement(sql.begin());
        PreparedStatement ps = c.prepareStatement(sql.append());
        while (System.nanoTime() < deadline) {
          String[] tenant = new String[batch];
          UUID[] id = new UUID[batch];
          String[] type = new String[batch];
          String[] project = new String[batch];
          String[] source = new String[batch];
          String[] subject = new String[batch];
          String[] user = new String[batch];
          String[] occurred = new String[batch];
          Integer[] version = new Integer[batch];
          String[] correlation = new String[batch];
          String[] causation = new String[batch];
          String[] metadata = new String[batch];
          String[] payload = new String[batch];
          for (int k = 0; k < batch; k++) {
            Corpus.Event e = corpus.get(cursor.getAndIncrement());
            tenant[k] = Corpus.TENANT;
            id[k] = Ids.v7();
            type[k] = e.type();
            project[k] = e.projectId();
            source[k] = e.source();
            subject[k] = e.subject();
            user[k] = e.userId();
            occurred[k] = e.occurredAt();
            version[k] = e.schemaVersion();
            correlation[k] = e.correlationId();
            causation[k] = e.causationId();
            metadata[k] = e.metadata();
            payload[k] = e.payload();
          }
          if (sql.beginTakesTenant()) {
            // Every parameter of the begin statement is the flush's tenant list ($1, used more than once).
            for (int i = 1; i <= lock.getParameterMetaData().getParameterCount(); i++) {
              lock.setString(i, Corpus.TENANT);
            }
          }
          lock.execute();
          int p = 1;
          ps.setArray(p++, c.createArrayOf("text", tenant));
          ps.setArray(p++, c.createArrayOf("uuid", id));
          ps.setArray(p++, c.createArrayOf("text", type));
          ps.setArray(p++, c.createArrayOf("text", project));
          ps.setArray(p++, c.createArrayOf("text", source));
          ps.setArray(p++, c.createArrayOf("text", subject));
          ps.setArray(p++, c.createArrayOf("text", user));
          ps.setArray(p++, c.createArrayOf("text", occurred));
          ps.setArray(p++, c.createArrayOf("int4", version));
          ps.setArray(p++, c.createArrayOf("text", correlation));
          ps.setArray(p++, c.createArrayOf("text", causation));
          ps.setArray(p++, c.createArrayOf("text", metadata));
          ps.setArray(p, c.createArrayOf("text", payload));
          try (ResultSet r = ps.executeQuery()) {
            while (r.next()) {
              stored++;
            }
          }
          c.commit();
        }
      }
      return new long[] {stored, 0};
    });
  }

  static String nowPg() {
    return PG_TS.format(Instant.now().atOffset(ZoneOffset.UTC));
  }

}
