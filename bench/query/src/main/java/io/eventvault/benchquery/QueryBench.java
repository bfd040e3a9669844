package io.eventvault.benchquery;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * The query benchmark of issue 3. Creates (or reuses) a database {@code evq_<events>}, migrates it by starting the
 * server jar once, loads the dataset with COPY ({@link Dataset}), starts the server again, and runs every query
 * class through the HTTP API at each concurrency, without and with concurrent ingest, printing p50/p95/p99 against
 * the goals. Closed loop: each of the c clients sends its next request when the previous one is answered.
 */
public final class QueryBench {

  static final String ADMIN = "evq-bench-admin";
  static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");
  static final Pattern NEXT_CURSOR = Pattern.compile("\"nextCursor\":\"([^\"]+)\"");
  static final Pattern KEY = Pattern.compile("\"key\":\"([^\"]+)\"");

  // options
  long events = 20_000_000L;
  int days = 30;
  int tenants = 50;
  long seed = 42;
  String pg = "postgresql://postgres@127.0.0.1:5432";
  String database;
  Path jar = Path.of("target/eventvault.jar");
  Path out = Path.of("bench/query/target");
  double seconds = 10;
  int maxRequests = 5000;
  List<Integer> concurrency = List.of(1, 16);
  List<String> ingestModes = List.of("off", "on");
  int ingestRate = 1000;
  List<String> classes = null;
  boolean keepDb;
  boolean reload;
  boolean loadOnly;
  List<String> serverJavaOpts = new ArrayList<>();
  List<Path> applySql = new ArrayList<>();
  String indexes = "?";
  Map<String, String> serverEnv = new LinkedHashMap<>();

  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  Process server;
  int port;
  final Map<String, String> keys = new HashMap<>();
  final List<Sample> samples = new ArrayList<>();
  final Map<String, List<String>> deepCursors = new LinkedHashMap<>();

  /** One event picked at random from the table (TABLESAMPLE): the source of every query's parameters. */
  record Sample(String tenant, String id, String project, String type, String user, String subject,
      String correlation, Instant occurred, String customer) {}

  /** A query class: how to build one request from a random sample, and the goal its p99 is held to. */
  record QueryClass(String name, String goal, double goalP99Ms, Function<SplittableRandom, Request> next) {}

  record Request(String tenant, String method, String path, String body) {}

  record Result(String ingest, int concurrency, String name, String goal, double goalMs, long count, double seconds,
      Histogram histogram, long errors, String firstError, String load) {
    double p(double percentile) {
      return histogram.getValueAtPercentile(percentile) / 1000.0;
    }
  }

  public static void main(String[] args) throws Exception {
    QueryBench bench = new QueryBench();
    bench.parse(args);
    bench.run();
  }

  void parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--events" -> events = Long.parseLong(args[++i].replace("_", ""));
        case "--days" -> days = Integer.parseInt(args[++i]);
        case "--tenants" -> tenants = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--pg" -> pg = args[++i];
        case "--db" -> database = args[++i];
        case "--jar" -> jar = Path.of(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--max-requests" -> maxRequests = Integer.parseInt(args[++i]);
        case "--concurrency" -> concurrency = ints(args[++i]);
        case "--ingest" -> ingestModes = List.of(args[++i].split(","));
        case "--ingest-rate" -> ingestRate = Integer.parseInt(args[++i]);
        case "--classes" -> classes = List.of(args[++i].split(","));
        case "--reload" -> reload = true;
        case "--load-only" -> loadOnly = true;
        case "--keep-db" -> keepDb = true;
        case "--server-java-opt" -> serverJavaOpts.add(args[++i]);
        case "--apply-sql" -> applySql.add(Path.of(args[++i]));
        case "--server-env" -> {
          String[] kv = args[++i].split("=", 2);
          serverEnv.put(kv[0], kv[1]);
        }
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
    }
    if (database == null) {
      database = "evq_" + (events % 1_000_000 == 0 ? events / 1_000_000 + "m" : Long.toString(events));
    }
    if (!database.matches("evq_[a-z0-9_]{1,50}")) {
      throw new IllegalArgumentException("--db must match evq_[a-z0-9_]+");
    }
  }

  static List<Integer> ints(String csv) {
    List<Integer> result = new ArrayList<>();
    for (String s : csv.split(",")) {
      result.add(Integer.parseInt(s.trim()));
    }
    return result;
  }

  // --------------------------------------------------------------------------------------------------- the run

  void run() throws Exception {
    Files.createDirectories(out);
    System.out.printf("== machine: %d cores, %s; dataset %,d events, %d days, %d tenants, seed %d; database %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), events, days, tenants, seed,
        database);
    String marker = "evq dataset events=" + events + " days=" + days + " tenants=" + tenants + " seed=" + seed;
    String existing = databaseComment();
    if (existing != null && existing.startsWith(marker) && !reload) {
      System.out.println("== reusing " + database + " (" + existing + ")");
    } else {
      load(marker);
    }
    for (Path file : applySql) {
      System.out.println("== applying " + file);
      try (Connection c = DriverManager.getConnection(jdbc(database), user(), password());
          Statement s = c.createStatement()) {
        s.execute("SET maintenance_work_mem = '512MB'");
        s.execute(Files.readString(file));
      }
    }
    try (Connection c = DriverManager.getConnection(jdbc(database), user(), password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT string_agg(indexrelid::regclass::text, ', ' ORDER BY indexrelid)"
            + " FROM pg_index WHERE indrelid = 'public.events'::regclass")) {
      rs.next();
      indexes = rs.getString(1);
      System.out.println("== indexes of events: " + indexes);
    }
    if (loadOnly) {
      return;
    }
    startServer("run");
    try {
      setUpTenants();
      loadSamples();
      prepareDeepPaging();
      List<Result> results = new ArrayList<>();
      for (String ingest : ingestModes) {
        Ingest writer = ingest.equals("on") ? new Ingest() : null;
        try {
          if (writer != null) {
            writer.start();
            Thread.sleep(3000);
          }
          for (int c : concurrency) {
            for (QueryClass q : queryClasses()) {
              if (classes != null && !classes.contains(q.name())) {
                continue;
              }
              Result r = measure(ingest, c, q);
              results.add(r);
              print(r);
            }
          }
        } finally {
          if (writer != null) {
            writer.stop();
          }
        }
      }
      report(results);
    } finally {
      stopServer();
      if (!keepDb) {
        admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        System.out.println("== dropped " + database);
      }
    }
  }

  String jdbc(String db) {
    URI uri = URI.create(pg);
    return "jdbc:postgresql://" + uri.getHost() + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort()) + "/" + db;
  }

  String user() {
    String info = URI.create(pg).getUserInfo();
    return info == null ? "postgres" : info.split(":", 2)[0];
  }

  String password() {
    String info = URI.create(pg).getUserInfo();
    return info == null || !info.contains(":") ? null : info.split(":", 2)[1];
  }

  String databaseUrl() {
    URI uri = URI.create(pg);
    return "postgresql://" + (uri.getUserInfo() == null ? "postgres" : uri.getUserInfo()) + "@" + uri.getHost() + ":"
        + (uri.getPort() < 0 ? 5432 : uri.getPort()) + "/" + database;
  }

  void admin(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbc("postgres"), user(), password());
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  String databaseComment() throws Exception {
    try (Connection c = DriverManager.getConnection(jdbc("postgres"), user(), password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '"
            + database + "'")) {
      return rs.next() ? (rs.getString(1) == null ? "" : rs.getString(1)) : null;
    }
  }

  void load(String marker) throws Exception {
    admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    admin("CREATE DATABASE " + database);
    System.out.println("== migrating " + database + " with the server's own migrations (starting the jar once)");
    startServer("migrate");
    stopServer();
    // The data ends the day before yesterday: the server creates yesterday's, today's and later partitions itself.
    LocalDate lastDay = LocalDate.now(ZoneOffset.UTC).minusDays(2);
    Dataset dataset = new Dataset(events, days, tenants, seed, lastDay);
    System.out.printf("== loading %,d events with COPY into %d daily partitions %s .. %s%n", events, days,
        dataset.firstDay, lastDay);
    long started = System.nanoTime();
    long last = dataset.load(jdbc(database), user(), password());
    double took = (System.nanoTime() - started) / 1e9;
    System.out.printf("== loaded %,d events in %.0f s (%,.0f events/s including indexes, vacuum, analyze)%n", last,
        took, last / took);
    try (Connection c = DriverManager.getConnection(jdbc(database), user(), password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_size_pretty(pg_database_size(current_database())),"
            + " (SELECT pg_size_pretty(sum(pg_relation_size(i.indexrelid))) FROM pg_index i"
            + "   JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            + "   WHERE n.nspname = 'event_partitions')")) {
      rs.next();
      System.out.printf("== database size %s (partition indexes %s)%n", rs.getString(1), rs.getString(2));
    }
    admin("COMMENT ON DATABASE " + database + " IS '" + marker + " loaded=" + Instant.now() + " seconds="
        + Math.round(took) + "'");
  }

  void startServer(String label) throws Exception {
    Path log = out.resolve("server-" + database + "-" + label + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(serverJavaOpts);
    cmd.add("-jar");
    cmd.add(jar.toAbsolutePath().toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("EVENTVAULT_DATABASE_URL", databaseUrl());
    pb.environment().put("EVENTVAULT_HTTP_PORT", "0");
    pb.environment().put("EVENTVAULT_HTTP_HOST", "127.0.0.1");
    pb.environment().put("EVENTVAULT_ADMIN_TOKEN", ADMIN);
    pb.environment().putAll(serverEnv);
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    server = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        throw new IllegalStateException("the server exited with " + server.exitValue() + "; see " + log);
      }
      Matcher m = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        port = Integer.parseInt(m.group(1));
        System.out.println("   server pid " + server.pid() + " listening on 127.0.0.1:" + port + " (log " + log + ")");
        return;
      }
      Thread.sleep(100);
    }
    server.destroyForcibly();
    throw new IllegalStateException("the server did not log 'listening on port N' within 120 s; see " + log);
  }

  void stopServer() throws Exception {
    if (server == null) {
      return;
    }
    server.destroy();
    if (!server.waitFor(60, TimeUnit.SECONDS)) {
      server.destroyForcibly();
      server.waitFor(10, TimeUnit.SECONDS);
    }
    server = null;
  }

  HttpResponse<String> send(String method, String path, String token, String body) throws IOException,
      InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token);
    if (body != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  void setUpTenants() throws Exception {
    for (int t = 0; t < tenants; t++) {
      String tenant = Dataset.tenantId(t);
      HttpResponse<String> created = send("POST", "/v1/admin/tenants", ADMIN,
          "{\"id\":\"" + tenant + "\",\"name\":\"Tenant " + tenant + "\"}");
      if (created.statusCode() != 201 && created.statusCode() != 409 && created.statusCode() != 200) {
        throw new IllegalStateException("creating tenant " + tenant + ": " + created.statusCode() + " " + created.body());
      }
      HttpResponse<String> key = send("POST", "/v1/admin/tenants/" + tenant + "/keys", ADMIN,
          "{\"scopes\":[\"ingest\",\"query\"]}");
      Matcher m = KEY.matcher(key.body());
      if (key.statusCode() != 201 || !m.find()) {
        throw new IllegalStateException("creating a key for " + tenant + ": " + key.statusCode() + " " + key.body());
      }
      keys.put(tenant, m.group(1));
    }
  }

  void loadSamples() throws Exception {
    double percent = Math.min(100.0, 100.0 * 20_000 / Math.max(1, events));
    try (Connection c = DriverManager.getConnection(jdbc(database), user(), password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(String.format(Locale.ROOT, "SELECT tenant_id, id, project_id, type, user_id,"
            + " subject, correlation_id, occurred_at, payload->>'customerId' FROM events TABLESAMPLE BERNOULLI (%.5f)"
            + " REPEATABLE (%d) WHERE recorded_at < now() - interval '1 day' LIMIT 20000", percent, seed))) {
      while (rs.next()) {
        samples.add(new Sample(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getString(6), rs.getString(7), rs.getTimestamp(8).toInstant(), rs.getString(9)));
      }
    }
    System.out.printf("== %,d sample events drawn for query parameters%n", samples.size());
  }

  /** Cursors for page 1,000 (limit 100, newest first) of every tenant that has that many events. */
  void prepareDeepPaging() throws Exception {
    String query = "{\"order\":\"desc\",\"limit\":%d%s}";
    for (int t = 0; t < tenants && deepCursors.size() < 5; t++) {
      String tenant = Dataset.tenantId(t);
      String cursor = null;
      int skipped = 0;
      boolean complete = true;
      while (skipped < 99_900) {
        int limit = skipped + 1000 <= 99_900 ? 1000 : 100;
        HttpResponse<String> page = send("POST", "/v1/events/query", keys.get(tenant),
            String.format(query, limit, cursor == null ? "" : ",\"cursor\":\"" + cursor + "\""));
        Matcher m = NEXT_CURSOR.matcher(page.body());
        if (page.statusCode() != 200 || !m.find()) {
          complete = false;
          break;
        }
        cursor = m.group(1);
        skipped += limit;
      }
      if (complete) {
        deepCursors.computeIfAbsent(tenant, k -> new ArrayList<>()).add(cursor);
      }
    }
    System.out.println("== page-1000 cursors prepared for tenants " + deepCursors.keySet());
  }

  // ---------------------------------------------------------------------------------------------- query classes

  static String iso(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t);
  }

  Sample sample(SplittableRandom r) {
    return samples.get(r.nextInt(samples.size()));
  }

  List<QueryClass> queryClasses() {
    List<QueryClass> list = new ArrayList<>();
    String indexed = "p99 <= 10 ms";
    String payload = "p99 <= 50 ms";
    list.add(new QueryClass("get_by_id", "p99 <= 5 ms", 5, r -> {
      Sample s = sample(r);
      return new Request(s.tenant(), "GET", "/v1/events/" + s.id(), null);
    }));
    list.add(new QueryClass("project_type_24h", indexed, 10, r -> {
      Sample s = sample(r);
      Instant from = s.occurred().minusSeconds(r.nextInt(86_400));
      return query(s, "\"projectId\":\"" + s.project() + "\",\"types\":[\"" + s.type() + "\"],\"occurredFrom\":\""
          + iso(from) + "\",\"occurredTo\":\"" + iso(from.plusSeconds(86_400)) + "\"");
    }));
    list.add(new QueryClass("user", indexed, 10, r -> {
      Sample s = sampleWith(r, x -> x.user() != null);
      return query(s, "\"userId\":\"" + s.user() + "\"");
    }));
    list.add(new QueryClass("subject", indexed, 10, r -> {
      Sample s = sampleWith(r, x -> x.subject() != null);
      return query(s, "\"subject\":\"" + s.subject() + "\"");
    }));
    list.add(new QueryClass("correlation_id", indexed, 10, r -> {
      Sample s = sampleWith(r, x -> x.correlation() != null);
      return query(s, "\"correlationId\":\"" + s.correlation() + "\"");
    }));
    list.add(new QueryClass("contains_project_24h", payload, 50, r -> {
      Sample s = sample(r);
      Instant from = s.occurred().minusSeconds(r.nextInt(86_400));
      return query(s, "\"projectId\":\"" + s.project() + "\",\"occurredFrom\":\"" + iso(from)
          + "\",\"occurredTo\":\"" + iso(from.plusSeconds(86_400)) + "\",\"payload\":{\"contains\":{\"customerId\":\""
          + s.customer() + "\"}}");
    }));
    list.add(new QueryClass("contains_broad_project_24h", payload, 50, r -> {
      Sample s = sample(r);
      Instant from = s.occurred().minusSeconds(r.nextInt(86_400));
      String[] statuses = Dataset.STATUSES;
      return query(s, "\"projectId\":\"" + s.project() + "\",\"occurredFrom\":\"" + iso(from)
          + "\",\"occurredTo\":\"" + iso(from.plusSeconds(86_400)) + "\",\"payload\":{\"contains\":{\"status\":\""
          + statuses[r.nextInt(statuses.length)] + "\",\"country\":\"" + Dataset.COUNTRIES[r.nextInt(10)] + "\"}}");
    }));
    list.add(new QueryClass("where_range_project_type", payload, 50, r -> {
      Sample s = sample(r);
      int low = 1 + r.nextInt(900);
      return query(s, "\"projectId\":\"" + s.project() + "\",\"types\":[\"" + s.type() + "\"],\"where\":["
          + "{\"path\":\"payload.amount\",\"op\":\"gte\",\"value\":" + low + "},"
          + "{\"path\":\"payload.amount\",\"op\":\"lt\",\"value\":" + (low + 50) + "}]");
    }));
    list.add(new QueryClass("newest_100", indexed, 10, r -> {
      Sample s = sample(r);
      return query(s, "\"order\":\"desc\"");
    }));
    if (!deepCursors.isEmpty()) {
      List<String> deepTenants = new ArrayList<>(deepCursors.keySet());
      list.add(new QueryClass("deep_page_1", "reference", 10, r -> {
        String tenant = deepTenants.get(r.nextInt(deepTenants.size()));
        return new Request(tenant, "POST", "/v1/events/query", "{\"order\":\"desc\",\"limit\":100}");
      }));
      list.add(new QueryClass("deep_page_1000", "page 1 +/- 20 %", 10, r -> {
        String tenant = deepTenants.get(r.nextInt(deepTenants.size()));
        return new Request(tenant, "POST", "/v1/events/query", "{\"order\":\"desc\",\"limit\":100,\"cursor\":\""
            + deepCursors.get(tenant).get(0) + "\"}");
      }));
    }
    return list;
  }

  Sample sampleWith(SplittableRandom r, java.util.function.Predicate<Sample> p) {
    for (int i = 0; i < 100; i++) {
      Sample s = sample(r);
      if (p.test(s)) {
        return s;
      }
    }
    return sample(r);
  }

  static Request query(Sample s, String fields) {
    return new Request(s.tenant(), "POST", "/v1/events/query", "{" + fields + ",\"limit\":100}");
  }

  // ------------------------------------------------------------------------------------------------- measuring

  Result measure(String ingest, int c, QueryClass q) throws Exception {
    // Warm-up: a quarter of the time, at most 200 requests, not recorded.
    runLoop(c, q, Math.max(1, seconds / 4), Math.min(200, maxRequests / 4), null);
    Histogram h = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    AtomicLong errors = new AtomicLong();
    String[] firstError = new String[1];
    long started = System.nanoTime();
    long count = runLoop(c, q, seconds, maxRequests, (micros, error) -> {
      synchronized (h) {
        h.recordValue(Math.min(micros, h.getHighestTrackableValue()));
      }
      if (error != null) {
        errors.incrementAndGet();
        synchronized (firstError) {
          if (firstError[0] == null) {
            firstError[0] = error;
          }
        }
      }
    });
    double took = (System.nanoTime() - started) / 1e9;
    return new Result(ingest, c, q.name(), q.goal(), q.goalP99Ms(), count, took, h, errors.get(), firstError[0],
        loadAverage());
  }

  /** The 1-minute load average after a cell: the box is shared, so a high one marks a noisy cell. */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException e) {
      return "?";
    }
  }

  interface Recorder {
    void record(long micros, String error);
  }

  /** c closed-loop clients until the time or the request budget is spent; returns the requests completed. */
  long runLoop(int c, QueryClass q, double secs, int budget, Recorder recorder) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(c);
    AtomicLong issued = new AtomicLong();
    long deadline = System.nanoTime() + (long) (secs * 1e9);
    try {
      List<Future<?>> clients = new ArrayList<>();
      for (int i = 0; i < c; i++) {
        long clientSeed = seed * 31 + i + ThreadLocalRandom.current().nextLong();
        clients.add(pool.submit(() -> {
          SplittableRandom r = new SplittableRandom(clientSeed);
          while (System.nanoTime() < deadline && issued.incrementAndGet() <= budget) {
            Request req = q.next().apply(r);
            long t0 = System.nanoTime();
            String error = null;
            try {
              HttpResponse<String> response = send(req.method(), req.path(), keys.get(req.tenant()), req.body());
              if (response.statusCode() != 200) {
                error = response.statusCode() + " " + response.body();
              }
            } catch (Exception e) {
              error = e.toString();
            }
            long micros = (System.nanoTime() - t0) / 1000;
            if (recorder != null) {
              recorder.record(micros, error);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : clients) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return Math.min(issued.get(), budget);
  }

  /** Concurrent ingest through the API: batches of 50 events at a fixed rate, tenants weighted by size. */
  final class Ingest {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong written = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    Thread thread;
    long startedAt;

    void start() {
      startedAt = System.nanoTime();
      thread = new Thread(() -> {
        SplittableRandom r = new SplittableRandom(seed);
        int batch = 50;
        long intervalNanos = (long) (1e9 * batch / ingestRate);
        long next = System.nanoTime();
        ExecutorService senders = Executors.newFixedThreadPool(4);
        try {
          while (running.get()) {
            next += intervalNanos;
            StringBuilder body = new StringBuilder("[");
            Sample s = sample(r);
            for (int i = 0; i < batch; i++) {
              if (i > 0) {
                body.append(',');
              }
              body.append("{\"type\":\"").append(Dataset.TYPES[r.nextInt(Dataset.TYPES.length)])
                  .append("\",\"projectId\":\"").append(s.project()).append("\",\"userId\":\"u")
                  .append(r.nextInt(1000)).append("\",\"subject\":\"order/").append(r.nextInt(100_000))
                  .append("\",\"correlationId\":\"live-").append(r.nextInt(10_000))
                  .append("\",\"payload\":{\"orderId\":\"o-").append(r.nextInt(100_000))
                  .append("\",\"customerId\":\"c-").append(r.nextInt(1000)).append("\",\"amount\":")
                  .append(r.nextInt(1000)).append(".5,\"currency\":\"EUR\",\"status\":\"paid\",\"note\":\"")
                  .append(Dataset.NOTE, 0, 300).append("\"}}");
            }
            body.append(']');
            String tenant = s.tenant();
            senders.submit(() -> {
              try {
                HttpResponse<String> resp = send("POST", "/v1/events", keys.get(tenant), body.toString());
                if (resp.statusCode() == 201) {
                  written.addAndGet(batch);
                } else {
                  failed.addAndGet(batch);
                }
              } catch (Exception e) {
                failed.addAndGet(batch);
              }
            });
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
              Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          senders.shutdown();
          try {
            senders.awaitTermination(30, TimeUnit.SECONDS);
          } catch (InterruptedException ignored) {
            Thread.currentThread().interrupt();
          }
        }
      }, "ingest");
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(60_000);
      double took = (System.nanoTime() - startedAt) / 1e9;
      System.out.printf("   concurrent ingest: %,d events written (%,.0f/s, target %,d/s), %,d failed%n",
          written.get(), written.get() / took, ingestRate, failed.get());
    }
  }

  // ---------------------------------------------------------------------------------------------------- output

  static final String HEADER = String.format("%-7s %3s %-27s %7s %8s %8s %8s %8s %8s %5s  %-18s %s", "ingest", "c",
      "class", "n", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "load", "goal", "verdict");

  boolean headerPrinted;

  void print(Result r) {
    if (!headerPrinted) {
      System.out.println(HEADER);
      headerPrinted = true;
    }
    System.out.println(line(r, null));
    if (r.errors() > 0) {
      System.out.println("   " + r.errors() + " errors, first: " + r.firstError());
    }
  }

  String line(Result r, Map<String, Result> byKey) {
    String verdict;
    if (r.errors() > 0) {
      verdict = "ERRORS";
    } else if (r.name().equals("deep_page_1")) {
      verdict = "-";
    } else if (r.name().equals("deep_page_1000") && byKey != null) {
      Result first = byKey.get(r.ingest() + "/" + r.concurrency() + "/deep_page_1");
      if (first == null) {
        verdict = "?";
      } else {
        double ratio50 = r.p(50) / first.p(50);
        double ratio99 = r.p(99) / first.p(99);
        verdict = String.format(Locale.ROOT, "p50 x%.2f, p99 x%.2f: %s", ratio50, ratio99,
            ratio50 <= 1.2 && ratio50 >= 0.8 ? "holds" : "MISSED");
      }
    } else if (r.name().equals("deep_page_1000")) {
      verdict = "(see summary)";
    } else {
      verdict = r.p(99) <= r.goalMs() ? "holds" : "MISSED";
    }
    return String.format(Locale.ROOT, "%-7s %3d %-27s %7d %8.0f %8.2f %8.2f %8.2f %8.2f %5s  %-18s %s", r.ingest(),
        r.concurrency(), r.name(), r.count(), r.count() / r.seconds(), r.p(50), r.p(95), r.p(99),
        r.histogram().getMaxValue() / 1000.0, r.load(), r.goal(), verdict);
  }

  void report(List<Result> results) throws IOException {
    Map<String, Result> byKey = new HashMap<>();
    for (Result r : results) {
      byKey.put(r.ingest() + "/" + r.concurrency() + "/" + r.name(), r);
    }
    StringBuilder text = new StringBuilder();
    text.append(String.format("dataset: %,d events, %d daily partitions, %d tenants (seed %d), database %s%n", events,
        days, tenants, seed, database));
    text.append(String.format("per cell: %.0f s or %d requests after a warm-up; concurrent ingest %,d events/s in"
        + " batches of 50%n", seconds, maxRequests, ingestRate));
    text.append("server: ").append(jar).append("; indexes of events: ").append(indexes).append('\n');
    text.append(HEADER).append('\n');
    for (Result r : results) {
      text.append(line(r, byKey)).append('\n');
    }
    System.out.println();
    System.out.println("== summary");
    System.out.print(text);
    Path file = out.resolve("results-" + database + "-" + Instant.now().toString().replace(':', '-') + ".txt");
    Files.writeString(file, text.toString());
    System.out.println("== written to " + file);
  }
}
