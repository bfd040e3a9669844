package io.eventvault;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.config.DatabaseUrl;
import io.eventvault.support.Events;
import io.eventvault.support.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server as its own process, stopped in the middle of a write storm: by SIGTERM (drain, exit 0) and by
 * kill -9. Either way every acknowledged event is in the database.
 */
class LifecycleTest {

  private static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");
  private static final String ADMIN = "lifecycle-admin";

  private DatabaseUrl database;
  private Process process;
  private Thread reader;
  private final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void createDatabase() {
    database = TestDatabase.create("lifecycle");
  }

  @AfterEach
  void cleanUp() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
    TestDatabase.drop(database);
  }

  @Test
  void sigterm_during_a_write_storm_loses_no_acknowledged_event_and_exits_0() throws Exception {
    int port = launch();
    Set<String> acknowledged = storm(port, () -> process.toHandle().destroy()); // Process.destroy() would also close our end of its output

    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    reader.join(10_000);
    assertThat(process.exitValue()).as(String.join("\n", log)).isZero();
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(200);
    assertStored(acknowledged);
    assertThat(log).anyMatch(line -> line.contains("flushing accepted events"));
  }

  @Test
  void kill_9_during_a_write_storm_loses_no_acknowledged_event() throws Exception {
    int port = launch();
    Set<String> acknowledged = storm(port, () -> process.toHandle().destroyForcibly());

    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(200);
    assertStored(acknowledged);
  }

  private int launch() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "io.eventvault.Main").redirectErrorStream(true);
    builder.environment().put("EVENTVAULT_DATABASE_URL", "postgresql://" + database.user()
        + (database.password() == null ? "" : ":" + database.password()) + "@" + database.host() + ":"
        + database.port() + "/" + database.database());
    builder.environment().put("EVENTVAULT_HTTP_PORT", "0");
    builder.environment().put("EVENTVAULT_ADMIN_TOKEN", ADMIN);
    builder.environment().put("EVENTVAULT_CONFIG", Path.of("conf/config.json").toAbsolutePath().toString());
    process = builder.start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          log.add(line);
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            port.complete(Integer.parseInt(m.group(1)));
          }
        }
      } catch (Exception ignored) {
        // the process ended
      }
      port.completeExceptionally(new IllegalStateException("server exited: " + String.join("\n", log)));
    });
    reader.setDaemon(true);
    reader.start();
    return port.get(60, TimeUnit.SECONDS);
  }

  /** Eight clients write batches until the server stops answering; {@code stop} runs once 200 are acknowledged. */
  private Set<String> storm(int port, Runnable stop) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    String base = "http://127.0.0.1:" + port;
    send(client, base + "/v1/admin/tenants", ADMIN, new JsonObject().put("id", "acme").encode());
    String key = new JsonObject(send(client, base + "/v1/admin/tenants/acme/keys", ADMIN,
        new JsonObject().put("scopes", new JsonArray().add("ingest")).encode()).body()).getString("key");
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger failures = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      clients.add(CompletableFuture.runAsync(() -> {
        while (failures.get() < 50) {
          try {
            HttpResponse<String> response = send(client, base + "/v1/events", key,
                Events.batch(10, "storm", "p").encode());
            if (response.statusCode() == 201) {
              new JsonObject(response.body()).getJsonArray("events")
                  .forEach(e -> acknowledged.add(((JsonObject) e).getString("id")));
            } else {
              failures.incrementAndGet();
            }
          } catch (Exception e) {
            failures.incrementAndGet();
          }
        }
      }, pool));
    }
    // Stop in the middle of the storm: once it is well under way (a loaded machine may need a while).
    for (int waited = 0; acknowledged.size() < 200 && waited < 60_000; waited += 20) {
      Thread.sleep(20);
    }
    stop.run();
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
    pool.shutdownNow();
    return acknowledged;
  }

  private static HttpResponse<String> send(HttpClient client, String url, String token, String body)
      throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private void assertStored(Set<String> acknowledged) throws Exception {
    try (Connection c = TestDatabase.connect(database);
        PreparedStatement s = c.prepareStatement("SELECT count(*) FROM events WHERE id = ANY(?::uuid[])")) {
      s.setArray(1, c.createArrayOf("text", acknowledged.toArray()));
      ResultSet rs = s.executeQuery();
      rs.next();
      assertThat(rs.getLong(1)).as("acknowledged events in the database").isEqualTo(acknowledged.size());
    }
  }
}
