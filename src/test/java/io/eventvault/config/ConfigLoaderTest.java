package io.eventvault.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

  @Test
  void every_key_has_an_environment_override_named_after_its_path() {
    EventvaultConfig config = ConfigLoader.load(Map.of(
        "EVENTVAULT_CONFIG", "conf/config.json",
        "EVENTVAULT_HTTP_PORT", "9999",
        "EVENTVAULT_DATABASE_URL", "postgresql://app:s%40cret@db.example:6543/events",
        "EVENTVAULT_ADMIN_TOKEN", "t0ken",
        "EVENTVAULT_WRITER_BATCH_SIZE", "250",
        "EVENTVAULT_WRITER_LINGER_MS", "3",
        "EVENTVAULT_QUERY_MAX_LIMIT", "500",
        "EVENTVAULT_DATABASE_MIGRATIONS", "external"));

    assertThat(config.http().port()).isEqualTo(9999);
    DatabaseUrl url = config.database().url().orElseThrow();
    assertThat(url).isEqualTo(new DatabaseUrl("db.example", 6543, "events", "app", "s@cret"));
    assertThat(url.toString()).doesNotContain("s@cret");
    assertThat(config.adminToken()).contains("t0ken");
    assertThat(config.writer().batchSize()).isEqualTo(250);
    assertThat(config.writer().lingerMs()).isEqualTo(3);
    assertThat(config.query().maxLimit()).isEqualTo(500);
    assertThat(config.database().migrations()).isEqualTo(EventvaultConfig.MigrationMode.EXTERNAL);
  }

  @Test
  void defaults_match_the_contract() {
    EventvaultConfig config = ConfigLoader.load(Map.of());
    assertThat(config.http().port()).isEqualTo(8080);
    assertThat(config.http().maxEventBytes()).isEqualTo(1024 * 1024);
    assertThat(config.http().maxRequestBytes()).isEqualTo(10L * 1024 * 1024);
    assertThat(config.database().url()).isEmpty();
    assertThat(config.adminToken()).isEmpty();
    assertThat(config.query().defaultLimit()).isEqualTo(100);
    assertThat(config.query().maxLimit()).isEqualTo(1000);
  }

  @Test
  void invalid_values_are_refused_with_the_key_named() {
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("EVENTVAULT_HTTP_PORT", "eighty")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("EVENTVAULT_HTTP_PORT");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("EVENTVAULT_WRITER_BATCH_SIZE", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("writer.batchSize");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("EVENTVAULT_DATABASE_URL", "mysql://x")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("postgresql://");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("EVENTVAULT_CONFIG", "/nope.json")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("/nope.json");
  }

  @Test
  void camel_case_keys_become_upper_snake_case() {
    assertThat(ConfigLoader.toEnvName("maxQueuedEvents")).isEqualTo("MAX_QUEUED_EVENTS");
    assertThat(ConfigLoader.toEnvName("url")).isEqualTo("URL");
  }
}
