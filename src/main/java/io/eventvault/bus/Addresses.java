package io.eventvault.bus;

/** Every event-bus address, in one place. */
public final class Addresses {
  /** {@code AppendRequest} → {@code AppendResult}, answered after COMMIT. */
  public static final String APPEND = "eventvault.writer.append";
  /**
   * Published after each commit with the committed tenants as a comma-separated {@code String} (empty when
   * unknown, which wakes every tenant's tail): from this node's writer and, via NOTIFY, from other nodes.
   */
  public static final String APPENDED = "eventvault.writer.appended";
  /** {@code TailJoin} and {@code TailLeave}, sent by followers to the node's live tail. */
  public static final String TAIL_CONTROL = "eventvault.tail.control";
  /** {@code EventQuery} → {@code EventPage}. */
  public static final String QUERY_PAGE = "eventvault.query.page";
  /** {@code CountRequest} → JSON text. */
  public static final String QUERY_COUNT = "eventvault.query.count";
  /** {@code GetEvent} → {@code StoredEvent}. */
  public static final String QUERY_GET = "eventvault.query.get";
  /** {@code SubscriptionCommand} → JSON text. */
  public static final String SUBSCRIPTIONS = "eventvault.query.subscriptions";
  /** {@code EventQuery} → JSON text {@code {"events": n, "capped": bool, "oldestRecordedAt": …}}: the lag. */
  public static final String QUERY_LAG = "eventvault.query.lag";
  /** Any body → "ok" when the database answers and the schema is current. */
  public static final String QUERY_READY = "eventvault.query.ready";
  /** {@code AdminCommand} → JSON text answer. */
  public static final String ADMIN = "eventvault.admin";
  /** {@code KeyLookup} → {@code Principal}. */
  public static final String AUTH_LOOKUP = "eventvault.auth.lookup";
  /** Published with a tenant id when its status or limits change: HTTP verticles drop its cached keys. */
  public static final String TENANT_CHANGED = "eventvault.auth.tenant-changed";
  /** Published when a key stops working (its hash as hex), so every HTTP verticle drops it from its cache. */
  public static final String AUTH_REVOKED = "eventvault.auth.revoked";

  /** Where the live tail publishes each {@code TailBatch} of one tenant (local to the node). */
  public static String tail(String tenantId) {
    return "eventvault.tail.batches." + tenantId;
  }

  private Addresses() {}
}
