-- A read-only role for applications that read events beside the server (a Prisma app, a BI tool):
-- ${app_role}_reader sees the same rows as the server's tenant traffic (row-level security, tenant declared
-- per transaction) but cannot write, so it can never insert an event around the append lock.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${app_role}_reader') THEN
    BEGIN
      CREATE ROLE ${app_role}_reader LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created by a concurrent migration of another database on this server
    END;
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO ${app_role}_reader;
GRANT SELECT ON events, event_ids, subscriptions TO ${app_role}_reader;
