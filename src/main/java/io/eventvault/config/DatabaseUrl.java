package io.eventvault.config;

import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** {@code postgresql://user:pass@host:port/db}, parsed once. */
public record DatabaseUrl(String host, int port, String database, String user, String password) {

  public DatabaseUrl {
    if (host == null || host.isBlank()) {
      throw new ConfigException("database url needs a host");
    }
  }

  public static DatabaseUrl parse(String url) {
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("database url is not a valid URI: " + e.getMessage());
    }
    String scheme = uri.getScheme();
    if (!"postgresql".equals(scheme) && !"postgres".equals(scheme)) {
      throw new ConfigException("database url must start with postgresql://");
    }
    String user = "postgres";
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : null;
    }
    String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
    return new DatabaseUrl(
        uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), path.isEmpty() ? "postgres" : path, user, password);
  }

  public DatabaseUrl withDatabase(String name) {
    return new DatabaseUrl(host, port, name, user, password);
  }

  public PgConnectOptions connectOptions() {
    PgConnectOptions options =
        new PgConnectOptions().setHost(host).setPort(port).setDatabase(database).setUser(user);
    if (password != null) {
      options.setPassword(password);
    }
    return options;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  @Override
  public String toString() {
    return "postgresql://" + user + (password == null ? "" : ":***") + "@" + host + ":" + port + "/" + database;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
