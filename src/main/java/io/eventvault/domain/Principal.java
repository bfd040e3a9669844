package io.eventvault.domain;

import java.util.Set;

/**
 * Who is calling: the bootstrap admin, or an API key bound to exactly one tenant. {@code projects} is
 * empty when the key may touch every project of its tenant.
 */
public record Principal(String tenantId, String keyId, Set<Scope> scopes, Set<String> projects, boolean superAdmin,
    Limits limits) {

  /** The tenant's effective limits (0: unlimited). */
  public record Limits(int eventsPerSecond, int requestsPerSecond, int maxBatchEvents) {
    public static final Limits NONE = new Limits(0, 0, 0);
  }

  public static Principal admin() {
    return new Principal(null, "admin", Set.of(Scope.values()), Set.of(), true, Limits.NONE);
  }

  /** Who did it, for the audit log. */
  public String actor() {
    return superAdmin ? "admin" : "key:" + keyId;
  }

  public boolean has(Scope scope) {
    return superAdmin || scopes.contains(scope);
  }

  public boolean mayUseProject(String projectId) {
    return projects.isEmpty() || projects.contains(projectId);
  }
}
