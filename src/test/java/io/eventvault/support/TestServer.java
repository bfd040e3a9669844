package io.eventvault.support;

import io.eventvault.Server;
import io.eventvault.config.DatabaseUrl;
import io.eventvault.config.EventvaultConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** One Eventvault node in this JVM, on its own fresh database, with a small blocking HTTP client. */
public final class TestServer implements AutoCloseable {

  public static final String ADMIN_TOKEN = "test-admin-token";

  private final DatabaseUrl database;
  private final Server server;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final int port;

  private TestServer(DatabaseUrl database, Server server, int port) {
    this.database = database;
    this.server = server;
    this.port = port;
  }

  public static TestServer start(String name) {
    return start(name, c -> c);
  }

  public static TestServer start(String name, UnaryOperator<EventvaultConfig> tweak) {
    DatabaseUrl database = TestDatabase.create(name);
    return startOn(database, tweak);
  }

  public static TestServer startOn(DatabaseUrl database, UnaryOperator<EventvaultConfig> tweak) {
    EventvaultConfig config = tweak.apply(EventvaultConfig.DEFAULT
        .withDatabase(EventvaultConfig.DEFAULT.database().withUrl(database))
        .withHttp(EventvaultConfig.DEFAULT.http().withPort(0))
        .withAdminToken(ADMIN_TOKEN));
    Server server = new Server(config);
    int port = server.start().await();
    return new TestServer(database, server, port);
  }

  public DatabaseUrl database() {
    return database;
  }

  public Server server() {
    return server;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** Creates a tenant and returns a key with the given scopes. */
  public String tenantWithKey(String tenantId, String... scopes) {
    Response created = send("POST", "/v1/admin/tenants", ADMIN_TOKEN, "application/json",
        new JsonObject().put("id", tenantId).put("name", tenantId).encode());
    if (created.status() != 201 && created.status() != 409) {
      throw new IllegalStateException("cannot create tenant: " + created);
    }
    return key(tenantId, new JsonObject().put("scopes", new JsonArray(java.util.List.of((Object[]) scopes))));
  }

  public String key(String tenantId, JsonObject request) {
    Response key = send("POST", "/v1/admin/tenants/" + tenantId + "/keys", ADMIN_TOKEN, "application/json",
        request.encode());
    if (key.status() != 201) {
      throw new IllegalStateException("cannot create key: " + key);
    }
    return key.json().getString("key");
  }

  public Response post(String path, String key, String contentType, String body) {
    return send("POST", path, key, contentType, body);
  }

  public Response postJson(String path, String key, Object body) {
    String encoded = body instanceof JsonObject o ? o.encode() : body instanceof JsonArray a ? a.encode()
        : body.toString();
    return send("POST", path, key, "application/json", encoded);
  }

  public Response get(String path, String key) {
    return send("GET", path, key, null, null);
  }

  public Response send(String method, String path, String key, String contentType, String body) {
    return send(method, path, key, contentType, body, b -> b);
  }

  public Response send(String method, String path, String key, String contentType, String body,
      UnaryOperator<HttpRequest.Builder> extra) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl() + path))
        .timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      builder.header("Authorization", "Bearer " + key);
    }
    if (contentType != null) {
      builder.header("Content-Type", contentType);
    }
    try {
      HttpResponse<String> response = http.send(extra.apply(builder).build(), HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
          response.body(), response);
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.stop().await();
    TestDatabase.drop(database);
  }

  /** A finished HTTP exchange. */
  public record Response(int status, String contentType, String body, HttpResponse<String> raw) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }
}
