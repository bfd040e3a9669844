package io.eventvault.bench;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/** The PostgreSQL the bench runs against: postgresql://user[:pass]@host:port (no database). */
final class Db {
  final String host;
  final int port;
  final String user;
  final String password;

  Db(String url) {
    URI u = URI.create(url);
    host = u.getHost() == null ? "127.0.0.1" : u.getHost();
    port = u.getPort() < 0 ? 5432 : u.getPort();
    String info = u.getUserInfo() == null ? "postgres" : u.getUserInfo();
    int colon = info.indexOf(':');
    user = colon < 0 ? info : info.substring(0, colon);
    password = colon < 0 ? null : info.substring(colon + 1);
  }

  /** The URL the server gets (EVENTVAULT_DATABASE_URL). */
  String serverUrl(String database) {
    return "postgresql://" + user + (password == null ? "" : ":" + password) + "@" + host + ":" + port + "/"
        + database;
  }

  Connection connect(String database) throws SQLException {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("ApplicationName", "eventvault-bench");
    return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + database, p);
  }

  void exec(String database, String sql) throws SQLException {
    try (Connection c = connect(database); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  String one(String database, String sql) throws SQLException {
    try (Connection c = connect(database); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      return r.next() ? r.getString(1) : null;
    }
  }

  void create(String name, String template) throws SQLException {
    exec("postgres", "CREATE DATABASE " + name + (template == null ? "" : " TEMPLATE " + template));
  }

  void drop(String name) {
    try {
      exec("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (SQLException e) {
      System.err.println("warning: could not drop " + name + ": " + e.getMessage());
    }
  }

  /** Current WAL insert position as a byte number (cluster-wide). */
  long walBytes() throws SQLException {
    return Long.parseLong(one("postgres", "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"));
  }

  Map<String, String> settings() throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("server_version", one("postgres", "SHOW server_version"));
    String names = "'shared_buffers','max_wal_size','checkpoint_timeout','synchronous_commit','fsync',"
        + "'full_page_writes','wal_compression','wal_level','commit_delay','max_connections','work_mem',"
        + "'autovacuum','wal_buffers','effective_io_concurrency','huge_pages','jit'";
    try (Connection c = connect("postgres"); Statement s = c.createStatement();
         ResultSet r = s.executeQuery("SELECT name, setting || coalesce(' ' || unit, '') FROM pg_settings WHERE name IN ("
             + names + ") ORDER BY name")) {
      while (r.next()) {
        out.put(r.getString(1), r.getString(2));
      }
    }
    return out;
  }
}
