package io.eventvault.prisma;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventvault.store.DdlExport;
import io.eventvault.store.Migrator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The schema script shipped for Prisma (integrations/prisma/ddl/eventvault.sql: migrations.initShadowDb,
 * and the way to build a database for database.migrations=external) is exactly what the server's own
 * migration files produce, with ${app_role} = eventvault_app. integrations/prisma/test/run.sh proves the
 * rest against a live database with the real Prisma CLI.
 */
class PrismaDdlTest {

  private static final Path SHIPPED = Path.of("integrations", "prisma", "ddl", "eventvault.sql");
  private static final String REGENERATE = "integrations/prisma/ddl/eventvault.sql is not what the migrations "
      + "produce; regenerate it: mvn -q -DskipTests package && java -cp target/eventvault.jar "
      + "io.eventvault.store.DdlExport integrations/prisma/ddl/eventvault.sql";

  @Test
  void shippedDdlIsWhatTheServerMigrationsProduce() throws IOException {
    assertThat(Files.readString(SHIPPED, StandardCharsets.UTF_8))
        .as(REGENERATE)
        .isEqualTo(DdlExport.ddl("eventvault_app"));
  }

  @Test
  void everyMigrationIsInTheDdlSubstitutedAndRecordedAsApplied() throws IOException {
    String ddl = Files.readString(SHIPPED, StandardCharsets.UTF_8);
    assertThat(ddl).doesNotContain("${");
    assertThat(ddl).contains("CREATE TABLE IF NOT EXISTS eventvault_migrations");
    for (Migrator.Migration migration : Migrator.migrations()) {
      assertThat(ddl).contains(DdlExport.substitute(migration.sql(), "eventvault_app").strip());
      assertThat(ddl).contains("INSERT INTO eventvault_migrations (version, name) VALUES ("
          + migration.version() + ", '" + migration.name() + "');");
    }
    assertThat(ddl).contains("Eventvault database schema, version " + Migrator.latestVersion() + ".");
  }

  @Test
  void substitutionIsTheMigratorsAndRefusesUnknownPlaceholders() {
    assertThat(DdlExport.substitute("GRANT SELECT ON events TO ${app_role};", "some_role"))
        .isEqualTo("GRANT SELECT ON events TO some_role;");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> DdlExport.substitute("${nope}", "r"))
        .hasMessageContaining("unknown placeholder");
  }
}
