-- Row-level security: PostgreSQL itself refuses rows of tenants the transaction did not declare.
-- ${app_role} is the application role (database.appRole, default eventvault_app). Tenant traffic runs as
-- that role and declares its tenant per transaction: set_config('app.tenant_id', '<tenant>', true).
-- The writer, which commits several tenants' events in one transaction, declares a comma-separated list.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${app_role}') THEN
    BEGIN
      CREATE ROLE ${app_role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created by a concurrent migration of another database on this server
    END;
  END IF;
END $$;

-- The server connects as the owner and switches to the application role for tenant traffic.
GRANT ${app_role} TO CURRENT_USER;

-- The tenants this transaction declared; empty (no rows visible) when it declared none.
CREATE FUNCTION eventvault_current_tenants() RETURNS text[]
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT coalesce(string_to_array(nullif(current_setting('app.tenant_id', true), ''), ','), '{}') $$;

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
ALTER TABLE event_ids ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_ids FORCE ROW LEVEL SECURITY;

CREATE POLICY events_tenant_isolation ON events
  USING (tenant_id = ANY (eventvault_current_tenants()))
  WITH CHECK (tenant_id = ANY (eventvault_current_tenants()));
CREATE POLICY event_ids_tenant_isolation ON event_ids
  USING (tenant_id = ANY (eventvault_current_tenants()))
  WITH CHECK (tenant_id = ANY (eventvault_current_tenants()));

-- The owner (migrations, partition maintenance, retention) sees every tenant only when a transaction
-- says it is maintenance work; FORCE keeps every other owner session under the tenant policy.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY events_maintenance ON events TO %I USING (current_setting(''eventvault.maintenance'', true) = ''on'') WITH CHECK (current_setting(''eventvault.maintenance'', true) = ''on'')', current_user);
  EXECUTE format('CREATE POLICY event_ids_maintenance ON event_ids TO %I USING (current_setting(''eventvault.maintenance'', true) = ''on'') WITH CHECK (current_setting(''eventvault.maintenance'', true) = ''on'')', current_user);
END $$;

-- Partitions are not a side door: no privileges on their schema, and RLS without a policy (nothing
-- visible to anyone but the owner) on each partition.
REVOKE ALL ON SCHEMA event_partitions FROM PUBLIC;
ALTER TABLE event_partitions.events_default ENABLE ROW LEVEL SECURITY;

GRANT SELECT, INSERT ON events, event_ids TO ${app_role};
GRANT USAGE ON SEQUENCE event_position_seq TO ${app_role};
GRANT SELECT ON eventvault_settings, eventvault_migrations TO ${app_role};
