package io.eventvault.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;

/**
 * Issue 7's benchmark in one run: (a) COPY ceilings, (b) the naive baseline, the writer's SQL alone, then
 * the server: (c) batch ingest, (d) single-event requests, (e) open-loop acknowledgement latency, with (f)
 * the CPU split and WAL bytes of every arm and (g) the server's RSS; {@code --soak} adds a 10-minute steady
 * run. Writes target/bench/summary.json and prints a table. Started by bench/run.sh.
 */
public final class Bench {

  static final class Options {
    Path root = Path.of(".").toAbsolutePath().normalize();
    String pg = "postgresql://postgres@127.0.0.1:5432";
    boolean quick;
    boolean soak;
    boolean jfr;
    boolean keepDb;
    boolean analyze = true;
    Path writerSqlVariant;
    double soakSeconds = 600;
    int soakRate = 5000;
    int[] rates = {1000, 5000, 10000};
    Set<String> arms = new LinkedHashSet<>(List.of("copy", "naive", "unnest", "batch", "single", "open"));
    List<String> serverJavaOpts = new ArrayList<>();
    Double armSeconds;
    int openConnections = 256;

    double dbSeconds() {
      return armSeconds != null ? armSeconds : quick ? 4 : 15;
    }

    double httpSeconds() {
      return armSeconds != null ? armSeconds : quick ? 6 : 30;
    }

    double warmupSeconds() {
      return quick ? 6 : 30;
    }
  }

  private final Options o;
  private final Db db;
  private final Path out;
  private final List<String> databases = new ArrayList<>();
  private final JsonObject summary = new JsonObject();
  private final JsonArray armsJson = new JsonArray();
  private final String run;
  private Corpus corpus;
  private Proc proc;
  private long postmaster;
  private String srvDatabase;
  private ServerProcess server;

  private Bench(Options o) {
    this.o = o;
    this.db = new Db(o.pg);
    this.out = o.root.resolve("target/bench");
    this.run = "evbench_" + DateTimeFormatter.ofPattern("MMddHHmmss").withZone(ZoneOffset.UTC).format(Instant.now())
        + "_" + ProcessHandle.current().pid();
  }

  public static void main(String[] args) throws Exception {
    Options o = parse(args);
    Bench b = new Bench(o);
    Runtime.getRuntime().addShutdownHook(new Thread(b::cleanUp));
    int code = 0;
    try {
      b.run();
    } catch (Throwable e) { // an Error too: exit (the shutdown hook stops the server and drops the databases)
      e.printStackTrace();
      code = 1;
    }
    System.exit(code);
  }

  private static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--quick" -> o.quick = true;
        case "--soak" -> o.soak = true;
        case "--jfr" -> o.jfr = true;
        case "--keep-db" -> o.keepDb = true;
        case "--no-analyze" -> o.analyze = false;
        case "--writer-sql-variant" -> o.writerSqlVariant = Path.of(args[++i]).toAbsolutePath();
        case "--root" -> o.root = Path.of(args[++i]).toAbsolutePath().normalize();
        case "--pg" -> o.pg = args[++i];
        case "--soak-seconds" -> o.soakSeconds = Double.parseDouble(args[++i]);
        case "--soak-rate" -> o.soakRate = Integer.parseInt(args[++i]);
        case "--rates" -> o.rates = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--arms" -> o.arms = new LinkedHashSet<>(Arrays.asList(args[++i].split(",")));
        case "--arm-seconds" -> o.armSeconds = Double.parseDouble(args[++i]);
        case "--open-connections" -> o.openConnections = Integer.parseInt(args[++i]);
        case "--server-java-opt" -> o.serverJavaOpts.add(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + a + "\n" + usage());
      }
    }
    if (o.soak) {
      o.arms.add("soak");
    }
    return o;
  }

  static String usage() {
    return """
        bench/run.sh [--quick] [--soak] [--jfr] [--keep-db] [--arms copy,naive,unnest,batch,single,open,soak]
                     [--rates 1000,5000,10000] [--arm-seconds N] [--soak-seconds 600] [--soak-rate 5000]
                     [--server-java-opt -Xmx512m ...] [--no-analyze] [--writer-sql-variant FILE] [--pg postgresql://postgres@127.0.0.1:5432]""";
  }

  private boolean arm(String name) {
    return o.arms.contains(name);
  }

  private void run() throws Exception {
    Files.createDirectories(out);
    Path jar = o.root.resolve("target/eventvault.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run mvn -q -DskipTests package in " + o.root);
    }
    db.one("postgres", "SELECT 1");
    // Run a private copy: a rebuild of target/eventvault.jar during the run (mvn package by someone else) must
    // not pull classes from under the running server, and its command line names no "eventvault.jar".
    Path copy = out.resolve("server-under-test.jar");
    Files.copy(jar, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    summary.put("server_jar_sha256", sha256(copy));
    summary.put("server_jar_built", Files.getLastModifiedTime(jar).toString());
    summary.put("git_head", git("rev-parse", "HEAD"));
    summary.put("git_uncommitted_files", git("status", "--porcelain").lines().count());
    jar = copy;
    long started = System.nanoTime();
    summary.put("date", Instant.now().toString());
    summary.put("mode", o.quick ? "quick" : "full");
    summary.put("command", String.join(" ", ProcessHandle.current().info().arguments().map(Arrays::asList)
        .orElse(List.of())));
    summary.put("machine", machine());
    summary.put("load_at_start", Proc.loadavg());
    System.out.printf("eventvault bench (%s) — %s, %s%n", o.quick ? "quick" : "full", run, Proc.loadavg());

    corpus = new Corpus(o.quick ? 20_000 : 100_000, 42L);
    JsonObject corpusJson = new JsonObject()
        .put("seed", 42).put("distinct_events", corpus.events.length)
        .put("mean_payload_bytes", corpus.payloadBytes / corpus.events.length)
        .put("mean_event_json_bytes", corpus.jsonBytes / corpus.events.length)
        .put("tenants", 1).put("projects", Corpus.PROJECTS.length).put("types", Corpus.TYPES.length)
        .put("users", 20_000).put("ids", "UUIDv7 made by the client at send time");
    summary.put("corpus", corpusJson);
    System.out.printf("corpus: %d distinct events, payload %d B, event JSON %d B on average%n",
        corpus.events.length, corpus.payloadBytes / corpus.events.length, corpus.jsonBytes / corpus.events.length);

    postmaster = Proc.findPostmaster(db.port);
    proc = new Proc(-1, postmaster);
    summary.put("postmaster_pid_found", postmaster > 0);

    // A template database migrated by the server itself: every arm starts from the same empty schema.
    String template = run + "_tpl";
    createDb(template, null);
    String adminToken = "bench-admin-" + UUID.randomUUID();
    step("migrating a template database by starting the server once");
    ServerProcess migrator = ServerProcess.start(o.root, jar, db.serverUrl(template), adminToken,
        serverOpts(false), out.resolve("server-migrate.log"));
    int migrateExit = migrator.stop(60);
    summary.put("server_exit_code_after_migration", migrateExit);
    if (migrateExit != 0) {
      System.out.println("  note: the server exited with " + migrateExit + " on SIGTERM (contract: 0)");
    }

    try {
      arms(jar, template, adminToken);
    } catch (Exception e) {
      summary.put("error", String.valueOf(e.getMessage()));
      throw e;
    } finally {
      summary.put("arms", armsJson);
      headline();
      summary.put("total_seconds", Math.round((System.nanoTime() - started) / 1e9));
      Files.writeString(out.resolve("summary.json"), summary.encodePrettily());
      printTable();
      System.out.println("\nwrote " + out.resolve("summary.json"));
    }
  }

  private void arms(Path jar, String template, String adminToken) throws Exception {
    DbArms dbArms = new DbArms(db, corpus);
    double dbs = o.dbSeconds();
    if (arm("copy")) {
      int chunk = 5000;
      for (boolean both : new boolean[] {false, true}) {
        for (int streams : new int[] {1, 2}) {
          String name = "copy_" + (both ? "both" : "events") + "_" + streams + "conn";
          String database = run + "_copy";
          createDb(database, template);
          measure(name, "(a) COPY into " + (both ? "events + event_ids" : "events only") + ", " + streams
              + " connection(s), " + chunk + " rows per COPY/transaction", () -> {
                DbArms.Result r = dbArms.copy(database, both, streams, dbs, chunk);
                return dbJson(r);
              });
          dropDb(database);
        }
      }
    }
    if (arm("naive")) {
      for (boolean both : o.quick ? new boolean[] {false} : new boolean[] {false, true}) {
        String name = both ? "naive_both" : "naive";
        String database = run + "_naive";
        createDb(database, template);
        measure(name, "(b) one INSERT per event per transaction" + (both ? " (events + event_ids in one statement)"
            : " (events only)") + ", 16 JDBC connections", () -> dbJson(dbArms.naive(database, both, 16, dbs)));
        dropDb(database);
      }
    }
    if (arm("unnest")) {
      DbArms.WriterSql sql = DbArms.writerSql(jar, db, run + "_tpl");
      summary.put("writer_sql_source", sql.source() + (sql.role() == null ? "" : ", as role " + sql.role()));
      writerArm(dbArms, "writer_sql_jdbc", sql, template, dbs);
      if (o.writerSqlVariant != null) {
        String variant = Files.readString(o.writerSqlVariant).replaceAll("\\$\\d+", "?");
        writerArm(dbArms, "writer_sql_jdbc_variant", new DbArms.WriterSql(sql.begin(), sql.beginTakesTenant(),
            variant, sql.role(), o.writerSqlVariant.toString()), template, dbs);
      }
    }

    Set<String> httpArms = new LinkedHashSet<>(o.arms);
    httpArms.retainAll(Set.of("batch", "single", "open", "soak"));
    if (!httpArms.isEmpty()) {
      serverArms(jar, template, adminToken);
    }
  }

  /** The writer's flush over JDBC: 2 s unmeasured (JIT, first rows), ANALYZE as autovacuum would, then measured. */
  private void writerArm(DbArms dbArms, String name, DbArms.WriterSql sql, String template, double seconds)
      throws Exception {
    String database = run + "_unnest";
    createDb(database, template);
    dbArms.unnest(database, sql, 2, 1000, 2);
    boolean analyze = o.analyze && "off".equals(db.one("postgres", "SHOW autovacuum"));
    if (analyze) {
      db.exec(database, "ANALYZE");
    }
    measure(name, "the writer's own flush (" + sql.source() + (sql.role() == null ? "" : ", role " + sql.role())
        + ": lock statement + INSERT…unnest, 1000 events) over JDBC, 2 connections, no HTTP"
        + (analyze ? ", after 2 s and ANALYZE" : ""), () -> dbJson(dbArms.unnest(database, sql, 2, 1000, seconds)));
    dropDb(database);
  }

  private void serverArms(Path jar, String template, String adminToken) throws Exception {
    String database = run + "_srv";
    createDb(database, template);
    srvDatabase = database;
    step("starting the server");
    List<String> opts = serverOpts(o.jfr);
    server = ServerProcess.start(o.root, jar, db.serverUrl(database), adminToken, opts, out.resolve("server.log"));
    summary.put("server_command", String.join(" ", server.command));
    proc = proc.withServer(server.pid());
    String key = server.setUpTenant(adminToken, Corpus.TENANT);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    HttpLoad load = new HttpLoad(vertx, corpus, server.port, key);
    long acked = 0;
    double hs = o.httpSeconds();
    double rssStart = Proc.rssMiB(server.pid());
    summary.put("server_rss_mib_after_start", round(rssStart));

    step("warm-up (not reported): batches of 100 ×16 clients, then single events ×64 clients, "
        + o.warmupSeconds() + " s");
    HttpLoad.Result w1 = load.closed("warmup_batch", 16, 100, o.warmupSeconds() / 2);
    HttpLoad.Result w2 = load.closed("warmup_single", 64, 1, o.warmupSeconds() / 2);
    acked += w1.okEvents + w2.okEvents;
    System.out.printf("  warm-up: %.0f ev/s batched, %.0f req/s single, errors %d%n", w1.eventsPerSecond(),
        w2.requestsPerSecond(), w1.errors + w2.errors);
    // Statistics as a production database would have them: with autovacuum off (as on the cluster this was
    // written on), nothing ever ANALYZEs the new tables and the planner works from defaults.
    String autovacuum = db.one("postgres", "SHOW autovacuum");
    boolean analyze = o.analyze && "off".equals(autovacuum);
    if (analyze) {
      db.exec(database, "ANALYZE");
    }
    summary.put("analyzed_after_warmup", analyze);
    summary.put("autovacuum", autovacuum);

    if (arm("batch")) {
      for (int size : new int[] {100, 1000}) {
        HttpLoad.Result[] holder = new HttpLoad.Result[1];
        measure("http_batch_" + size, "(c) POST /v1/events, " + size + " events per request, 16 clients (closed loop)",
            () -> {
              holder[0] = load.closed("http_batch_" + size, 16, size, hs);
              return httpJson(holder[0]);
            });
        acked += holder[0].okEvents;
      }
    }
    if (arm("single")) {
      HttpLoad.Result[] holder = new HttpLoad.Result[1];
      measure("http_single", "(d) POST /v1/events, one event per request, 64 clients (closed loop)", () -> {
        holder[0] = load.closed("http_single", 64, 1, hs);
        return httpJson(holder[0]);
      });
      acked += holder[0].okEvents;
    }
    if (arm("open")) {
      List<int[]> shapes = new ArrayList<>();
      for (int rate : o.rates) {
        shapes.add(new int[] {rate, 1});
      }
      if (!o.quick) {
        for (int rate : o.rates) {
          shapes.add(new int[] {rate, 10});
        }
      }
      for (int[] shape : shapes) {
        int rate = shape[0];
        int per = shape[1];
        String name = "open_" + rate + (per == 1 ? "" : "_batch" + per);
        HttpLoad.Result[] holder = new HttpLoad.Result[1];
        measure(name, "(e) open loop at " + rate + " events/s, " + (per == 1 ? "one event per request"
            : per + " events per request") + ", latency from the intended send time", () -> {
              holder[0] = load.open(name, rate, per, hs, o.openConnections, 0, null);
              return httpJson(holder[0]).put("target_events_per_s", rate);
            });
        acked += holder[0].okEvents;
      }
    }
    if (arm("soak")) {
      acked += soak(load);
    }

    double rssEnd = Proc.rssMiB(server.pid());
    summary.put("server_rss_mib", round(rssEnd));
    summary.put("server_metrics_excerpt", metricsExcerpt(server.metrics()));

    // Integrity: every acknowledged event must be stored (the ack means committed).
    long stored = Long.parseLong(db.one(database, "SELECT count(*) FROM events"));
    long ids = Long.parseLong(db.one(database, "SELECT count(*) FROM event_ids"));
    long inDefault = Long.parseLong(db.one(database, "SELECT count(*) FROM event_partitions.events_default"));
    summary.put("integrity", new JsonObject().put("acknowledged_events", acked).put("rows_in_events", stored)
        .put("rows_in_event_ids", ids).put("rows_in_default_partition", inDefault)
        .put("ok", stored >= acked && stored == ids));
    System.out.printf("integrity: %d events acknowledged, %d rows in events, %d in event_ids%n", acked, stored, ids);

    vertx.close().toCompletionStage().toCompletableFuture().get();
    step("stopping the server (SIGTERM)");
    int exit = server.stop(60);
    summary.put("server_exit_code", exit);
    server = null;
    if (o.jfr) {
      Path jfr = out.resolve("server.jfr");
      if (Files.exists(jfr)) {
        String hot = JfrSummary.summarize(jfr, 30);
        Files.writeString(out.resolve("jfr-hot-methods.txt"), hot);
        System.out.println(hot);
      }
    }
  }

  private long soak(HttpLoad load) throws Exception {
    JsonArray samples = new JsonArray();
    long pid = server.pid();
    step("soak: " + o.soakSeconds + " s open loop at " + o.soakRate + " events/s (single events), RSS every 10 s");
    HttpLoad.Result[] holder = new HttpLoad.Result[1];
    measure("soak", "(g) soak: open loop at " + o.soakRate + " events/s, one event per request, "
        + o.soakSeconds + " s, RSS sampled every 10 s", () -> {
          holder[0] = load.open("soak", o.soakRate, 1, o.soakSeconds, o.openConnections, 10_000, iv -> {
            double rss = Proc.rssMiB(pid);
            samples.add(new JsonObject().put("t_s", round(iv.atSeconds())).put("rss_mib", round(rss))
                .put("events", iv.okEvents()).put("errors", iv.errors())
                .put("p99_ms", ms(iv.latency().getValueAtPercentile(99))));
            System.out.printf("  t=%4.0fs rss=%6.1f MiB  %6d ev  p99 %.1f ms  errors %d%n", iv.atSeconds(), rss,
                iv.okEvents(), ms(iv.latency().getValueAtPercentile(99)), iv.errors());
          });
          return httpJson(holder[0]);
        });
    double max = 0;
    double first = -1;
    double last = 0;
    for (int i = 0; i < samples.size(); i++) {
      double r = samples.getJsonObject(i).getDouble("rss_mib");
      max = Math.max(max, r);
      if (i == Math.min(2, samples.size() - 1)) {
        first = r;
      }
      last = r;
    }
    summary.put("soak", new JsonObject().put("seconds", o.soakSeconds).put("events_per_s", o.soakRate)
        .put("samples", samples).put("rss_max_mib", round(max)).put("rss_after_30s_mib", round(first))
        .put("rss_end_mib", round(last)));
    return holder[0].okEvents;
  }

  private List<String> serverOpts(boolean jfr) {
    List<String> opts = new ArrayList<>(o.serverJavaOpts);
    opts.add("-Xlog:gc:file=" + out.resolve(jfr ? "server-gc-jfr.log" : "server-gc.log"));
    if (jfr) {
      opts.add("-XX:StartFlightRecording=filename=" + out.resolve("server.jfr") + ",settings=profile,dumponexit=true");
    }
    return opts;
  }

  // ---- measuring -----------------------------------------------------------------------------------------

  private void measure(String name, String what, Callable<JsonObject> body) throws Exception {
    step(name + ": " + what);
    try {
      db.exec("postgres", "CHECKPOINT"); // every arm starts right after a checkpoint: same full-page-write state
    } catch (Exception e) {
      // not a superuser: go on without
    }
    double[] m0 = server == null ? null : writerMetrics(server.metrics());
    String storedBefore = srvDatabase == null ? null
        : db.one(srvDatabase, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM event_position_seq");
    long wal0 = db.walBytes();
    PgSampler pgs = new PgSampler(postmaster, run);
    Proc.Snapshot s0 = proc.snapshot();
    JsonObject r;
    long[] pgTicks;
    try {
      r = body.call();
    } finally {
      pgTicks = pgs.ticks();
      pgs.close();
    }
    Proc.Snapshot s1 = proc.snapshot();
    long wal1 = db.walBytes();
    double[] m1 = server == null || !server.process.isAlive() ? null : writerMetrics(server.metrics());
    if (m0 != null && m1 != null && m1[1] > m0[1]) {
      double flushes = m1[1] - m0[1];
      r.put("writer", new JsonObject().put("flushes", (long) flushes)
          .put("mean_events_per_flush", round((m1[0] - m0[0]) / flushes))
          .put("mean_flush_ms", round2((m1[2] - m0[2]) * 1000 / Math.max(1, m1[3] - m0[3]))));
    }
    Proc.Split cpu = Proc.split(s0, s1);
    long events = r.getLong("events", 0L);
    r.put("name", name).put("what", what);
    if (storedBefore != null) {
      r.put("events_in_store_before", Long.parseLong(storedBefore));
    }
    double win = cpu.seconds();
    double pgOurs = (pgTicks[0] + pgTicks[1]) / Proc.TICKS_PER_S / win;
    double pgOthers = pgTicks[2] / Proc.TICKS_PER_S / win;
    double other = Math.max(0, cpu.machineBusyCores() - cpu.serverCores() - pgOurs - cpu.generatorCores());
    r.put("cpu_cores", new JsonObject().put("server_jvm", round2(cpu.serverCores())).put("postgres", round2(pgOurs))
        .put("postgres_our_backends", round2(pgTicks[0] / Proc.TICKS_PER_S / win))
        .put("postgres_background", round2(pgTicks[1] / Proc.TICKS_PER_S / win))
        .put("postgres_other_backends", round2(pgOthers))
        .put("postgres_all_processes", round2(cpu.pgCores()))
        .put("load_generator", round2(cpu.generatorCores())).put("other", round2(other))
        .put("machine_busy", round2(cpu.machineBusyCores())).put("window_s", round(win)));
    if (events > 0) {
      r.put("cpu_us_per_event", new JsonObject()
          .put("server_jvm", round(cpu.serverCores() * cpu.seconds() * 1e6 / events))
          .put("postgres", round(pgOurs * cpu.seconds() * 1e6 / events))
          .put("load_generator", round(cpu.generatorCores() * cpu.seconds() * 1e6 / events)));
      r.put("wal_bytes", wal1 - wal0).put("wal_bytes_per_event", Math.round((double) (wal1 - wal0) / events));
    }
    if (server != null) {
      r.put("server_rss_mib_after", round(Proc.rssMiB(server.pid())));
    }
    armsJson.add(r);
    System.out.printf("  -> %s%n", oneLine(r));
    if (server != null && !server.process.isAlive()) {
      r.put("server_died", true);
      summary.put("server_died_during", name);
      summary.put("server_log_tail", ServerProcess.tail(server.log));
      throw new IllegalStateException("the server process ended during " + name + " (exit "
          + server.process.exitValue() + "); log tail:\n" + ServerProcess.tail(server.log));
    }
    Thread.sleep(o.quick ? 500 : 2000);
  }

  private String git(String... args) {
    try {
      List<String> cmd = new ArrayList<>(List.of("git", "-C", o.root.toString()));
      cmd.addAll(List.of(args));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String outText = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return outText;
    } catch (Exception e) {
      return "";
    }
  }

  private static String sha256(Path file) throws Exception {
    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
    return java.util.HexFormat.of().formatHex(md.digest(Files.readAllBytes(file)));
  }

  private static JsonObject dbJson(DbArms.Result r) {
    return new JsonObject().put("events", r.events()).put("seconds", round(r.seconds()))
        .put("events_per_s", Math.round(r.perSecond())).put("errors", r.errors());
  }

  private static JsonObject httpJson(HttpLoad.Result r) {
    JsonObject statuses = new JsonObject();
    r.statuses.forEach((k, v) -> statuses.put(k < 0 ? "io_error" : String.valueOf(k), v));
    JsonObject j = new JsonObject()
        .put("events", r.okEvents).put("requests", r.okRequests).put("seconds", round(r.seconds))
        .put("events_per_s", Math.round(r.eventsPerSecond())).put("requests_per_s", Math.round(r.requestsPerSecond()))
        .put("events_per_request", r.eventsPerRequest).put("errors", r.errors).put("statuses", statuses)
        .put("scheduled_requests", r.scheduled)
        .put("dropped_requests", r.dropped)
        .put("latency_ms", percentiles(r.latency))
        .put("service_time_ms", percentiles(r.service));
    if (r.maxSendLagMs > 0) {
      j.put("max_generator_send_lag_ms", round(r.maxSendLagMs));
    }
    if (r.firstError != null) {
      j.put("first_error", r.firstError);
    }
    return j;
  }

  private static JsonObject percentiles(Histogram h) {
    return new JsonObject().put("p50", ms(h.getValueAtPercentile(50))).put("p90", ms(h.getValueAtPercentile(90)))
        .put("p99", ms(h.getValueAtPercentile(99))).put("p99_9", ms(h.getValueAtPercentile(99.9)))
        .put("max", ms(h.getMaxValue())).put("count", h.getTotalCount());
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }

  // ---- summary ---------------------------------------------------------------------------------------------

  private JsonObject armJson(String name) {
    for (int i = 0; i < armsJson.size(); i++) {
      if (armsJson.getJsonObject(i).getString("name").equals(name)) {
        return armsJson.getJsonObject(i);
      }
    }
    return null;
  }

  private Long rate(String name, String field) {
    JsonObject a = armJson(name);
    return a == null ? null : a.getLong(field);
  }

  private boolean clean(String name) {
    JsonObject a = armJson(name);
    return a != null && a.getLong("errors", 0L) == 0 && a.getLong("dropped_requests", 0L) == 0
        && a.getValue("server_died") == null;
  }

  private static Long max(Long a, Long b) {
    return a == null ? b : b == null ? a : Long.valueOf(Math.max(a, b));
  }

  private void headline() {
    Long copyEvents = max(rate("copy_events_1conn", "events_per_s"), rate("copy_events_2conn", "events_per_s"));
    Long copyBoth = max(rate("copy_both_1conn", "events_per_s"), rate("copy_both_2conn", "events_per_s"));
    Long b100 = rate("http_batch_100", "events_per_s");
    Long b1000 = rate("http_batch_1000", "events_per_s");
    Long batch = max(b100, b1000);
    summary.put("copy_events_per_s", copyBoth);
    summary.put("copy_events_per_s_note", "best of 1 and 2 connections, COPY into events AND event_ids in one"
        + " transaction (what the server writes per event); this is the ceiling the ratios use");
    summary.put("copy_events_only_per_s", copyEvents);
    summary.put("naive_events_per_s", rate("naive", "events_per_s"));
    summary.put("naive_both_events_per_s", rate("naive_both", "events_per_s"));
    summary.put("writer_sql_jdbc_events_per_s", rate("writer_sql_jdbc", "events_per_s"));
    summary.put("batch100_events_per_s", b100);
    summary.put("batch1000_events_per_s", b1000);
    summary.put("batch_events_per_s", batch);
    if (batch != null && copyBoth != null && copyBoth > 0) {
      summary.put("batch_to_copy_ratio", round3((double) batch / copyBoth));
    }
    if (batch != null && copyEvents != null && copyEvents > 0) {
      summary.put("batch_to_copy_events_only_ratio", round3((double) batch / copyEvents));
    }
    summary.put("single_requests_per_s", rate("http_single", "requests_per_s"));
    for (int r : o.rates) {
      JsonObject a = armJson("open_" + r);
      if (a != null) {
        JsonObject l = a.getJsonObject("latency_ms");
        summary.put("ack_p50_ms_at_" + r, l.getDouble("p50"));
        summary.put("ack_p99_ms_at_" + r, l.getDouble("p99"));
        summary.put("ack_p99_9_ms_at_" + r, l.getDouble("p99_9"));
        summary.put("achieved_events_per_s_at_" + r, a.getLong("events_per_s"));
      }
      JsonObject b = armJson("open_" + r + "_batch10");
      if (b != null) {
        summary.put("ack_p99_ms_at_" + r + "_batch10", b.getJsonObject("latency_ms").getDouble("p99"));
      }
    }
    JsonObject goals = new JsonObject();
    if (summary.getValue("batch_to_copy_ratio") != null) {
      goals.put("batch_ge_0.75_copy", summary.getDouble("batch_to_copy_ratio") >= 0.75);
    }
    if (summary.getValue("single_requests_per_s") != null) {
      goals.put("single_ge_8000_rps", summary.getLong("single_requests_per_s") >= 8000 && clean("http_single"));
    }
    JsonObject at5k = armJson("open_5000");
    if (at5k != null) {
      // A p99 only counts when the rate was actually delivered and every request was acknowledged.
      goals.put("p99_le_20ms_at_5000", summary.getDouble("ack_p99_ms_at_5000") <= 20.0 && clean("open_5000")
          && at5k.getLong("events_per_s") >= 0.97 * 5000);
    }
    Double rss = summary.getDouble("server_rss_mib");
    if (rss != null) {
      goals.put("rss_le_512mib", rss > 0 && rss <= 512.0);
    }
    JsonObject soak = summary.getJsonObject("soak");
    if (soak != null) {
      goals.put("soak_rss_le_512mib", soak.getDouble("rss_max_mib") <= 512.0);
    }
    summary.put("goals", goals);
    // Which arms shared the machine with outside work (> 0.3 cores used by neither the server, this run's
    // PostgreSQL processes nor the generator): their figures, and goals computed from them, are unreliable.
    JsonArray disturbed = new JsonArray();
    for (int i = 0; i < armsJson.size(); i++) {
      JsonObject a = armsJson.getJsonObject(i);
      if (a.getJsonObject("cpu_cores").getDouble("other") > 0.3) {
        disturbed.add(a.getString("name"));
      }
    }
    summary.put("disturbed_arms", disturbed);
    summary.put("goals_reliable", disturbed.isEmpty());
  }

  private void printTable() {
    PrintStream p = System.out;
    p.println();
    p.println("arm                     events/s    req/s  p50 ms  p99 ms p99.9 ms | cores: server    pg   gen other"
        + " | WAL B/ev  errors  ev/flush");
    p.println("-".repeat(128));
    for (int i = 0; i < armsJson.size(); i++) {
      JsonObject a = armsJson.getJsonObject(i);
      JsonObject l = a.getJsonObject("latency_ms");
      JsonObject c = a.getJsonObject("cpu_cores");
      JsonObject w = a.getJsonObject("writer");
      p.printf(Locale.ROOT, "%-22s %9s %8s %7s %7s %8s |      %6.2f %5.2f %5.2f %5.2f%s| %8s %7s %9s%n",
          a.getString("name"), a.getLong("events_per_s"),
          a.getValue("requests_per_s") == null ? "" : a.getLong("requests_per_s"),
          l == null ? "" : l.getDouble("p50"), l == null ? "" : l.getDouble("p99"), l == null ? "" : l.getDouble("p99_9"),
          c.getDouble("server_jvm"), c.getDouble("postgres"), c.getDouble("load_generator"), c.getDouble("other"),
          c.getDouble("other") > 0.3 ? "!" : " ",
          a.getValue("wal_bytes_per_event") == null ? "" : a.getLong("wal_bytes_per_event"), a.getLong("errors", 0L),
          w == null ? "" : w.getDouble("mean_events_per_flush"));
    }
    p.println("(pg = this run's backends + PostgreSQL background processes; other = everything else on the machine,");
    p.println(" including other databases' backends; ! = other > 0.3 cores: the figure is disturbed by outside work)");
    p.println();
    for (String k : List.of("copy_events_per_s", "copy_events_only_per_s", "naive_events_per_s",
        "naive_both_events_per_s", "writer_sql_jdbc_events_per_s", "batch100_events_per_s", "batch1000_events_per_s",
        "batch_events_per_s", "batch_to_copy_ratio", "batch_to_copy_events_only_ratio", "single_requests_per_s",
        "ack_p99_ms_at_1000", "ack_p99_ms_at_5000", "ack_p99_ms_at_10000", "server_rss_mib")) {
      if (summary.getValue(k) != null) {
        p.printf("%-34s %s%n", k, summary.getValue(k));
      }
    }
    p.println("goals (issue 7): " + summary.getJsonObject("goals").encode());
    if (!summary.getJsonArray("disturbed_arms").isEmpty()) {
      p.println("NOT RELIABLE: outside work used > 0.3 cores during " + summary.getJsonArray("disturbed_arms").encode()
          + " — repeat the run on a quiet machine");
    }
    if (summary.getJsonObject("integrity") != null) {
      p.println("integrity: " + summary.getJsonObject("integrity").encode());
    }
    if (summary.getValue("server_exit_code") != null) {
      p.println("server exit code on SIGTERM: " + summary.getValue("server_exit_code"));
    }
  }

  private static String oneLine(JsonObject a) {
    StringBuilder sb = new StringBuilder();
    sb.append(a.getLong("events_per_s")).append(" ev/s");
    if (a.getValue("requests_per_s") != null) {
      sb.append(", ").append(a.getLong("requests_per_s")).append(" req/s");
    }
    JsonObject l = a.getJsonObject("latency_ms");
    if (l != null) {
      sb.append(", p50 ").append(l.getDouble("p50")).append(" p99 ").append(l.getDouble("p99")).append(" p99.9 ")
          .append(l.getDouble("p99_9")).append(" ms");
    }
    sb.append(", errors ").append(a.getLong("errors", 0L));
    if (a.getLong("dropped_requests", 0L) > 0) {
      sb.append(", dropped (not sent: too many outstanding) ").append(a.getLong("dropped_requests"));
    }
    sb.append(", cpu ").append(a.getJsonObject("cpu_cores").encode());
    if (a.getValue("wal_bytes_per_event") != null) {
      sb.append(", WAL ").append(a.getLong("wal_bytes_per_event")).append(" B/ev");
    }
    if (a.getValue("first_error") != null) {
      sb.append("\n     first error: ").append(a.getString("first_error"));
    }
    return sb.toString();
  }

  private JsonObject machine() throws Exception {
    JsonObject m = new JsonObject();
    m.put("nproc", Runtime.getRuntime().availableProcessors());
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          m.put("mem_total_mib", Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024);
        }
      }
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          m.put("cpu", line.substring(line.indexOf(':') + 1).trim());
          break;
        }
      }
      m.put("kernel", Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
    } catch (Exception e) {
      // not Linux
    }
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    JsonObject pg = new JsonObject();
    db.settings().forEach(pg::put);
    m.put("postgresql", pg);
    return m;
  }

  /** [batch size sum, batch count, flush latency sum (s), flush latency count] from /metrics. */
  private static double[] writerMetrics(String text) {
    double[] m = new double[4];
    for (String line : text.split("\n")) {
      int sp = line.lastIndexOf(' ');
      if (sp < 0 || line.startsWith("#")) {
        continue;
      }
      String k = line.substring(0, sp);
      try {
        double v = Double.parseDouble(line.substring(sp + 1));
        switch (k) {
          case "eventvault_writer_batch_size_sum" -> m[0] = v;
          case "eventvault_writer_batch_size_count" -> m[1] = v;
          case "eventvault_writer_flush_latency_seconds_sum" -> m[2] = v;
          case "eventvault_writer_flush_latency_seconds_count" -> m[3] = v;
          default -> { }
        }
      } catch (NumberFormatException e) {
        // not a sample line
      }
    }
    return m;
  }

  private static JsonObject metricsExcerpt(String text) {
    JsonObject j = new JsonObject();
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      String l = line.toLowerCase(Locale.ROOT);
      if (l.contains("flush") || l.contains("batch") || l.contains("queue") || l.contains("ingest")
          || l.contains("rejected") || l.contains("jvm_memory_used_bytes") || l.contains("jvm_gc_pause_seconds_sum")
          || l.contains("jvm_gc_pause_seconds_count")) {
        int sp = line.lastIndexOf(' ');
        if (sp > 0 && j.size() < 80) {
          j.put(line.substring(0, sp), line.substring(sp + 1));
        }
      }
    }
    return j;
  }

  // ---- housekeeping ----------------------------------------------------------------------------------------

  private void step(String s) {
    System.out.println("== " + s);
  }

  private void createDb(String name, String template) throws Exception {
    db.drop(name);
    db.create(name, template);
    databases.add(name);
  }

  private void dropDb(String name) {
    if (!o.keepDb) {
      db.drop(name);
      databases.remove(name);
    }
  }

  private synchronized void cleanUp() {
    if (server != null) {
      try {
        server.stop(30);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server = null;
    }
    if (!o.keepDb) {
      for (String d : new ArrayList<>(databases)) {
        db.drop(d);
      }
      databases.clear();
    }
  }

  static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  static Map<String, String> env() {
    return System.getenv();
  }
}
