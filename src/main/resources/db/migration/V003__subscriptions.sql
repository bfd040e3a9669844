-- Durable subscriptions: a named checkpoint per tenant, with the filter it reads.
CREATE TABLE subscriptions (
  tenant_id  text           NOT NULL,
  name       text           NOT NULL,
  filter     jsonb          NOT NULL,
  position   bigint         NOT NULL DEFAULT 0,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  acked_at   timestamptz(3),
  CONSTRAINT subscriptions_pkey PRIMARY KEY (tenant_id, name)
);

ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY subscriptions_tenant_isolation ON subscriptions
  USING (tenant_id = ANY (eventvault_current_tenants()))
  WITH CHECK (tenant_id = ANY (eventvault_current_tenants()));
DO $$
BEGIN
  EXECUTE format('CREATE POLICY subscriptions_maintenance ON subscriptions TO %I USING (current_setting(''eventvault.maintenance'', true) = ''on'') WITH CHECK (current_setting(''eventvault.maintenance'', true) = ''on'')', current_user);
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON subscriptions TO ${app_role};
