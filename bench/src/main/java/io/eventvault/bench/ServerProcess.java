package io.eventvault.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Eventvault server under test: `java [opts] -jar target/eventvault.jar`, port 0, log to a file. */
final class ServerProcess {

  private static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");

  final Process process;
  final int port;
  final Path log;
  final List<String> command;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ServerProcess(Process process, int port, Path log, List<String> command) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.command = command;
  }

  static ServerProcess start(Path root, Path jar, String databaseUrl, String adminToken, List<String> javaOpts,
                             Path log) throws Exception {
    List<String> cmd = new ArrayList<>();
    String[] self = Proc.statFields(ProcessHandle.current().pid());
    int nice = self == null ? 0 : Integer.parseInt(self[16]);
    if (nice != 0) { // the generator may run at a raised priority: the server gets the ordinary one back
      cmd.addAll(List.of("nice", "-n", String.valueOf(-nice)));
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(javaOpts);
    cmd.add("-jar");
    cmd.add(jar.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("EVENTVAULT_DATABASE_URL", databaseUrl);
    env.put("EVENTVAULT_HTTP_PORT", "0");
    env.put("EVENTVAULT_ADMIN_TOKEN", adminToken);
    env.put("EVENTVAULT_HTTP_HOST", "127.0.0.1");
    env.remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("the server exited with " + p.exitValue() + " before listening:\n" + tail(log));
      }
      Matcher m = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        ServerProcess s = new ServerProcess(p, Integer.parseInt(m.group(1)), log, cmd);
        s.awaitReady();
        return s;
      }
      Thread.sleep(100);
    }
    p.destroyForcibly();
    throw new IllegalStateException("the server did not log 'listening on port N' within 90 s:\n" + tail(log));
  }

  long pid() {
    return process.pid();
  }

  private void awaitReady() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/ready")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("GET /ready never answered 200");
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  JsonObject post(String path, String bearer, JsonObject body, int expect) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path))
            .header("Authorization", "Bearer " + bearer)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expect) {
      throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body().isBlank() ? new JsonObject() : new JsonObject(r.body());
  }

  /** Creates the bench tenant and an ingest key; returns the key's secret. */
  String setUpTenant(String adminToken, String tenant) throws Exception {
    post("/v1/admin/tenants", adminToken, new JsonObject().put("id", tenant).put("name", "Benchmark"), 201);
    JsonObject key = post("/v1/admin/tenants/" + tenant + "/keys", adminToken,
        new JsonObject().put("scopes", new JsonArray().add("ingest").add("query").add("replay")), 201);
    return key.getString("key");
  }

  String metrics() {
    try {
      return http.send(HttpRequest.newBuilder(uri("/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (Exception e) {
      return "";
    }
  }

  /** SIGTERM, then wait; returns the exit code (or -1 after a forced kill). */
  int stop(long timeoutSeconds) throws InterruptedException {
    process.destroy();
    if (process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      return process.exitValue();
    }
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    return -1;
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
