-- Tenant lifecycle (suspend, delete), per-tenant limits, and the audit log of admin actions.

ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended', 'deleting'));

-- NULL: the server's default (config limits.*); 0: unlimited.
ALTER TABLE tenants ADD COLUMN events_per_second integer;
ALTER TABLE tenants ADD COLUMN requests_per_second integer;
ALTER TABLE tenants ADD COLUMN max_batch_events integer;

-- One row per deletion: progress while it runs, the final report when it is done.
CREATE TABLE tenant_deletions (
  tenant_id      text           PRIMARY KEY,
  status         text           NOT NULL DEFAULT 'running',
  events_deleted bigint         NOT NULL DEFAULT 0,
  started_at     timestamptz(3) NOT NULL DEFAULT now(),
  finished_at    timestamptz(3),
  error          text,
  CONSTRAINT tenant_deletions_status_check CHECK (status IN ('running', 'done', 'failed'))
);

CREATE TABLE audit_log (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz(3) NOT NULL DEFAULT now(),
  actor     text           NOT NULL,
  tenant_id text,
  action    text           NOT NULL,
  details   jsonb          NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id);
