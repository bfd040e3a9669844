package io.eventvault;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The role packages talk over the event bus, never by importing each other; only the HTTP edge is SQL-free. */
class ArchitectureTest {

  static final JavaClasses CLASSES = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.eventvault");

  static final String[] ROLES = {"http", "writer", "query", "admin"};

  @Test
  void role_packages_do_not_depend_on_each_other() {
    for (String role : ROLES) {
      for (String other : ROLES) {
        if (!role.equals(other)) {
          noClasses().that().resideInAPackage("io.eventvault." + role + "..")
              .should().dependOnClassesThat().resideInAPackage("io.eventvault." + other + "..")
              .because("roles talk over the event bus (see bus.Addresses)")
              .check(CLASSES);
        }
      }
    }
  }

  @Test
  void the_http_edge_never_touches_sql() {
    noClasses().that().resideInAPackage("io.eventvault.http..")
        .should().dependOnClassesThat().resideInAnyPackage("io.eventvault.store..", "io.vertx.sqlclient..",
            "io.vertx.pgclient..")
        .check(CLASSES);
  }

  @Test
  void shared_packages_depend_on_no_role() {
    noClasses().that().resideInAnyPackage("io.eventvault.domain..", "io.eventvault.bus..",
            "io.eventvault.config..", "io.eventvault.metrics..", "io.eventvault.store..")
        .should().dependOnClassesThat().resideInAnyPackage("io.eventvault.http..", "io.eventvault.writer..",
            "io.eventvault.query..", "io.eventvault.admin..")
        .check(CLASSES);
  }
}
