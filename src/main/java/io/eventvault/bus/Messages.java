package io.eventvault.bus;

import io.eventvault.domain.Appended;
import io.eventvault.domain.EventDraft;
import io.eventvault.domain.Scope;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** The immutable records that travel on the event bus. */
public final class Messages {
  private Messages() {}

  /** Events of one tenant to store atomically. */
  public record AppendRequest(String tenantId, List<EventDraft> events) {
    public AppendRequest {
      events = List.copyOf(events);
    }
  }

  /** One entry per requested event, in request order. */
  public record AppendResult(List<Appended> events) {
    public AppendResult {
      events = List.copyOf(events);
    }
  }

  /** Read one event of a tenant; {@code projects} non-empty restricts which projects are visible. */
  public record GetEvent(String tenantId, UUID id, Set<String> projects) {}

  /**
   * Count the events of a query: {@code exact} counts up to {@code cap} (and says when it stopped there);
   * {@code estimate} asks the planner. Answered with JSON text {@code {"mode","value","capped"}}.
   */
  public record CountRequest(io.eventvault.domain.EventQuery query, boolean exact, int cap) {}

  /** Resolve an API key by the SHA-256 of its secret. */
  public record KeyLookup(byte[] keyHash) {}

  /** An admin action and who asked for it (for the audit log): {@code admin} or {@code key:<id>}. */
  public record AdminRequest(String actor, AdminCommand command) {}

  /** Admin actions. */
  public sealed interface AdminCommand permits CreateTenant, CreateKey, RevokeKey, ListKeys, ListTenants,
      UpdateTenant, DeleteTenant, GetDeletion, ListAudit {}

  public record ListTenants() implements AdminCommand {}

  /** Changes status ({@code active} or {@code suspended}) and/or limits; null leaves a value as it is. */
  public record UpdateTenant(String tenantId, String status, TenantLimits limits) implements AdminCommand {}

  public record DeleteTenant(String tenantId) implements AdminCommand {}

  public record GetDeletion(String tenantId) implements AdminCommand {}

  public record ListAudit(String tenantId, int limit) implements AdminCommand {}

  /** Per-tenant limits; null means the configured default, 0 unlimited. */
  public record TenantLimits(Integer eventsPerSecond, Integer requestsPerSecond, Integer maxBatchEvents) {}

  public record CreateTenant(String id, String name) implements AdminCommand {}

  public record CreateKey(String tenantId, Set<Scope> scopes, Set<String> projects) implements AdminCommand {}

  public record RevokeKey(String tenantId, UUID keyId) implements AdminCommand {}

  public record ListKeys(String tenantId) implements AdminCommand {}

  /** Durable subscriptions (named checkpoints of one tenant); answered with JSON text. */
  public sealed interface SubscriptionCommand
      permits CreateSubscription, GetSubscription, AckSubscription, DeleteSubscription, ListSubscriptions {
    String tenantId();
  }

  public record CreateSubscription(String tenantId, String name, String filterJson, long position)
      implements SubscriptionCommand {}

  public record GetSubscription(String tenantId, String name) implements SubscriptionCommand {}

  public record AckSubscription(String tenantId, String name, long position) implements SubscriptionCommand {}

  public record DeleteSubscription(String tenantId, String name) implements SubscriptionCommand {}

  public record ListSubscriptions(String tenantId) implements SubscriptionCommand {}

  /** A follower of a tenant is live: the node's tail should read that tenant's new events. */
  public record TailJoin(String tenantId) {}

  /** A follower of a tenant has ended. */
  public record TailLeave(String tenantId) {}

  /**
   * Every event of one tenant with a position in {@code (from, to]}, in position order, read once per node and
   * shared by all its followers of that tenant; {@code json} holds each event's JSON as UTF-8, rendered once
   * (never modified: streams on several event loops copy from the same arrays).
   */
  public record TailBatch(long from, long to, List<io.eventvault.domain.StoredEvent> events, List<byte[]> json) {
    public TailBatch {
      events = List.copyOf(events);
      json = List.copyOf(json);
    }
  }
}
