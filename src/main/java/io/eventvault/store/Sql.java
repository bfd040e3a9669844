package io.eventvault.store;

/**
 * Every fixed SQL text of the server. Values always travel as {@code $n} parameters; the only text built at
 * run time is the filter list of {@code QueryCompiler}, from fixed fragments.
 */
public final class Sql {
  private Sql() {}

  // Advisory lock keys (arbitrary, fixed): migrations, partition maintenance, appends.
  static final long MIGRATION_LOCK_KEY = 0x45565f4d4947L; // "EV_MIG"
  static final long PARTITION_LOCK_KEY = 0x45565f504152L; // "EV_PAR"
  public static final long APPEND_LOCK_KEY = 0x45565f415050L; // "EV_APP"

  static final String MIGRATION_LOCK = "SELECT pg_advisory_lock(" + MIGRATION_LOCK_KEY + ")";
  static final String MIGRATION_UNLOCK = "SELECT pg_advisory_unlock(" + MIGRATION_LOCK_KEY + ")";
  static final String MIGRATION_TABLE = """
      CREATE TABLE IF NOT EXISTS eventvault_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz(3) NOT NULL DEFAULT now()
      )""";
  static final String MIGRATION_VERSIONS = "SELECT version FROM eventvault_migrations";
  static final String MIGRATION_RECORD = "INSERT INTO eventvault_migrations (version, name) VALUES ($1, $2)";

  static final String PARTITION_LOCK = "SELECT pg_advisory_xact_lock(" + PARTITION_LOCK_KEY + ")";
  /** Creating a partition locks the parent: give up after a short wait (and retry next round). */
  static final String PARTITION_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '5s'";
  static final String DEFAULT_PARTITION_ROWS = "SELECT count(*) FROM event_partitions.events_default";

  /**
   * Serializes appends across every server on this database until COMMIT, and declares the tenants whose
   * rows this transaction may write (comma-separated; row-level security refuses any other). Positions are
   * drawn only while the lock is held, so position order is commit order: a reader that has seen position
   * N will never later see a position below N (see docs/decisions.md, "Global order").
   */
  public static final String APPEND_BEGIN = "SELECT pg_advisory_xact_lock(" + APPEND_LOCK_KEY + "), "
      + "set_config('app.tenant_id', $1, true), "
      + "pg_notify('" + Sql.APPENDED_CHANNEL + "', CASE WHEN octet_length($1) < 7000 THEN $1 ELSE '' END)";

  /**
   * NOTIFY channel: sent by every flush at COMMIT, so followers on other nodes wake up. The payload names the
   * flush's tenants, comma-separated; empty when the list would not fit NOTIFY's 8,000 bytes (wake everyone).
   */
  public static final String APPENDED_CHANNEL = "eventvault_appended";

  /** Declares the one tenant whose rows this transaction may see (row-level security). */
  public static final String SET_TENANT = "SELECT set_config('app.tenant_id', $1, true)";

  /**
   * One statement for a whole flush, whatever its size: arrays in, one row per input event out, in input
   * order, with its position and whether the (tenant, id) was already stored. Input ids are unique per
   * tenant (the writer folds duplicates inside a flush before sending). The original position of a
   * duplicate is a scalar subquery: one primary-key probe, only for duplicates (a join could be planned as
   * a scan of the whole tenant when statistics are missing).
   */
  public static final String APPEND = """
      WITH input AS (
        SELECT *
        FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                    $8::timestamptz[], $9::int[], $10::text[], $11::text[], $12::text[], $13::text[])
             WITH ORDINALITY AS t(tenant_id, id, type, project_id, source, subject, user_id,
                                  occurred_at, schema_version, correlation_id, causation_id, metadata, payload, ord)
      ),
      fresh AS (
        INSERT INTO event_ids (tenant_id, id, position, recorded_at)
        SELECT tenant_id, id, nextval('event_position_seq'), statement_timestamp()
        FROM input
        ORDER BY ord
        ON CONFLICT (tenant_id, id) DO NOTHING
        RETURNING tenant_id, id, position, recorded_at
      ),
      stored AS (
        INSERT INTO events (tenant_id, position, id, type, project_id, source, subject, user_id, occurred_at,
                            recorded_at, schema_version, correlation_id, causation_id, metadata, payload)
        SELECT i.tenant_id, f.position, i.id, i.type, i.project_id, i.source, i.subject, i.user_id, i.occurred_at,
               f.recorded_at, i.schema_version, i.correlation_id, i.causation_id, i.metadata::jsonb, i.payload::jsonb
        FROM input i
        JOIN fresh f ON f.tenant_id = i.tenant_id AND f.id = i.id
        RETURNING position
      )
      SELECT i.ord,
             coalesce(f.position,
                      (SELECT d.position FROM event_ids d WHERE d.tenant_id = i.tenant_id AND d.id = i.id)) AS position,
             f.position IS NULL AS duplicate
      FROM input i
      LEFT JOIN fresh f ON f.tenant_id = i.tenant_id AND f.id = i.id
      ORDER BY i.ord""";

  /** The columns every read returns, in the order {@code EventRows} expects. */
  public static final String EVENT_COLUMNS = """
      e.tenant_id, e.position, e.id, e.type, e.project_id, e.source, e.subject, e.user_id, e.occurred_at,
      e.recorded_at, e.schema_version, e.correlation_id, e.causation_id, e.metadata::text, e.payload::text""";

  /**
   * By id: the dedup table gives position and recorded_at; as init-plan parameters they prune the scan to
   * the one partition that holds the event (a join would probe every partition).
   */
  public static final String GET_EVENT = """
      WITH d AS MATERIALIZED (SELECT position, recorded_at FROM event_ids WHERE tenant_id = $1 AND id = $2)
      """ + "SELECT " + EVENT_COLUMNS + """

      FROM events e
      WHERE e.tenant_id = $1
        AND e.recorded_at = (SELECT recorded_at FROM d)
        AND e.position = (SELECT position FROM d)""";

  public static final String CREATE_SUBSCRIPTION = """
      INSERT INTO subscriptions (tenant_id, name, filter, position) VALUES ($1, $2, $3::text::jsonb, $4)
      ON CONFLICT (tenant_id, name) DO NOTHING
      RETURNING created_at""";
  public static final String GET_SUBSCRIPTION = """
      SELECT filter::text, position, created_at, acked_at FROM subscriptions WHERE tenant_id = $1 AND name = $2""";
  /** Checkpoints only move forward: an old or repeated acknowledgement changes nothing. */
  public static final String ACK_SUBSCRIPTION = """
      UPDATE subscriptions SET position = greatest(position, $3), acked_at = now()
      WHERE tenant_id = $1 AND name = $2
      RETURNING position""";
  public static final String DELETE_SUBSCRIPTION =
      "DELETE FROM subscriptions WHERE tenant_id = $1 AND name = $2 RETURNING name";
  public static final String LIST_SUBSCRIPTIONS = """
      SELECT name, filter::text, position, created_at, acked_at FROM subscriptions WHERE tenant_id = $1
      ORDER BY name""";

  public static final String READY = "SELECT max(version) FROM eventvault_migrations";
  public static final String CURSOR_SECRET = "SELECT value FROM eventvault_settings WHERE key = 'cursor_secret'";

  public static final String CREATE_TENANT = """
      INSERT INTO tenants (id, name) VALUES ($1, $2)
      ON CONFLICT (id) DO NOTHING
      RETURNING id, name, status, created_at""";
  public static final String LIST_TENANTS = """
      SELECT id, name, status, created_at, events_per_second, requests_per_second, max_batch_events
      FROM tenants ORDER BY id""";
  public static final String UPDATE_TENANT = """
      UPDATE tenants SET
        status = coalesce($2, status),
        events_per_second = CASE WHEN $3 THEN $4 ELSE events_per_second END,
        requests_per_second = CASE WHEN $5 THEN $6 ELSE requests_per_second END,
        max_batch_events = CASE WHEN $7 THEN $8 ELSE max_batch_events END
      WHERE id = $1 AND status <> 'deleting'
      RETURNING id, name, status, created_at, events_per_second, requests_per_second, max_batch_events""";
  /** NOTIFY channel of tenants whose status or limits changed (payload: the tenant id). */
  public static final String TENANT_CHANGED_CHANNEL = "eventvault_tenant_changed";
  public static final String NOTIFY_TENANT_CHANGED =
      "SELECT pg_notify('" + TENANT_CHANGED_CHANNEL + "', $1)";
  public static final String MARK_TENANT_DELETING = """
      UPDATE tenants SET status = 'deleting' WHERE id = $1 AND status <> 'deleting' RETURNING id""";
  public static final String START_DELETION = """
      INSERT INTO tenant_deletions (tenant_id) VALUES ($1)
      ON CONFLICT (tenant_id) DO UPDATE SET status = 'running', events_deleted = 0, started_at = now(),
        finished_at = NULL, error = NULL""";
  /** Owner work across partitions: declared as maintenance so row-level security lets it through. */
  public static final String MAINTENANCE = "SELECT set_config('eventvault.maintenance', 'on', true)";
  public static final String DELETE_TENANT_EVENTS = """
      WITH doomed AS (
        SELECT tenant_id, position, recorded_at FROM events WHERE tenant_id = $1 LIMIT $2
      )
      DELETE FROM events e USING doomed d
      WHERE e.tenant_id = d.tenant_id AND e.position = d.position AND e.recorded_at = d.recorded_at""";
  public static final String DELETE_TENANT_IDS = """
      DELETE FROM event_ids WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM event_ids WHERE tenant_id = $1 LIMIT $2)""";
  public static final String DELETION_PROGRESS =
      "UPDATE tenant_deletions SET events_deleted = events_deleted + $2 WHERE tenant_id = $1";
  public static final String DELETE_TENANT_REST = """
      WITH s AS (DELETE FROM subscriptions WHERE tenant_id = $1),
           k AS (DELETE FROM api_keys WHERE tenant_id = $1)
      DELETE FROM tenants WHERE id = $1""";
  public static final String FINISH_DELETION = """
      UPDATE tenant_deletions SET status = $2, finished_at = now(), error = $3 WHERE tenant_id = $1""";
  public static final String GET_DELETION = """
      SELECT status, events_deleted, started_at, finished_at, error FROM tenant_deletions WHERE tenant_id = $1""";
  public static final String AUDIT = """
      INSERT INTO audit_log (actor, tenant_id, action, details) VALUES ($1, $2, $3, $4::text::jsonb)""";
  public static final String LIST_AUDIT = """
      SELECT id, at, actor, tenant_id, action, details::text FROM audit_log
      WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY id DESC LIMIT $2""";
  public static final String TENANT_EXISTS = "SELECT status FROM tenants WHERE id = $1";
  public static final String CREATE_KEY = """
      INSERT INTO api_keys (id, tenant_id, key_hash, scopes, projects) VALUES ($1, $2, $3, $4, $5)
      RETURNING created_at""";
  /** Revokes, and tells every node (NOTIFY at commit) to drop the key from its cache. */
  public static final String REVOKE_KEY = """
      WITH revoked AS (
        UPDATE api_keys SET revoked_at = now()
        WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL
        RETURNING key_hash
      )
      SELECT key_hash, pg_notify('eventvault_key_revoked', encode(key_hash, 'hex')) FROM revoked""";

  /** NOTIFY channel of revoked keys (payload: SHA-256 of the secret, hex). */
  public static final String KEY_REVOKED_CHANNEL = "eventvault_key_revoked";
  public static final String LIST_KEYS = """
      SELECT id, scopes, projects, created_at, revoked_at, last_used_at
      FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id""";
  public static final String LOOKUP_KEY = """
      SELECT k.id, k.tenant_id, k.scopes, k.projects, t.status,
             t.events_per_second, t.requests_per_second, t.max_batch_events
      FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL""";
  public static final String TOUCH_KEY = """
      UPDATE api_keys SET last_used_at = now()
      WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')""";
}
