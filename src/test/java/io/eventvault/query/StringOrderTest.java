package io.eventvault.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.eventvault.config.DatabaseUrl;
import io.eventvault.support.TestDatabase;
import io.eventvault.support.TestServer;
import io.eventvault.support.TestServer.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code gt gte lt lte} on strings compare by Unicode code point, whatever collation the database was created with:
 * the same query must not answer differently on a database whose default collation is linguistic (ICU en-US sorts
 * "a" before "B"; code points put "B" (U+0042) before "a" (U+0061)).
 */
class StringOrderTest {

  @Test
  void strings_compare_by_code_point_on_a_database_with_a_linguistic_collation() {
    String name = ("strorder_" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT);
    try {
      TestDatabase.execute(TestDatabase.server(), "CREATE DATABASE " + name
          + " TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
    } catch (IllegalStateException e) {
      assumeTrue(false, "this PostgreSQL cannot create an ICU database: " + e.getMessage());
    }
    DatabaseUrl url = TestDatabase.server().withDatabase(name);
    try (TestServer server = TestServer.startOn(url, c -> c)) {
      assertThat(TestDatabase.count(url, "SELECT count(*) WHERE 'a' < 'B'")).as("the database sorts linguistically")
          .isEqualTo(1);
      String key = server.tenantWithKey("acme", "ingest", "query");
      JsonArray batch = new JsonArray();
      for (String s : List.of("a", "B", "é", "z", "\uD83D\uDE00", "\uFF21")) {
        batch.add(new JsonObject().put("type", "t").put("projectId", "p").put("payload", new JsonObject().put("s", s)));
      }
      assertThat(server.postJson("/v1/events", key, batch).status()).isEqualTo(201);

      assertThat(strings(server, key, "gt", "B")).containsExactly("a", "é", "z", "\uD83D\uDE00", "\uFF21");
      assertThat(strings(server, key, "lt", "a")).containsExactly("B");
      assertThat(strings(server, key, "gte", "z")).containsExactly("é", "z", "\uD83D\uDE00", "\uFF21");
      // U+1F600 is above U+FF21 although its UTF-16 form (a surrogate, D83D) is below it.
      assertThat(strings(server, key, "gt", "\uFF21")).containsExactly("\uD83D\uDE00");
      assertThat(strings(server, key, "lte", "\uFF21")).containsExactly("a", "B", "é", "z", "\uFF21");
    }
  }

  static List<String> strings(TestServer server, String key, String op, String value) {
    Response r = server.postJson("/v1/events/query", key, new JsonObject().put("where", new JsonArray()
        .add(new JsonObject().put("path", "payload.s").put("op", op).put("value", value))));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getJsonObject("payload").getString("s")).toList();
  }
}
