package io.eventvault.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The live tail: followers of a tenant on a node share one database read per commit, filter its events in memory
 * exactly as the query would, and fall back to their own reads (gaps, JSON filters, slow clients) without loss.
 */
class LiveTailTest {

  static TestServer server;
  static final HttpClient client = HttpClient.newHttpClient();
  static final ExecutorService pool = Executors.newCachedThreadPool();

  @BeforeAll
  static void start() {
    server = TestServer.start("livetail");
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
    server.close();
  }

  /** Reads an NDJSON stream in the background and keeps the positions of its events. */
  static final class Follower {
    final List<Long> positions = new CopyOnWriteArrayList<>();
    final CompletableFuture<Void> done;
    volatile InputStream body;

    Follower(String path, String key) {
      done = CompletableFuture.runAsync(() -> {
        try {
          HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
              .header("Authorization", "Bearer " + key).header("Accept", "application/x-ndjson").build(),
              HttpResponse.BodyHandlers.ofInputStream());
          assertThat(response.statusCode()).isEqualTo(200);
          body = response.body();
          BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
          String line;
          while ((line = reader.readLine()) != null) {
            if (!line.isEmpty()) {
              positions.add(new JsonObject(line).getLong("position"));
            }
          }
        } catch (Exception e) {
          // closed by the test
        }
      }, pool);
    }

    void close() throws Exception {
      if (body != null) {
        body.close();
      }
    }
  }

  @Test
  void followers_of_a_tenant_share_one_read_per_commit_and_other_tenants_see_none_of_it() throws Exception {
    String key = server.tenantWithKey("shared", "ingest", "replay");
    String otherKey = server.tenantWithKey("shared-other", "ingest", "replay");
    int followerCount = 20;
    int commits = 30;
    double openBefore = metric("eventvault_streams_open");
    List<Follower> followers = new ArrayList<>();
    for (int i = 0; i < followerCount; i++) {
      followers.add(new Follower("/v1/events/stream?follow=true", key));
    }
    Follower other = new Follower("/v1/events/stream?follow=true", otherKey);
    await(() -> metric("eventvault_streams_open") >= openBefore + followerCount + 1);
    Thread.sleep(300);
    double tailReads = metric("eventvault_stream_reads_total{kind=\"tail\"");
    double ownReads = metric("eventvault_stream_reads_total{kind=\"stream\"");

    List<Long> written = new ArrayList<>();
    for (int c = 0; c < commits; c++) {
      written.addAll(positions(server.postJson("/v1/events", key, batch(2, i -> event("t", "p")))));
      Thread.sleep(20);
    }
    await(() -> followers.stream().allMatch(f -> f.positions.size() >= written.size()));

    for (Follower follower : followers) {
      assertThat(follower.positions).isEqualTo(written);
    }
    double tail = metric("eventvault_stream_reads_total{kind=\"tail\"") - tailReads;
    double own = metric("eventvault_stream_reads_total{kind=\"stream\"") - ownReads;
    // One read per follower per commit would be 600; the tail reads about once per commit (twice when this
    // node's own NOTIFY arrives apart from the writer's wake-up).
    assertThat(tail + own).as("database reads for %d followers over %d commits (tail %s, own %s)",
        followerCount, commits, tail, own).isLessThanOrEqualTo(3.0 * commits + 10);
    assertThat(other.positions).isEmpty();

    List<Long> mine = positions(server.postJson("/v1/events", otherKey, batch(1, i -> event("t", "p"))));
    await(() -> other.positions.size() >= 1);
    Thread.sleep(200);
    assertThat(other.positions).isEqualTo(mine);
    for (Follower follower : followers) {
      assertThat(follower.positions).isEqualTo(written);
      follower.close();
    }
    other.close();
  }

  @Test
  void followers_joining_while_the_tail_moves_close_the_gap_from_the_database() throws Exception {
    String key = server.tenantWithKey("joining", "ingest", "replay");
    Follower first = new Follower("/v1/events/stream?follow=true", key);
    Thread.sleep(300);
    List<Long> written = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      for (int b = 0; b < 150; b++) {
        written.addAll(positions(server.postJson("/v1/events", key, batch(3, i -> event("t", "p")))));
      }
    }, pool);
    // Each joins after catching up from the database while the shared tail is already ahead of it.
    List<Follower> joiners = new ArrayList<>();
    while (!writer.isDone() && joiners.size() < 15) {
      Thread.sleep(60);
      joiners.add(new Follower("/v1/events/stream?follow=true", key));
    }
    writer.get(60, TimeUnit.SECONDS);
    assertThat(joiners).hasSizeGreaterThan(3);
    joiners.add(first);
    for (Follower follower : joiners) {
      await(() -> follower.positions.size() >= written.size());
      Thread.sleep(50);
      assertThat(follower.positions).isEqualTo(written);
      follower.close();
    }
  }

  @Test
  void a_subscription_follower_cut_off_mid_stream_resumes_from_its_checkpoint_without_loss_or_repeat()
      throws Exception {
    String key = server.tenantWithKey("checkpoint", "ingest", "replay");
    assertThat(server.postJson("/v1/subscriptions", key, new JsonObject().put("name", "mailer")
        .put("filter", new JsonObject().put("projectId", "shop"))).status()).isEqualTo(201);
    List<Long> written = new ArrayList<>(positions(server.postJson("/v1/events", key,
        batch(50, i -> event("order.created", "shop")))));
    server.postJson("/v1/events", key, batch(5, i -> event("page.viewed", "blog")));

    Follower first = new Follower("/v1/subscriptions/mailer/stream", key);
    await(() -> first.positions.size() >= 30);
    first.close();
    List<Long> processed = new ArrayList<>(first.positions.subList(0, 30));
    assertThat(server.postJson("/v1/subscriptions/mailer/ack", key,
        new JsonObject().put("position", processed.get(29))).status()).isEqualTo(200);

    Follower second = new Follower("/v1/subscriptions/mailer/stream", key);
    Thread.sleep(200);
    written.addAll(positions(server.postJson("/v1/events", key, batch(50, i -> event("order.paid", "shop")))));
    await(() -> second.positions.size() >= written.size() - 30);
    Thread.sleep(100);
    processed.addAll(second.positions);
    second.close();
    assertThat(processed).isEqualTo(written);
  }

  @Test
  void revoking_the_key_or_suspending_the_tenant_ends_its_open_streams_and_reconnecting_is_refused()
      throws Exception {
    String keptKey = server.tenantWithKey("revoked", "ingest", "replay");
    Response created = server.send("POST", "/v1/admin/tenants/revoked/keys", TestServer.ADMIN_TOKEN,
        "application/json", new JsonObject().put("scopes", new JsonArray().add("replay")).encode());
    String doomedKey = created.json().getString("key");
    Follower doomed = new Follower("/v1/events/stream?follow=true", doomedKey);
    Follower kept = new Follower("/v1/events/stream?follow=true", keptKey);
    Thread.sleep(300);
    assertThat(server.send("DELETE", "/v1/admin/tenants/revoked/keys/" + created.json().getString("id"),
        TestServer.ADMIN_TOKEN, null, null).status()).isEqualTo(204);
    doomed.done.get(10, TimeUnit.SECONDS);
    assertThat(kept.done).as("a stream of another key of the tenant").isNotDone();
    assertThat(server.send("GET", "/v1/events/stream", doomedKey, null, null).status()).isEqualTo(401);

    assertThat(server.send("PATCH", "/v1/admin/tenants/revoked", TestServer.ADMIN_TOKEN, "application/json",
        new JsonObject().put("status", "suspended").encode()).status()).isEqualTo(200);
    kept.done.get(10, TimeUnit.SECONDS);
    assertThat(server.send("GET", "/v1/events/stream", keptKey, null, null).status()).isEqualTo(403);
  }

  @Test
  void a_follower_with_to_position_or_limit_ends_once_it_has_passed_it() throws Exception {
    String key = server.tenantWithKey("bounded", "ingest", "replay");
    List<Long> first = positions(server.postJson("/v1/events", key, batch(3, i -> event("t", "p"))));
    long end = first.get(2) + 5;
    Follower follower = new Follower("/v1/events/stream?follow=true&toPosition=" + end, key);
    Thread.sleep(300);
    assertThat(follower.done).isNotDone();
    List<Long> more = new ArrayList<>();
    while (more.isEmpty() || more.get(more.size() - 1) < end) {
      more.addAll(positions(server.postJson("/v1/events", key, batch(2, i -> event("t", "p")))));
    }
    follower.done.get(10, TimeUnit.SECONDS);
    List<Long> expected = new ArrayList<>(first);
    more.stream().filter(p -> p <= end).forEach(expected::add);
    assertThat(follower.positions).isEqualTo(expected);

    // With limit, a follower ends after that many events, stored and live together.
    List<Long> all = new ArrayList<>(first);
    all.addAll(more);
    Follower limited = new Follower("/v1/events/stream?follow=true&limit=" + (all.size() + 3), key);
    Thread.sleep(300);
    assertThat(limited.done).isNotDone();
    all.addAll(positions(server.postJson("/v1/events", key, batch(5, i -> event("t", "p")))));
    limited.done.get(10, TimeUnit.SECONDS);
    assertThat(limited.positions).isEqualTo(all.subList(0, all.size() - 2));
  }

  @Test
  void a_client_gone_before_the_first_page_leaves_no_stream_and_no_tail_behind() throws Exception {
    String key = server.tenantWithKey("gone", "ingest", "replay");
    server.postJson("/v1/events", key, batch(3, i -> event("t", "p")));
    double openBefore = metric("eventvault_streams_open");
    try (java.sql.Connection lock = io.eventvault.support.TestDatabase.connect(server.database());
        java.sql.Statement statement = lock.createStatement()) {
      // Holds every read of events until the client has left.
      lock.setAutoCommit(false);
      statement.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE");
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", URI.create(server.baseUrl()).getPort())) {
        socket.getOutputStream().write(("GET /v1/events/stream?follow=true HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer " + key + "\r\nAccept: application/x-ndjson\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        Thread.sleep(300);
      }
      Thread.sleep(200);
      lock.rollback();
    }
    Thread.sleep(500);
    double tailReads = metric("eventvault_stream_reads_total{kind=\"tail\"");
    // A stream left behind would have joined the tenant's tail, which polls every 2 s while it has followers.
    Thread.sleep(2500);
    assertThat(metric("eventvault_stream_reads_total{kind=\"tail\"")).isEqualTo(tailReads);
    assertThat(metric("eventvault_streams_open")).isEqualTo(openBefore);
  }

  @Test
  void live_followers_filter_in_memory_exactly_as_the_query_filters() throws Exception {
    String key = server.tenantWithKey("filters", "ingest", "replay", "query");
    String scopedKey = server.key("filters", new JsonObject().put("scopes", new JsonArray().add("replay"))
        .put("projects", new JsonArray().add("p1").add("p3")));
    Instant base = Instant.parse("2026-06-01T00:00:00Z");
    long seed = positions(server.postJson("/v1/events", key, batch(1, i -> event("seed", "p1")))).get(0);
    Map<String, String> filters = new LinkedHashMap<>();
    filters.put("all", "");
    filters.put("type", "type=order.paid");
    filters.put("types", "type=order.paid&type=user.created");
    filters.put("prefix", "typePrefix=order.");
    filters.put("project", "projectId=p2");
    filters.put("subject", "subject=s1");
    filters.put("user", "userId=u2");
    filters.put("correlation", "correlationId=c0");
    filters.put("window", "occurredFrom=" + enc(base.plusSeconds(30).toString()) + "&occurredTo="
        + enc(base.plusSeconds(90).toString()));
    filters.put("combined", "projectId=p1&typePrefix=order.&subject=s0");
    filters.put("positions", "fromPosition=" + (seed + 20) + "&toPosition=" + (seed + 80));
    Map<String, Follower> followers = new LinkedHashMap<>();
    for (Map.Entry<String, String> f : filters.entrySet()) {
      followers.put(f.getKey(), new Follower("/v1/events/stream?follow=true&" + f.getValue(), key));
    }
    followers.put("scoped key", new Follower("/v1/events/stream?follow=true", scopedKey));
    // A filter only SQL evaluates: the subscription's stream reads each batch's range from the database.
    assertThat(server.postJson("/v1/subscriptions", key, new JsonObject().put("name", "big-orders")
        .put("filter", new JsonObject().put("typePrefix", "order.")
            .put("where", new JsonArray().add(new JsonObject().put("path", "payload.amount").put("op", "gte")
                .put("value", 50)))))
        .status()).isEqualTo(201);
    followers.put("json", new Follower("/v1/subscriptions/big-orders/stream?follow=true", key));
    Thread.sleep(500);

    String[] types = {"order.paid", "order.created", "user.created", "orders", "page.viewed"};
    for (int round = 0; round < 12; round++) {
      int r = round;
      server.postJson("/v1/events", key, batch(10, i -> {
        int n = r * 10 + i;
        return event(types[n % types.length], "p" + (n % 3 + 1))
            .put("subject", "s" + (n % 4)).put("userId", "u" + (n % 5)).put("correlationId", "c" + (n % 2))
            .put("occurredAt", base.plusSeconds(n).toString())
            .put("payload", new JsonObject().put("amount", n % 100));
      }));
      Thread.sleep(15);
    }

    for (Map.Entry<String, Follower> f : followers.entrySet()) {
      String path = f.getKey().equals("json") ? "/v1/subscriptions/big-orders/stream?follow=false"
          : "/v1/events/stream?" + filters.getOrDefault(f.getKey(), "");
      List<Long> expected = streamed(path, f.getKey().equals("scoped key") ? scopedKey : key);
      assertThat(expected).as(f.getKey()).isNotEmpty();
      await(() -> f.getValue().positions.size() >= expected.size());
      Thread.sleep(100);
      assertThat(f.getValue().positions).as(f.getKey()).isEqualTo(expected);
      f.getValue().close();
    }
  }

  @Test
  void a_slow_client_catching_up_holds_the_server_to_a_bounded_backlog_and_gets_everything() throws Exception {
    String key = server.tenantWithKey("slow-catchup", "ingest", "replay");
    List<Long> written = writeBig(key);
    assertThat(slowClient(key, "/v1/events/stream", () -> { }, () -> Integer.MAX_VALUE)).isEqualTo(written);
  }

  @Test
  void a_live_follower_too_slow_for_the_tail_reads_from_the_database_and_misses_nothing() throws Exception {
    String key = server.tenantWithKey("slow-live", "ingest", "replay");
    double ownReads = metric("eventvault_stream_reads_total{kind=\"stream\"");
    List<Long> written = new CopyOnWriteArrayList<>();
    List<Long> read = slowClient(key, "/v1/events/stream?follow=true", () -> written.addAll(writeBig(key)),
        written::size);
    assertThat(read).isEqualTo(written);
    assertThat(metric("eventvault_stream_reads_total{kind=\"stream\"") - ownReads)
        .as("reads of its own once the tail's batches no longer fitted its buffer").isPositive();
  }

  /** 10,000 events of ~2 KB, in requests of 1,000: 22 MB of NDJSON. */
  private static List<Long> writeBig(String key) {
    String big = "x".repeat(2000);
    List<Long> written = new ArrayList<>();
    for (int b = 0; b < 10; b++) {
      written.addAll(positions(server.postJson("/v1/events", key,
          batch(1000, i -> event("t", "p").put("payload", new JsonObject().put("big", big))))));
    }
    return written;
  }

  /**
   * A client on a raw socket with a small receive buffer: it reads 100 lines, stops reading while {@code writes}
   * runs and 1.5 s more, checks that the server did not run ahead (a bounded backlog: the kernel's socket buffers,
   * 4 MB here, the stream's 512 KiB and one page stay well under 6,000 of these events; without back-pressure the
   * server renders all of them), then reads until {@code expected} lines or the end of the stream.
   */
  private static List<Long> slowClient(String key, String path, Runnable writes, IntSupplier expected)
      throws Exception {
    double streamedBefore = metric("eventvault_stream_events_total");
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.setReceiveBufferSize(16 * 1024);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", URI.create(server.baseUrl()).getPort()));
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + key + "\r\nAccept: application/x-ndjson\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      FollowTest.ChunkedLines body = new FollowTest.ChunkedLines(
          new java.io.BufferedInputStream(socket.getInputStream(), 8192));
      body.skipHeaders();
      Thread.sleep(300);
      CompletableFuture<Void> writer = CompletableFuture.runAsync(writes, pool);
      List<Long> read = new ArrayList<>();
      while (read.size() < 100) {
        String line = body.nextLine();
        if (!line.isEmpty()) {
          read.add(new JsonObject(line).getLong("position"));
        }
      }
      writer.get(60, TimeUnit.SECONDS);
      Thread.sleep(1500);
      assertThat(metric("eventvault_stream_events_total") - streamedBefore - read.size())
          .as("events the server rendered that the paused client has not read").isLessThan(6000);
      while (read.size() < expected.getAsInt()) {
        String line = body.nextLine();
        if (line == null) {
          break;
        }
        if (!line.isEmpty()) {
          read.add(new JsonObject(line).getLong("position"));
        }
      }
      return read;
    }
  }

  private static List<Long> streamed(String path, String key) {
    Response response = server.send("GET", path, key, null, null, b -> b.header("Accept", "application/x-ndjson"));
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.body().lines().filter(l -> !l.isEmpty()).map(l -> new JsonObject(l).getLong("position"))
        .toList();
  }

  private static JsonObject event(String type, String project) {
    return new JsonObject().put("id", UUID.randomUUID().toString()).put("type", type).put("projectId", project)
        .put("payload", new JsonObject());
  }

  private static JsonArray batch(int size, java.util.function.IntFunction<JsonObject> event) {
    JsonArray batch = new JsonArray();
    for (int i = 0; i < size; i++) {
      batch.add(event.apply(i));
    }
    return batch;
  }

  private static List<Long> positions(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    List<Long> positions = new ArrayList<>();
    response.json().getJsonArray("events").forEach(e -> positions.add(((JsonObject) e).getLong("position")));
    return positions;
  }

  /** The sum of a Prometheus metric's samples whose line starts with {@code prefix} (0 when absent). */
  private static double metric(String prefix) {
    return server.get("/metrics", null).body().lines().filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 30 s");
      }
      Thread.sleep(20);
    }
  }

  private static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
