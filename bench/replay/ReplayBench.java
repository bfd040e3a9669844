import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;

/**
 * Issue 4 benchmark: replay throughput (NDJSON, SSE) against COPY (SELECT …) TO STDOUT of the same rows,
 * follow latency while ingesting at fixed rates, and server memory with many followers. Run by
 * bench/replay/run.sh, which starts the server and passes: base URL, admin token, JDBC URL, server pid,
 * events to load, followers, seconds per follow rate.
 */
public class ReplayBench {

  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static String base;
  static String admin;

  public static void main(String[] args) throws Exception {
    base = args[0];
    admin = args[1];
    String jdbc = args[2];
    long serverPid = Long.parseLong(args[3]);
    int events = Integer.parseInt(args[4]);
    int followers = Integer.parseInt(args[5]);
    int followSeconds = Integer.parseInt(args[6]);
    StringBuilder json = new StringBuilder("{");

    post("/v1/admin/tenants", admin, "{\"id\":\"bench\",\"name\":\"bench\"}");
    String key = field(post("/v1/admin/tenants/bench/keys", admin,
        "{\"scopes\":[\"ingest\",\"replay\",\"query\"]}"), "key");

    // 1. Load: batches of 1,000 events of ~0.5 KB payload.
    long loadStart = System.nanoTime();
    for (int i = 0; i < events; i += 1000) {
      StringBuilder batch = new StringBuilder("[");
      for (int j = 0; j < 1000 && i + j < events; j++) {
        if (j > 0) {
          batch.append(',');
        }
        batch.append(event(i + j));
      }
      post("/v1/events", key, batch.append(']').toString());
    }
    double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
    System.out.printf(Locale.ROOT, "loaded %,d events in %.1f s%n", events, loadSeconds);

    // 2. Replay: COPY TO STDOUT of the same rows (as JSON, like the API) vs NDJSON vs SSE, 3 rounds each.
    double copy = best(3, () -> copyOut(jdbc, events));
    double ndjson = best(3, () -> stream(key, "application/x-ndjson", events));
    double sse = best(3, () -> stream(key, "text/event-stream", events));
    System.out.printf(Locale.ROOT, "replay events/s: COPY %,.0f  NDJSON %,.0f (%.2f x)  SSE %,.0f (%.2f x)%n",
        copy, ndjson, ndjson / copy, sse, sse / copy);
    json.append(String.format(Locale.ROOT, "\"events\":%d,\"copy_to_stdout_events_per_s\":%.0f,"
        + "\"replay_ndjson_events_per_s\":%.0f,\"replay_sse_events_per_s\":%.0f,\"replay_ndjson_ratio\":%.3f,"
        + "\"replay_sse_ratio\":%.3f", events, copy, ndjson, sse, ndjson / copy, sse / copy));

    // 3. Follow latency at fixed ingest rates, with `followers` followers attached; RSS sampled.
    for (int rate : new int[] {1000, 5000}) {
      FollowResult r = follow(key, rate, followers, followSeconds, serverPid);
      System.out.printf(Locale.ROOT, "follow at %,d ev/s with %d followers: latency p50 %.1f ms p99 %.1f ms "
              + "max %.1f ms (%,d samples); sent %,d, failed %,d; every follower got every event: %s; "
              + "server RSS MiB %s%n", rate, followers, r.p50, r.p99, r.max, r.samples, r.sent, r.failed, r.complete,
          r.rss);
      json.append(String.format(Locale.ROOT, ",\"follow_p50_ms_at_%d\":%.1f,\"follow_p99_ms_at_%d\":%.1f,"
              + "\"follow_samples_at_%d\":%d,\"followers\":%d,\"follow_complete_at_%d\":%s,"
              + "\"follow_failed_at_%d\":%d,\"rss_mib_during_follow_at_%d\":%s",
          rate, r.p50, rate, r.p99, rate, r.samples, followers, rate, r.complete, rate, r.failed, rate, r.rss));
    }
    json.append('}');
    Path out = Path.of("target/bench/replay-summary.json");
    Files.createDirectories(out.getParent());
    Files.writeString(out, json.toString());
    System.out.println("wrote " + out.toAbsolutePath());
  }

  static String event(int i) {
    return "{\"type\":\"order." + (i % 20) + "\",\"projectId\":\"p" + (i % 5) + "\",\"userId\":\"u" + (i % 997)
        + "\",\"payload\":{\"orderId\":\"" + i + "\",\"amount\":" + (i % 1000) / 10.0
        + ",\"currency\":\"EUR\",\"note\":\"" + "x".repeat(420) + "\"}}";
  }

  interface Measure {
    double run() throws Exception;
  }

  static double best(int rounds, Measure m) throws Exception {
    double best = 0;
    for (int i = 0; i < rounds; i++) {
      best = Math.max(best, m.run());
    }
    return best;
  }

  /** The same rows, in the same order, rendered as JSON by PostgreSQL and copied out: the ceiling. */
  static double copyOut(String jdbc, int events) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbc)) {
      c.setAutoCommit(false);
      c.createStatement().execute("SET LOCAL eventvault.maintenance = on");
      String sql = "COPY (SELECT json_build_object('id', id, 'tenantId', tenant_id, 'position', position, 'type', type,"
          + " 'projectId', project_id, 'userId', user_id, 'occurredAt', occurred_at, 'recordedAt', recorded_at,"
          + " 'schemaVersion', schema_version, 'metadata', metadata, 'payload', payload)"
          + " FROM events WHERE tenant_id = 'bench' ORDER BY position) TO STDOUT";
      CountingStream out = new CountingStream();
      long start = System.nanoTime();
      long rows = c.unwrap(PGConnection.class).getCopyAPI().copyOut(sql, out);
      double seconds = (System.nanoTime() - start) / 1e9;
      c.rollback();
      if (rows != events) {
        throw new IllegalStateException("COPY returned " + rows + " rows, expected " + events);
      }
      return rows / seconds;
    }
  }

  static final class CountingStream extends OutputStream {
    long bytes;

    @Override
    public void write(int b) {
      bytes++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      bytes += len;
    }
  }

  static double stream(String key, String accept, int events) throws Exception {
    long start = System.nanoTime();
    HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/events/stream"))
        .header("Authorization", "Bearer " + key).header("Accept", accept).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    long count = 0;
    byte[] buffer = new byte[1 << 16];
    byte marker = accept.contains("ndjson") ? (byte) '\n' : (byte) 'i';
    try (InputStream in = response.body()) {
      int n;
      boolean lineStart = true;
      while ((n = in.read(buffer)) > 0) {
        for (int i = 0; i < n; i++) {
          byte b = buffer[i];
          if (marker == '\n') {
            if (b == '\n') {
              count++;
            }
          } else {
            if (lineStart && b == 'i') {
              count++;
            }
            lineStart = b == '\n';
          }
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (count != events) {
      throw new IllegalStateException(accept + " replay returned " + count + " events, expected " + events);
    }
    return count / seconds;
  }

  record FollowResult(double p50, double p99, double max, int samples, long sent, long failed, boolean complete,
      String rss) {}

  /**
   * Followers attached (Vert.x HTTP client; the measured one on an event loop of its own); one event per request at {@code rate}, open loop, on
   * up to 64 keep-alive connections (Vert.x web client), first for a warm-up of {@code seconds / 2} (not measured,
   * so the JIT of both processes has settled), then for {@code seconds}. Latency = the first follower's receive
   * time − the event's {@code recordedAt} (same clock). Every follower must receive every event: checked by count.
   */
  static FollowResult follow(String key, int rate, int followers, int seconds, long serverPid) throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    URI uri = URI.create(base);
    io.vertx.ext.web.client.WebClient web = io.vertx.ext.web.client.WebClient.create(vertx,
        new io.vertx.ext.web.client.WebClientOptions().setDefaultHost(uri.getHost()).setDefaultPort(uri.getPort()),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(64));
    io.vertx.core.http.HttpClient streams = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setDefaultHost(uri.getHost()).setDefaultPort(uri.getPort()),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(followers));
    // The measured follower has an event loop of its own, as a client on another machine would: its lines are
    // not queued behind the other followers' in this process (which still share the machine's two cores).
    io.vertx.core.Vertx measuredVertx =
        io.vertx.core.Vertx.vertx(new io.vertx.core.VertxOptions().setEventLoopPoolSize(1));
    io.vertx.core.http.HttpClient measured = measuredVertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setDefaultHost(uri.getHost()).setDefaultPort(uri.getPort()));
    try {
      long head = Long.parseLong(field(get("/v1/events?order=desc&limit=1", key), "position"));
      ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
      AtomicBoolean measuring = new AtomicBoolean(false);
      AtomicLong[] received = new AtomicLong[followers];
      java.util.concurrent.CountDownLatch attached = new java.util.concurrent.CountDownLatch(followers);
      for (int f = 0; f < followers; f++) {
        boolean measure = f == 0;
        AtomicLong count = received[f] = new AtomicLong();
        byte[] previous = {'\n'};
        (measure ? measured : streams)
            .request(io.vertx.core.http.HttpMethod.GET, "/v1/events/stream?follow=true&fromPosition=" + (head + 1))
            .compose(request -> request.putHeader("Authorization", "Bearer " + key)
                .putHeader("Accept", "application/x-ndjson").send())
            .onSuccess(response -> {
              attached.countDown();
              StringBuilder partial = new StringBuilder();
              response.handler(buffer -> {
                long now = System.currentTimeMillis();
                if (!measure) {
                  // Events, not keep-alives: a newline that ends a non-empty line.
                  long lines = 0;
                  for (byte b : buffer.getBytes()) {
                    if (b == '\n' && previous[0] != '\n') {
                      lines++;
                    }
                    previous[0] = b;
                  }
                  count.addAndGet(lines);
                  return;
                }
                partial.append(buffer.toString(StandardCharsets.UTF_8));
                int newline;
                while ((newline = partial.indexOf("\n")) >= 0) {
                  String line = partial.substring(0, newline);
                  partial.delete(0, newline + 1);
                  if (line.isEmpty()) {
                    continue;
                  }
                  count.incrementAndGet();
                  if (!measuring.get()) {
                    continue;
                  }
                  int at = line.indexOf("\"recordedAt\":\"") + 14;
                  Instant recorded = Instant.parse(line.substring(at, line.indexOf('"', at)));
                  latencies.add((double) (now - recorded.toEpochMilli()));
                }
              });
            })
            .onFailure(e -> System.err.println("follower: " + e));
      }
      if (!attached.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("followers did not attach");
      }
      ScheduledExecutorService timer = Executors.newScheduledThreadPool(1);
      List<Long> rssSamples = new ArrayList<>();
      AtomicLong sent = new AtomicLong();
      AtomicLong acknowledged = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      int warmUp = Math.max(2, seconds / 2);
      long total = (long) rate * (warmUp + seconds);
      long start = System.nanoTime();
      java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
      vertx.setPeriodic(1, id -> {
        long due = Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L);
        while (sent.get() < due) {
          int n = (int) sent.getAndIncrement();
          if (n == (long) rate * warmUp) {
            measuring.set(true);
            timer.scheduleAtFixedRate(() -> rssSamples.add(rssMib(serverPid)), 0, 5, TimeUnit.SECONDS);
          }
          web.post("/v1/events").putHeader("Authorization", "Bearer " + key)
              .putHeader("Content-Type", "application/json").sendBuffer(io.vertx.core.buffer.Buffer.buffer(event(n)))
              .onComplete(result -> {
                if (result.failed() || result.result().statusCode() != 201) {
                  failed.incrementAndGet();
                }
                if (acknowledged.incrementAndGet() == total) {
                  done.complete(null);
                }
              });
        }
        if (sent.get() >= total) {
          vertx.cancelTimer(id);
        }
      });
      done.get(120, TimeUnit.SECONDS);
      measuring.set(false);
      long expected = total - failed.get();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      boolean complete = false;
      while (!complete && System.nanoTime() < deadline) {
        complete = java.util.Arrays.stream(received).allMatch(c -> c.get() >= expected);
        Thread.sleep(100);
      }
      rssSamples.add(rssMib(serverPid));
      timer.shutdownNow();
      double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      if (sorted.length == 0) {
        return new FollowResult(Double.NaN, Double.NaN, Double.NaN, 0, sent.get(), failed.get(), complete,
            rssSamples.toString());
      }
      return new FollowResult(sorted[(int) (sorted.length * 0.5)], sorted[Math.min(sorted.length - 1,
          (int) (sorted.length * 0.99))], sorted[sorted.length - 1], sorted.length, sent.get(), failed.get(), complete,
          rssSamples.toString());
    } finally {
      vertx.close().await();
      measuredVertx.close().await();
    }
  }

  static long rssMib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (Exception e) {
      return -1;
    }
    return -1;
  }

  static String post(String path, String token, String body) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300 && r.statusCode() != 409) {
      throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  static String get(String path, String token) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
        .build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The first string or number value of a field in a small JSON text. */
  static String field(String json, String name) {
    int at = json.indexOf("\"" + name + "\":");
    if (at < 0) {
      throw new IllegalStateException("no " + name + " in " + json);
    }
    int start = at + name.length() + 3;
    if (json.charAt(start) == '"') {
      return json.substring(start + 1, json.indexOf('"', start + 1));
    }
    int end = start;
    while (end < json.length() && (Character.isDigit(json.charAt(end)) || json.charAt(end) == '.')) {
      end++;
    }
    return json.substring(start, end);
  }
}
