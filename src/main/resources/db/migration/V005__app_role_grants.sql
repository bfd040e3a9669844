-- The application role keeps USAGE on schema public even when a tool (prisma migrate reset) recreates the
-- schema without PostgreSQL's default grant to PUBLIC.
GRANT USAGE ON SCHEMA public TO ${app_role};

-- The cursor-signing secret is read by the server's owner connection only: an application that connects as
-- the application role (a Prisma app, for instance) must not be able to forge cursors.
REVOKE SELECT ON eventvault_settings FROM ${app_role};
