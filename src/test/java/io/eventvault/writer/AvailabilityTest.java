package io.eventvault.writer;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.config.EventvaultConfig.WriterConfig;
import io.eventvault.store.Sql;
import io.eventvault.support.Events;
import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Back-pressure and outages: a full writer queue answers 429, a database that is gone answers 503. */
class AvailabilityTest {

  @Test
  void a_full_writer_queue_answers_429_with_retry_after_and_loses_nothing_it_accepted() throws Exception {
    try (TestServer server = TestServer.start("overload", c -> c.withWriter(new WriterConfig(10, 0, 1, 20)))) {
      String key = server.tenantWithKey("acme", "ingest");
      List<CompletableFuture<Response>> accepted = new ArrayList<>();
      try (Connection blocker = TestDatabase.connect(server.database()); Statement s = blocker.createStatement()) {
        blocker.setAutoCommit(false);
        s.execute("SELECT pg_advisory_xact_lock(" + Sql.APPEND_LOCK_KEY + ")");
        // One flush of 10 waits on the lock, 20 more wait in the queue; the next request is refused.
        for (int i = 0; i < 3; i++) {
          accepted.add(CompletableFuture.supplyAsync(
              () -> server.postJson("/v1/events", key, Events.batch(10, "t", "overload"))));
          awaitQueued(server, 10 * i);
        }
        Response refused = server.postJson("/v1/events", key, Events.batch(10, "t", "overload"));
        assertThat(refused.status()).as(refused.body()).isEqualTo(429);
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(refused.contentType()).isEqualTo("application/problem+json");
        blocker.rollback();
      }
      for (CompletableFuture<Response> request : accepted) {
        assertThat(request.get(30, TimeUnit.SECONDS).status()).isEqualTo(201);
      }
      assertThat(TestDatabase.count(server.database(), "SELECT count(*) FROM events")).isEqualTo(30);
    }
  }

  /** Waits until the writer holds {@code events} in its queue (the first batch is in its blocked flush). */
  private static void awaitQueued(TestServer server, int events) throws InterruptedException {
    String gauge = "eventvault_writer_queue_depth " + events + ".0";
    for (int i = 0; i < 500; i++) {
      if (server.get("/metrics", null).body().lines().anyMatch(gauge::equals)) {
        Thread.sleep(100); // one more moment for the flush of the first batch to be waiting on the lock
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the writer queue never held " + events + " events");
  }

  @Test
  void an_unreachable_database_answers_503_and_the_server_recovers_when_it_returns() {
    try (TestServer server = TestServer.start("outage")) {
      String key = server.tenantWithKey("acme", "ingest", "query");
      assertThat(server.postJson("/v1/events", key, Events.event("t", "p")).status()).isEqualTo(201);
      String name = server.database().database();
      try {
        TestDatabase.execute(TestDatabase.server(), "ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
        TestDatabase.execute(TestDatabase.server(),
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");

        Response write = server.postJson("/v1/events", key, Events.event("t", "p"));
        assertThat(write.status()).as(write.body()).isEqualTo(503);
        assertThat(write.header("Retry-After")).isNotNull();
        assertThat(server.get("/v1/events", key).status()).isEqualTo(503);
        assertThat(server.get("/ready", null).status()).isEqualTo(503);
        assertThat(server.get("/health", null).status()).isEqualTo(200);
      } finally {
        TestDatabase.execute(TestDatabase.server(), "ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
      }
      assertThat(server.postJson("/v1/events", key, Events.event("t", "p")).status()).isEqualTo(201);
      assertThat(server.get("/v1/events", key).json().getJsonArray("events")).hasSize(2);
      assertThat(server.get("/ready", null).status()).isEqualTo(200);
    }
  }

}
