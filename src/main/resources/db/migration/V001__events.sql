-- Eventvault schema, version 1.
-- Partitions of public.events live in their own schema (event_partitions), so an application
-- that manages the public schema (Prisma) sees only the parent table.

CREATE SCHEMA IF NOT EXISTS event_partitions;

CREATE TABLE eventvault_settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);

-- Signs query cursors: a cursor from one tenant or query cannot be replayed against another.
INSERT INTO eventvault_settings (key, value)
VALUES ('cursor_secret', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

CREATE TABLE tenants (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  status     text NOT NULL DEFAULT 'active',
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended'))
);

-- API keys are stored as the SHA-256 of the secret; the secret is shown once, at creation.
CREATE TABLE api_keys (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id),
  key_hash     bytea NOT NULL,
  scopes       text[] NOT NULL,
  projects     text[],
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  revoked_at   timestamptz(3),
  last_used_at timestamptz(3),
  CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

-- Global order. Values are taken only while holding the append lock (see WriterSql), so position
-- order is commit order.
CREATE SEQUENCE event_position_seq AS bigint;

CREATE TABLE events (
  tenant_id      text           NOT NULL,
  position       bigint         NOT NULL,
  id             uuid           NOT NULL,
  type           text           NOT NULL,
  project_id     text           NOT NULL,
  source         text,
  subject        text,
  user_id        text,
  occurred_at    timestamptz(3) NOT NULL,
  recorded_at    timestamptz(3) NOT NULL,
  schema_version integer        NOT NULL DEFAULT 1,
  correlation_id text,
  causation_id   text,
  metadata       jsonb          NOT NULL DEFAULT '{}'::jsonb,
  payload        jsonb          NOT NULL,
  tx_id          xid8           NOT NULL DEFAULT pg_current_xact_id(),
  CONSTRAINT events_pkey PRIMARY KEY (tenant_id, position, recorded_at)
) PARTITION BY RANGE (recorded_at);

-- The seed's composite index, led by the tenant.
CREATE INDEX events_project_type_time_idx ON events (tenant_id, project_id, type, occurred_at);
CREATE INDEX events_user_idx ON events (tenant_id, user_id, position) WHERE user_id IS NOT NULL;
CREATE INDEX events_subject_idx ON events (tenant_id, subject, position) WHERE subject IS NOT NULL;
CREATE INDEX events_correlation_idx ON events (tenant_id, correlation_id, position) WHERE correlation_id IS NOT NULL;

-- Catches rows outside every daily partition; it must stay empty (the server alarms when it is not).
CREATE TABLE event_partitions.events_default PARTITION OF events DEFAULT;

-- Idempotency: one row per stored event id, per tenant, for as long as the event is kept.
-- It also locates an event by id without scanning partitions.
CREATE TABLE event_ids (
  tenant_id   text           NOT NULL,
  id          uuid           NOT NULL,
  position    bigint         NOT NULL,
  recorded_at timestamptz(3) NOT NULL,
  CONSTRAINT event_ids_pkey PRIMARY KEY (tenant_id, id)
);
